"""The web's API client carries the page's language to the API (the switch's cookie over the
browser's Accept-Language): the headline on the Overall tab, the progress charts, the PDF and
the CSV the web relays are in the page's language, as they are when the API is another process."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import httpx
import pytest
from starlette.requests import Request

from memoai.web.api_client import ApiClient, Backend
from tests.web.conftest import Site
from tests.web.test_pages import events

MEMO = (
    "Para: Dirección\nDe: Ana López\nAsunto: Piloto de citas\n\n"
    "Solicitamos 250.000 euros para financiar un piloto de citas. Se decidió que el "
    "sistema actual es ineficiente. Les pido que lo aprueben antes del 30 de junio."
)
ENGLISH_BROWSER = {"Accept-Language": "en-GB,en;q=0.9"}


async def test_what_the_web_relays_from_the_api_is_in_the_pages_language(site: Site) -> None:
    await site.open("/")
    site.browser.cookies.set("memoai_lang", "es")  # the switch, over the browser's English
    sent = await site.browser.post(
        "/ui/evaluate",
        json={"text_content": MEMO, "title": "Piloto"},
        headers={"X-CSRF-Token": site.csrf(), **ENGLISH_BROWSER},
    )
    kind, done = events(sent)[-1]
    assert kind == "done", done
    evaluation = done["evaluation_id"]

    page = await site.browser.get(f"/?evaluation={evaluation}&tab=overall", headers=ENGLISH_BROWSER)
    assert "La primera versión de este memorando" in page.text
    assert "The first version of this memo" not in page.text

    table = await site.browser.get("/ui/export/history.csv", headers=ENGLISH_BROWSER)
    assert table.status_code == 200, table.text[:300]
    header = next(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    assert header[:2] == ["Id. de la evaluación", "Evaluada el (UTC)"]

    pdf = await site.browser.get(f"/ui/export/pdf/{evaluation}", headers=ENGLISH_BROWSER)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "INFORME DE COMENTARIOS" in text and "Puntos fuertes" in text
    assert "FEEDBACK REPORT" not in text and "Strengths" not in text

    site.browser.cookies.set("memoai_lang", "en")
    english = await site.browser.get(f"/?evaluation={evaluation}&tab=overall")
    assert "The first version of this memo" in english.text


@pytest.mark.parametrize(
    ("cookie", "browser", "heard"),
    [
        ("es", "en-GB,en;q=0.9", "es"),  # the switch wins over the browser
        ("en", "es-ES,es;q=0.9", "en"),
        (None, "es-ES,es;q=0.9", "es-ES,es;q=0.9"),  # no switch: the browser's own header
        ("xx", "es-MX", "es-MX"),  # a cookie naming no language we speak is ignored
    ],
)
async def test_the_api_client_sends_the_pages_language_over_the_network(
    cookie: str | None, browser: str, heard: str
) -> None:
    """In the split topology the API is another process: it hears the language only from the
    request the web's client sends it."""
    sent: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"data": {}, "meta": {}, "errors": []})

    headers = [(b"accept-language", browser.encode())]
    if cookie is not None:
        headers.append((b"cookie", f"memoai_lang={cookie}".encode()))
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": headers})
    client = ApiClient("http://api.internal", transport=httpx.MockTransport(api))
    try:
        await Backend(client, request).get("/api/v1/progress")
    finally:
        await client.aclose()
    assert sent[0].headers["accept-language"] == heard
    assert "memoai_lang" not in sent[0].headers.get("cookie", "")  # the header says it all
