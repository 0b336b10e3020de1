"""The Admin tab in Spanish in Debian's Chromium against a real `memoai serve` in login mode
(slow suite): an admin switches to Spanish, every Admin section opens with its Spanish heading
and words, admin.js announces the section in Spanish, and axe finds no serious violation, at
desktop and phone sizes; each case signs in in English (the switch also saves the choice to the
profile, so each ends by switching back). Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web import browser as b
from tests.web.test_auth_browser import PASSWORD, sign_in
from tests.web.test_browser import Watched
from tests.web.test_language_browser import choose_by_keyboard, html_lang, open_tab

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

# Each section: its button and heading in Spanish, and a few of its words.
SECTIONS = {
    "config": ("Configuración", ["Comprobar y guardar", "Valores efectivos"]),
    "users": ("Usuarios", ["Cuenta nueva", "Crear la cuenta"]),
    "sessions": ("Sesiones", ["Sesiones activas", "Última actividad"]),
    "audit": ("Registro de auditoría", ["Todos los sucesos"]),
    "status": ("Estado", ["Base de datos", "Presupuestos"]),
    "cohort": ("Cohorte", ["Media por"]),
}


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.login_server(tmp_path_factory.mktemp("admin-es"), PASSWORD, {"root": True}) as running:
        yield running


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_admin_tab_in_spanish(server: b.Server, chromium: Any, viewport: str) -> None:
    phone = viewport == "phone"
    size = b.PHONE if phone else b.DESKTOP
    context = chromium.new_context(viewport=size, locale="en-GB", is_mobile=phone)
    watched = Watched(context)
    page = watched.page
    page.goto(server.url + "/?tab=admin")
    sign_in(page, "root")
    expect(page.locator("#admin-section-heading")).to_have_text("Configuration")
    choose_by_keyboard(page, "Español")
    assert html_lang(page) == "es"
    open_tab(page, "admin", phone)
    expect(page.locator("#admin-section-heading")).to_have_text("Configuración")

    found: dict[str, Any] = {}
    for section, (label, words) in SECTIONS.items():
        page.locator(f'.admin-nav-button[data-admin-section="{section}"]').click()
        expect(page.locator("#admin-section-heading")).to_have_text(label)
        if section != "config":  # admin.js says which section it showed, in Spanish
            expect(page.locator("#admin-status")).to_have_text(f"Se muestra {label}.")
        for word in words:
            expect(page.locator("#admin-body")).to_contain_text(word)
        found[section] = b.run_axe(page)
        b.screenshot(page, f"{viewport}-es-admin-{section}")
    # The switch saved Spanish to root's profile: back to English, as the next case signs in.
    choose_by_keyboard(page, "English")
    assert html_lang(page) == "en"
    watched.close()
    assert {name: v for name, v in found.items() if v} == {}
