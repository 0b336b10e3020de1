"""The interface's language: Accept-Language by default, the header's switch remembered in a
cookie, <html lang> following it, and the API hearing the same choice."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.web.conftest import Site
from tests.web.dom import parse
from tests.web.test_auth_pages import close_site, make_site, sign_in
from tests.web.test_pages import events

SPANISH = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


def tab_labels(html: str) -> list[str]:
    return [node.text.strip() for node in parse(html).select("a", role="tab")]


async def test_english_by_default_and_for_other_languages(site: Site) -> None:
    for header in ({}, {"Accept-Language": "fr-FR,de;q=0.8"}):
        page = await site.browser.get("/", headers=header)
        root = parse(page.text)
        assert root.select("html")[0].attrs["lang"] == "en"
        assert tab_labels(page.text)[:3] == ["Write", "Overall feedback", "Detailed feedback"]


async def test_the_browsers_accept_language_chooses_spanish(site: Site) -> None:
    page = await site.browser.get("/", headers=SPANISH)
    root = parse(page.text)
    assert root.select("html")[0].attrs["lang"] == "es"
    assert tab_labels(page.text)[:3] == ["Redactar", "Valoración general", "Comentarios detallados"]
    assert root.by_id("submit-button").text.strip() == "Obtener comentarios"
    assert "Saltar al contenido principal" in page.text
    current = [b for b in root.select("button", cls="language-choice") if b.has("aria-current")]
    assert [b.text.strip() for b in current] == ["Español"]


async def test_the_switch_is_remembered_over_the_browsers_language(site: Site) -> None:
    await site.open("/?tab=help")
    answer = await site.browser.post(
        "/language",
        data={"language": "es"},
        headers={"Referer": "http://testserver/?tab=help"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?tab=help"  # back to the page it was on
    cookie = answer.headers["set-cookie"]
    assert "memoai_lang=es" in cookie and "Max-Age=31536000" in cookie and "SameSite=lax" in cookie
    page = await site.browser.get("/?tab=help", headers={"Accept-Language": "en"})
    assert parse(page.text).select("html")[0].attrs["lang"] == "es"
    assert "Redactar" in tab_labels(page.text)
    # Back to English by the same switch; anything else is ignored.
    await site.browser.post("/language", data={"language": "xx"})
    assert site.browser.cookies.get("memoai_lang") == "es"
    await site.browser.post("/language", data={"language": "en"})
    page = await site.browser.get("/", headers=SPANISH)
    assert parse(page.text).select("html")[0].attrs["lang"] == "en"


async def test_the_switch_never_sends_the_reader_to_another_site(site: Site) -> None:
    answer = await site.browser.post(
        "/language", data={"language": "es"}, headers={"Referer": "https://elsewhere.example/"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_the_api_answers_in_the_chosen_language(site: Site) -> None:
    """An evaluation sent from a Spanish page is written in Spanish even when the browser's
    own Accept-Language is English: the switch's choice is what the API hears."""
    await site.open("/")
    site.browser.cookies.set("memoai_lang", "es")
    memo = (
        "Para: Dirección\nDe: Ana López\nAsunto: Piloto de citas\n\n"
        "Solicitamos 250.000 euros para financiar un piloto de citas. Se decidió que el "
        "sistema actual es ineficiente. Les pido que lo aprueben antes del 30 de junio."
    )
    sent = await site.browser.post(
        "/ui/evaluate",
        json={"text_content": memo, "title": "Piloto"},
        headers={"X-CSRF-Token": site.csrf(), "Accept-Language": "en"},
    )
    assert sent.status_code == 200, sent.text
    kind, done = events(sent)[-1]
    assert kind == "done", done
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.api), base_url="http://api")
    async with api:
        session = site.browser.cookies.get("memoai_session") or ""
        found = await api.get(
            f"/api/v1/evaluations/{done['evaluation_id']}",
            headers={"Accept-Language": "en", "Cookie": f"memoai_session={session}"},
        )
    assert found.status_code == 200, found.text
    assert found.json()["data"]["language"] == "es"


# Each Admin section's heading and a few of its words, in Spanish.
ADMIN_IN_SPANISH = {
    "config": ("Configuración", ["Comprobar y guardar", "Valores efectivos", "Versión activa"]),
    "users": ("Usuarios", ["Cuenta nueva", "Crear la cuenta", "Contraseña temporal"]),
    "sessions": ("Sesiones", ["Sesiones activas", "Última actividad"]),
    "audit": ("Registro de auditoría", ["Todos los sucesos", "Descargar estas filas en CSV"]),
    "status": ("Estado", ["Base de datos", "Proveedor del modelo", "Presupuestos"]),
    "cohort": ("Cohorte", ["Media por", "Mostrar"]),
}


async def test_the_admin_tab_speaks_spanish(tmp_path: Path) -> None:
    site = await make_site(tmp_path, login_mode=True)
    try:
        await sign_in(site.browser, "root")
        site.browser.cookies.set("memoai_lang", "es")
        page = await site.browser.get("/?tab=admin")
        assert "Solo los administradores ven esta pestaña." in page.text
        assert "Se muestra %(section)s." in page.text  # admin.js's words, listed for the script
        for section, (heading, words) in ADMIN_IN_SPANISH.items():
            answer = await site.browser.get(f"/ui/admin/{section}", headers={"HX-Request": "true"})
            assert answer.status_code == 200, answer.text[:300]
            root = parse(answer.text)
            assert root.by_id("admin-section-heading").text.strip() == heading
            for word in words:
                assert word in answer.text, (section, word)
    finally:
        await close_site(site)
