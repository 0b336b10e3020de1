"""English and Spanish in Debian's Chromium against a real `memoai serve` (slow suite): the
browser's language chooses, the header's switch (keyboard only) changes it and is remembered,
<html lang> follows, every tab speaks Spanish, the scripts' own messages too, and axe finds
no serious violation on any tab in Spanish at desktop and phone sizes. Screenshots of the
Spanish pages go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web import browser as b
from tests.web.test_browser import Watched

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
playwright_api.expect.set_options(timeout=15_000)

MEMO = (
    "Para: Comité de Dirección\nDe: Ana López, Operaciones\nFecha: 3 de marzo de 2025\n"
    "Asunto: Financiar un piloto de admisión digital\n\n"
    "Solicitamos 120.000 euros para un piloto de admisión digital de seis meses en dos "
    "clínicas. Hoy la admisión en papel tarda 14 minutos por paciente y el 8 % de los "
    "formularios tiene errores. El piloto reduciría el tiempo a 5 minutos. Les pido que "
    "aprueben el piloto antes del 15 de marzo."
)
# A word of each tab's own text in Spanish (its heading or lead), to be seen once it opens.
SPANISH = {
    "write": "Redacte su memorando",
    "overall": "Puntuación general",
    "detailed": "Su memorando",
    "progress": "Progreso",
    "chat": "Conversación",
    "memos": "Mis memorandos",
    "help": "Preguntas frecuentes",
    "debug": "Depuración",
}


def expect(locator: Any) -> Any:
    return playwright_api.expect(locator)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[b.Server]:
    with b.run_server("serve", tmp_path_factory.mktemp("language"), DEBUG_MODE="true") as running:
        yield running


def html_lang(page: Any) -> str:
    return str(page.evaluate("document.documentElement.lang"))


def choose_by_keyboard(page: Any, name: str) -> None:
    """Tab to the switch's button for `name` and press Enter, as a keyboard user would."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == name:
            break
    else:
        raise AssertionError(f"the {name} button is not reachable by Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def open_tab(page: Any, tab: str, phone: bool) -> None:
    if phone:
        page.select_option("#tab-select", tab)
    else:
        page.click(f"#tab-{tab}")
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_every_tab_in_spanish_after_the_switch(
    server: b.Server, chromium: Any, viewport: str
) -> None:
    phone = viewport == "phone"
    size = b.PHONE if phone else b.DESKTOP
    context = chromium.new_context(viewport=size, locale="en-GB", is_mobile=phone)
    watched = Watched(context)
    page = watched.page
    page.goto(server.url + "/")
    assert html_lang(page) == "en"
    expect(page.locator("#tab-write")).to_have_text("Write")
    switch = page.get_by_role("form", name="Language")
    expect(switch.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    choose_by_keyboard(page, "Español")
    assert html_lang(page) == "es"
    expect(page.locator("#tab-write")).to_have_text("Redactar")
    assert any(c["name"] == "memoai_lang" and c["value"] == "es" for c in context.cookies())
    switch = page.get_by_role("form", name="Idioma")
    expect(switch.get_by_role("button", name="Español")).to_have_attribute("aria-current", "true")

    # The scripts speak Spanish too: the form's own check, the counter, the live progress.
    page.click("#submit-button")
    expect(page.locator("#memo-error")).to_have_text("Primero escriba o pegue su memorando.")
    page.fill("#memo-title", f"Piloto de admisión ({viewport})")
    page.fill("#memo-text", MEMO)
    expect(page.locator("#memo-counter")).to_contain_text("caracteres")
    page.click("#submit-button")
    expect(page.locator("#tab-overall")).to_have_attribute("aria-selected", "true", timeout=30_000)
    live = " ".join(page.evaluate("window.__live"))
    assert "Su memorando está guardado" in live or "Comentarios listos" in live, live

    found: dict[str, Any] = {}
    ids = page.locator(".tablist .tab").evaluate_all("els => els.map(e => e.id)")
    names = [i.removeprefix("tab-") for i in ids]
    assert set(SPANISH) <= set(names)
    for tab in names:
        open_tab(page, tab, phone)
        panel = page.locator(f"#panel-{tab}")
        if tab in SPANISH:
            expect(panel).to_contain_text(SPANISH[tab])
        if tab == "chat":
            expect(panel.locator("#chat-send")).to_have_text("Enviar")
        if tab == "memos":
            expect(panel.locator("#memos-count")).to_contain_text("memorando")
        assert html_lang(page) == "es"
        found[tab] = b.run_axe(page)
        b.screenshot(page, f"{viewport}-es-{tab}")

    page.reload()  # remembered
    assert html_lang(page) == "es"
    choose_by_keyboard(page, "English")
    assert html_lang(page) == "en"
    expect(page.locator("#tab-write")).to_have_text("Write")
    watched.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_the_browsers_language_chooses_until_the_switch_is_used(
    server: b.Server, chromium: Any
) -> None:
    watched = Watched(chromium.new_context(viewport=b.DESKTOP, locale="es-ES"))
    page = watched.page
    page.goto(server.url + "/?tab=help")
    assert html_lang(page) == "es"
    expect(page.locator("#panel-help")).to_contain_text("Cómo usar el asistente")
    choose_by_keyboard(page, "English")
    assert html_lang(page) == "en"
    assert page.url.endswith("/?tab=help")  # back where the reader was
    expect(page.locator("#panel-help")).to_contain_text("How to use the coach")
    watched.close()
