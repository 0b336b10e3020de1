"""Progress texts in the reader's language: the API's headline and comment counts (from the
memoai_lang cookie, else Accept-Language), and the charts' words, months and numbers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from memoai import translations
from memoai.language import Language
from memoai.progress import charts
from tests.progress.conftest import Api
from tests.progress.samples import progress
from tests.progress.test_api import MEMO, REVISED

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}


@contextmanager
def reading(language: Language) -> Iterator[None]:
    token = translations.use(language)
    try:
        yield
    finally:
        translations.reset(token)


async def test_the_progress_headline_and_counts_follow_the_readers_language(api: Api) -> None:
    first = await api.evaluate(MEMO, title="Intake")
    second = await api.evaluate(REVISED, revision_of=first["id"])
    assert "previous version of this memo" in second["progress_summary"]["headline"]
    path = f"/api/v1/evaluations/{second['id']}"

    by_header = (await api.client.get(path, headers=SPANISH)).json()["data"]
    api.client.cookies.set("memoai_lang", "es")
    by_cookie = (await api.client.get(path, headers={"Accept-Language": "en"})).json()["data"]
    api.client.cookies.delete("memoai_lang")
    english = (await api.client.get(path)).json()["data"]

    for spanish in (by_header, by_cookie):
        headline = spanish["progress_summary"]["headline"]
        assert "versión anterior de este memorando" in headline, headline
        assert "previous" not in headline
        counts = spanish["comment_counts"]
        assert counts["text"].startswith(f"0 de {counts['total']} comentario"), counts["text"]
        report = spanish["revision_report"]
        assert "de la versión anterior" in report["text"] and "usted marcó" in report["text"]
        assert report["addressed_by"].startswith("regla:")
    assert english["progress_summary"]["headline"] == second["progress_summary"]["headline"]
    assert " comment" in english["comment_counts"]["text"]
    assert english["revision_report"]["addressed_by"].startswith("rule:")
    first_es = (await api.client.get(f"/api/v1/evaluations/{first['id']}", headers=SPANISH)).json()
    assert first_es["data"]["progress_summary"]["headline"].startswith("La primera versión")


def test_charts_speak_spanish_with_spanish_months_and_decimals() -> None:
    data = progress("1.0:a", "1.0:a", "1.1:b", "1.1:b")
    with reading("en"):
        english = charts.all_charts(data, interactive=True)
    with reading("es"):
        spanish = charts.all_charts(data, interactive=True)
    overall = spanish[0]
    assert overall.title != english[0].title and "Overall" not in overall.title
    assert "4 evaluaciones del 01 mar 2025 al 04 mar 2025" in overall.description
    assert "4 evaluations from 01 Mar 2025 to 04 Mar 2025" in english[0].description
    assert "Rúbrica 1.0:a (anterior)" in overall.svg and "Rúbrica 1.1:b (actual)" in overall.svg
    assert "Última 3,5, primera 3,0, mejor 3,5" in overall.description
    assert "Latest 3.5, first 3.0, best 3.5" in english[0].description
    assert "1 mar" in overall.svg and "Mar" not in overall.svg.replace("Marzo", "")
    metrics = spanish[2]
    assert "Palabras" in metrics.columns and "Words" not in metrics.columns
    frequency = spanish[3]
    assert frequency.description.startswith("4 evaluaciones en 1 semana;")
    assert "Semana que empieza el 1 mar 2025: 4 evaluaciones" in frequency.svg
    for chart in spanish:
        for english_word in (" evaluations", "Latest", "Rubric ", " from ", "Week starting"):
            assert english_word not in chart.description + chart.svg, (chart.id, english_word)
