"""The exports in the reader's language: a Spanish PDF report (headings, labels, sentences,
months and decimals), and the CSV's header row; English stays as it was."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from datetime import datetime

import pytest
from babel.dates import format_datetime
from sqlalchemy import update

from memoai.evaluations.models import Evaluation
from tests.evaluations.test_language import SPANISH_MEMO
from tests.export.test_pdf import extract, flat, render_png
from tests.progress.conftest import Api

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
OFFLINE = "análisis sin conexión"
REVISED = SPANISH_MEMO.replace("Solicitamos su aprobación", "Pedimos hoy su aprobación")
# The report's own headings and labels, in each language.
HEADINGS = {
    "en": (
        "FEEDBACK REPORT",
        "Overall score",
        "Strengths",
        "Opportunities",
        "Rubric scores",
        "Justification",
        "Comments on passages",
        "Comments on the previous version",
        "Writing metrics",
        "Words per sentence",
        "Counted from the text, not judged",
        "Progress",
        "(this report)",
        "Changes since the previous version",
        "Text changes:",
        "Your memo",
        "Provenance",
        "Feedback by",
        "Report generated",
        "Page 1 of",  # the running footer
    ),
    "es": (
        "INFORME DE COMENTARIOS",
        "Puntuación general",
        "Puntos fuertes",
        "Oportunidades de mejora",
        "Puntuaciones de la rúbrica",
        "Justificación",
        "Comentarios sobre pasajes",
        "Comentarios de la versión anterior",
        "Métricas de redacción",
        "Palabras por frase",
        "Contadas en el texto, no juzgadas",
        "Progreso",
        "(este informe)",
        "Cambios desde la versión anterior",
        "Cambios en el texto:",
        "Su memorando",
        "Procedencia",
        "Comentarios de",
        "Informe generado",
        "Página 1 de",
    ),
}


async def report(api: Api, evaluation_id: str, headers: dict[str, str]) -> bytes:
    response = await api.client.get(f"/api/v1/export/pdf/{evaluation_id}", headers=headers)
    assert response.status_code == 200, response.text[:500]
    return response.content


def pdftotext(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return flat(done.stdout.decode("utf-8"))


async def test_a_spanish_readers_report_is_in_spanish(api: Api, db_url: str) -> None:
    first = await api.evaluate(SPANISH_MEMO, title="Sensores de caídas", language="es")
    second = await api.evaluate(
        REVISED, title="Sensores de caídas, v2", revision_of=first["id"], language="es"
    )
    spanish_pdf = await report(api, second["id"], SPANISH)
    english_pdf = await report(api, second["id"], {"Accept-Language": "en"})
    spanish, english = pdftotext(spanish_pdf), pdftotext(english_pdf)
    assert extract(spanish_pdf) == flat(extract(spanish_pdf))  # pypdf reads it too

    for heading in HEADINGS["es"]:
        assert heading in spanish, heading
    for heading in HEADINGS["en"]:
        assert heading not in spanish, heading
        assert heading in english, heading
    assert "Sube" in spanish or "Baja" in spanish or "La misma puntuación" in spanish
    overall = f"{second['overall_score']:.1f}"
    assert f"{overall.replace('.', ',')} / 5" in spanish and f"{overall} / 5" in english
    # Dates by Babel: the evaluation's day and month as each reader writes them.
    evaluated = datetime.fromisoformat(second["created_at"].replace("Z", "+00:00"))
    for language, text in (("es", spanish), ("en", english)):
        day = format_datetime(evaluated, "d MMM y", locale=language)
        assert day in text, (language, day)
    assert OFFLINE in spanish and "offline analysis" not in spanish
    if db_url.startswith("sqlite"):
        assert render_png(spanish_pdf, "report-spanish")


async def test_the_csv_header_follows_the_readers_language(api: Api) -> None:
    await api.evaluate(SPANISH_MEMO, title="Sensores", language="es")
    english = await api.client.get("/api/v1/export/history.csv")
    api.client.cookies.set("memoai_lang", "es")
    spanish = await api.client.get("/api/v1/export/history.csv")
    api.client.cookies.delete("memoai_lang")
    by_header = await api.client.get("/api/v1/export/history.csv", headers=SPANISH)
    assert by_header.content == spanish.content

    def table(body: bytes) -> list[list[str]]:
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))

    english_rows, spanish_rows = table(english.content), table(spanish.content)
    header = spanish_rows[0]
    assert english_rows[0][:4] == ["id", "created_at", "status", "title"]  # scripts read these
    assert header[:4] == ["Id. de la evaluación", "Evaluada el (UTC)", "Estado", "Título"]
    assert "Palabras" in header and "Petición explícita" in header and "Modelo" in header
    assert not {"id", "created_at", "title", "words", "provider"} & set(header)
    ask = english_rows[0].index("has_explicit_ask")
    assert english_rows[1][ask] == "yes" and spanish_rows[1][ask] == "sí"
    assert len(header) == len(english_rows[0]) and spanish_rows[1][0] == english_rows[1][0]


async def test_the_exports_errors_are_in_the_readers_language(api: Api) -> None:
    done = await api.evaluate(SPANISH_MEMO, language="es")
    async with api.app.state.db.sessions() as db:
        await db.execute(
            update(Evaluation)
            .where(Evaluation.id == uuid.UUID(done["id"]))
            .values(status="failed", error_code="LLM_TIMEOUT")
        )
        await db.commit()
    path = f"/api/v1/export/pdf/{done['id']}"
    spanish = (await api.client.get(path, headers=SPANISH)).json()["errors"][0]
    english = (await api.client.get(path)).json()["errors"][0]
    assert spanish["code"] == english["code"] == "CONFLICT"
    assert spanish["message"] == (
        "La evaluación está en estado «failed»; el informe estará disponible cuando termine."
    )
    assert english["message"].endswith("a report is available once it completes.")
    lonely = await api.evaluate(SPANISH_MEMO + "\nOtro.", language="es")
    missing = await api.client.get(f"/api/v1/progress/revisions/{lonely['id']}", headers=SPANISH)
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"].startswith("Este memorando aún no tiene")
