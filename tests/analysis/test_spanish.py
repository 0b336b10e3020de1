"""The Spanish rules of the offline analyser: splitting, syllables and readability, passive
voice, the ask, figures, hedging and headers; feedback written in Spanish throughout."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from memoai.analysis import segments, spanish
from memoai.analysis.findings import find
from memoai.analysis.metrics import compute_metrics, count_figures, is_ask, profile_memo
from memoai.analysis.offline import analyse
from memoai.analysis.text import split_sentences, words
from memoai.analysis.wording import SPANISH, count, tr
from tests.analysis.rubrics import funding_rubric

ANALYSIS = Path(spanish.__file__).parent
MEMO = """Para: Comité de Dirección
De: Laura Gómez, Jefa de Enfermería
Fecha: 3 de marzo de 2026
Asunto: Sensores de caídas, decisión antes del 31 de marzo

Solicitamos su aprobación de 84.000 € para instalar sensores de caídas en la planta 5.

El año pasado se registraron 46 caídas en la unidad, según el sistema de incidencias. El piloto
redujo las caídas un 38 %. La inversión se recupera en nueve meses y ahorra 120.000 € al año.

Riesgos
- El personal podría ignorar las alarmas: formaremos a cada turno.
- Los sensores pueden fallar.
"""


def test_sentences_split_at_spanish_stops_not_at_abbreviations() -> None:
    text = (
        "La Dra. Ruiz y el Sr. Pérez lo revisaron, p. ej. en la planta 3. ¿Podemos empezar en "
        "abril? ¡Sí! Costará aprox. 5.000 €. fin del texto."
    )
    quoted = [text[a:b] for a, b in split_sentences(text, spanish.TEXT)]
    assert quoted == [
        "La Dra. Ruiz y el Sr. Pérez lo revisaron, p. ej. en la planta 3.",
        "¿Podemos empezar en abril?",
        "¡Sí!",
        "Costará aprox. 5.000 €.",
        "fin del texto.",
    ]


def test_spanish_memo_headers_are_recognised() -> None:
    metrics = compute_metrics(MEMO, "es")
    assert metrics.headers_found == ("To", "From", "Date", "Subject") and metrics.has_headers
    assert compute_metrics(MEMO, "en").headers_found == ()  # English rules do not read them
    structure = " ".join(
        s["justification"]
        for s in analyse(MEMO, funding_rubric(), "es")["rubric_scores"]
        if s["criterion_id"] == "structure"
    )
    assert "Encabezados del memorando: Para, De, Fecha, Asunto." in structure


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("casa", 2),
        ("ciudad", 2),  # ciu- is a diphthong
        ("poema", 3),  # o-e: two strong vowels are said apart
        ("día", 2),  # an accented í breaks the diphthong
        ("raíz", 2),
        ("guía", 2),  # the u of gui is not said
        ("que", 1),
        ("pingüino", 3),
        ("presupuesto", 4),
        ("aprobación", 4),
        ("muy", 1),
        ("2026", 1),
    ],
)
def test_spanish_syllables(word: str, expected: int) -> None:
    assert spanish.syllables(word) == expected


def test_fernandez_huerta_reading_ease_and_its_grade() -> None:
    # 206.84 - 60 * 20/10 - 1.02 * 10/1 = 76.64: the 70-80 band, 6th to 7th grade.
    grade, ease = spanish.readability(1, 10, 20)
    assert ease == pytest.approx(76.6)
    assert 6.0 < grade < 7.0
    assert spanish.readability(0, 0, 0) == (0.0, 0.0)
    hard_grade, hard_ease = spanish.readability(1, 60, 200)  # long words, one long sentence
    assert hard_ease == 0.0 and hard_grade == 18.0
    metrics = compute_metrics("El plan es bueno. La sala abre hoy. Todo va bien.", "es")
    assert metrics.flesch_reading_ease > 90 and metrics.readability_grade < 6


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("El presupuesto fue aprobado por la junta.", "fue aprobado"),
        ("Los sensores serán instalados en marzo.", "serán instalados"),
        ("Las camas han sido revisadas.", "sido revisadas"),
        ("El informe fue escrito por Farmacia.", "fue escrito"),
        ("Se instalarán los sensores en abril.", "se instalarán"),
        ("Se aprobó el presupuesto ayer.", "se aprobó"),
        ("El sistema es rápido.", None),  # an adjective, accented before -ido
        ("La propuesta es adecuada.", None),
        ("Se trata de un cambio menor.", None),  # "se trata de": not the passive
        ("Se lo explicamos ayer.", None),
        ("El equipo que se reúne cada lunes decide.", None),
        ("La inversión se recupera en nueve meses.", None),  # middle voice, subject first
        ("El año pasado se registraron 46 caídas.", "se registraron"),
        ("Aprobamos el presupuesto.", None),
    ],
)
def test_passive_voice_ser_and_se(sentence: str, phrase: str | None) -> None:
    assert spanish.passive_phrase(words(sentence.lower())) == phrase


@pytest.mark.parametrize(
    ("sentence", "ask"),
    [
        ("Solicitamos su aprobación de 84.000 € para los sensores.", True),
        ("Les pido que aprueben los 96.000 € antes del 20 de febrero.", True),
        ("Recomendamos crear un equipo de refuerzo nocturno.", True),
        ("Por favor, aprueben la compra antes de abril.", True),
        ("Nos gustaría ampliar el piloto a dos plantas.", True),
        ("Recomendación: ampliar el piloto.", True),
        ("Necesitamos mejorar cómo repartimos la medicación.", False),  # only a wish
        ("El piloto redujo las caídas un 38 %.", False),
    ],
)
def test_the_explicit_ask(sentence: str, ask: bool) -> None:
    assert is_ask(sentence.lower(), spanish) is ask


def test_figures_use_the_spanish_thousands_point_and_decimal_comma() -> None:
    assert count_figures("Cuesta 84.000 € y ahorra un 38 % en 3,5 años.", spanish) == 3
    assert count_figures("La planta 5 y la sala 12 abren.", spanish) == 0  # names, not measures
    f = find("Solicitamos la aprobación del proyecto.\n\nEl coste total es de 1.250.000 €.", "es")
    assert f.amount_elsewhere == "1.250.000 €"


def test_hedges_deadlines_sources_and_risks() -> None:
    f = find(MEMO, "es")
    assert f.ask is not None and f.ask_has_amount and f.deadline_where == "the subject line"
    assert f.sourced == 1 and f.return_terms == ("se recupera",)
    assert len(f.risks) == 2 and len(f.unmitigated_risks) == 1
    assert profile_memo(MEMO, "es").quote(f.unmitigated_risks[0]) == "Los sensores pueden fallar."
    hedged = find("Quizás podríamos revisar el plan. Creo que tal vez funcione, más o menos.", "es")
    assert hedged.hedges == ("quizás", "podríamos", "creo que", "tal vez", "más o menos")
    assert find("Podría haber algunas dificultades.", "es").risk_findings.hedged


def test_a_spanish_memo_gets_spanish_feedback_everywhere() -> None:
    out = analyse(MEMO, funding_rubric(humour=True), "es")
    texts = [*out["strengths"], *out["opportunities"]]
    texts += [s["justification"] for s in out["rubric_scores"]]
    for item in out["segment_feedback"]:
        texts += [item["comment"], item["suggestion"], *item["questions"]]
    english = set(SPANISH) | {t for t, _ in _segment_templates()}
    for text in texts:
        assert not any(e.split("{")[0] in text for e in english if len(e.split("{")[0]) > 12)
    joined = " ".join(texts)
    assert "Voz pasiva («se registraron»)" in joined
    assert "Esto nombra un riesgo sin decir cómo lo reducirá o gestionará." in joined
    assert "El análisis sin conexión no puede valorar Humour" in joined  # the rubric's own name
    assert not re.search(r"\b(?:the|and|with|memo has)\b", joined)


def test_spanish_decimals_take_a_comma() -> None:
    text = "Easy to read: sentences average {msl} words and the reading grade is {grade}."
    assert tr(text, "es", msl=15.9, grade=6.7) == (
        "Fácil de leer: las oraciones tienen 15,9 palabras de media y el nivel de lectura es 6,7."
    )
    assert tr(text, "en", msl=15.9, grade=6.7).endswith("15.9 words and the reading grade is 6.7.")
    assert "84.000 €" in tr(
        "Claims are backed by numbers: {figures} in {words}, such as {listed}.",
        "es",
        figures="3 cifras",
        words="90 palabras",
        listed="84.000 €",
    )


def test_counts_agree_in_spanish() -> None:
    assert count(1, "sentence", "es") == "1 oración"
    assert count(3, "claim", "es") == "3 afirmaciones"
    assert count(2, "word") == "2 words"


def _segment_templates() -> list[tuple[str, str]]:
    found = []
    for issue in segments._TEMPLATES.values():
        found += [(issue.comment, "segments"), (issue.question, "segments")]
        found.append((issue.suggestion, "segments"))
    return found


def _templates_in_source() -> list[tuple[str, str]]:
    """Every literal template passed to tr() in the analyser and the offline chat."""
    files = [*ANALYSIS.glob("*.py"), ANALYSIS.parent / "llm" / "offline.py"]
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr":
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append((first.value, path.name))
                elif isinstance(first, ast.IfExp):
                    found += [
                        (branch.value, path.name)
                        for branch in (first.body, first.orelse)
                        if isinstance(branch, ast.Constant)
                    ]
    return found


# Templates chosen at run time: where a decision date was found.
RUNTIME_TEMPLATES = ["the request", "the subject line", "the memo"]


def test_every_template_has_a_spanish_entry_that_differs() -> None:
    templates = _templates_in_source() + _segment_templates()
    templates += [(t, "findings.py") for t in RUNTIME_TEMPLATES]
    assert len(templates) > 90
    missing = [(t, where) for t, where in templates if t not in SPANISH]
    assert missing == []
    same = [t for t, _ in templates if SPANISH[t].strip() == t.strip()]
    assert same == []
    for template, _ in templates:  # the same fields, so no value is lost or invented
        fields = set(re.findall(r"{(\w+)", template))
        spanish_fields = set(re.findall(r"{(\w+)", SPANISH[template]))
        # Spanish readability is Fernández Huerta's ease, so its sentence also names the ease.
        assert fields <= spanish_fields <= fields | {"ease"}, template
    assert tr("Write the memo in full sentences.", "es") != tr(
        "Write the memo in full sentences.", "en"
    )
