"""How far the offline analyser agrees with careful readers, on the labelled memos of tests/data.

For each language of the set (English, Spanish) and each half (tuning, held out) it prints, per
criterion and for the overall score (the weighted mean rounded to the scale's levels):
quadratic weighted kappa (QWK), exact and adjacent agreement with the labels, and how many
criteria were not assessed. It then judges the analyser's findings against the facts annotated
in the set (never against the analyser's own rules) and prints the contradiction rate, listing
every contradiction.

    .venv/bin/python bench/offline_agreement.py [--split tuning|held_out|all]
        [--language en|es|all] [--memos]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ruamel.yaml import YAML  # noqa: E402

from memoai.analysis.offline import analyse  # noqa: E402
from memoai.configs.schemas import Rubric  # noqa: E402

SET_DIR = ROOT / "tests" / "data" / "offline_set"
RUBRIC = ROOT / "config" / "rubric.yaml"
SPLITS = ("tuning", "held_out")
LANGUAGES = {"en": "English", "es": "Spanish"}
OVERALL = "overall"


@dataclass(frozen=True)
class Labelled:
    id: str
    brief: str
    kind: str
    split: str
    band: str
    levels: dict[str, int]
    facts: dict[str, Any]
    text: str
    language: str = "en"


@dataclass
class Result:
    memo: Labelled
    scores: dict[str, int | None]  # criterion id (and "overall") -> analyser level
    findings: list[str]
    segments: list[dict[str, Any]]
    seconds: float
    contradictions: list[str] = field(default_factory=list)
    claims: int = 0


def load_rubric(path: Path = RUBRIC) -> Rubric:
    return Rubric(**YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def load_set(directory: Path = SET_DIR) -> list[Labelled]:
    """Every labelled memo, brief by brief."""
    memos = []
    for path in sorted(directory.glob("*.yaml")):
        brief = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for entry in brief["memos"]:
            memos.append(
                Labelled(
                    id=entry["id"],
                    brief=brief["brief"],
                    kind=brief["kind"],
                    split=brief["split"],
                    band=entry["band"],
                    levels=dict(entry["levels"]),
                    facts=dict(entry.get("facts") or {}),
                    text=entry["text"],
                    language=brief.get("language", "en"),
                )
            )
    return memos


def overall_level(scores: dict[str, int | None], rubric: Rubric) -> int | None:
    """The weighted mean of the assessed criteria, rounded half up to a level of the scale."""
    judged = [(c.weight, scores.get(c.id)) for c in rubric.criteria]
    judged_ok = [(w, s) for w, s in judged if s is not None]
    total = sum(w for w, _ in judged_ok)
    if not judged_ok or total <= 0:
        return None
    mean = sum(w * s for w, s in judged_ok) / total
    return math.floor(mean + 0.5 + 1e-9)


def run(memo: Labelled, rubric: Rubric) -> Result:
    started = time.perf_counter()
    out = analyse(memo.text, rubric, memo.language)
    seconds = time.perf_counter() - started
    scores: dict[str, int | None] = {
        s["criterion_id"]: (s["score"] if s["assessed"] else None) for s in out["rubric_scores"]
    }
    scores[OVERALL] = overall_level(scores, rubric)
    findings = [*out["strengths"], *out["opportunities"]]
    findings += [s["justification"] for s in out["rubric_scores"]]
    result = Result(memo, scores, findings, out["segment_feedback"], seconds)
    result.claims, result.contradictions = judge(memo, findings, out["segment_feedback"])
    return result


# --- agreement ----------------------------------------------------------------------------


def qwk(labels: list[int], predicted: list[int], low: int, high: int) -> float:
    """Cohen's kappa with quadratic weights over the levels low..high."""
    k = high - low + 1
    n = len(labels)
    if n == 0:
        return float("nan")
    observed = [[0.0] * k for _ in range(k)]
    for a, b in zip(labels, predicted, strict=True):
        observed[a - low][b - low] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    num = den = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            num += weight * observed[i][j]
            den += weight * rows[i] * cols[j] / n
    return 1.0 if den == 0 else 1 - num / den


@dataclass(frozen=True)
class Row:
    name: str
    qwk: float
    exact: float
    adjacent: float
    judged: int
    not_assessed: int


def agreement(results: list[Result], rubric: Rubric) -> list[Row]:
    """One row per criterion, then the overall score."""
    low, high = rubric.scale.min, rubric.scale.max
    rows = []
    for cid, name in [(c.id, c.name) for c in rubric.criteria] + [(OVERALL, "Overall")]:
        pairs = []
        for r in results:
            label = (
                overall_level(dict(r.memo.levels), rubric) if cid == OVERALL else r.memo.levels[cid]
            )
            if r.scores.get(cid) is not None and label is not None:
                pairs.append((label, r.scores[cid]))
        labels = [a for a, _ in pairs]
        predicted = [b for _, b in pairs]
        n = max(1, len(pairs))
        rows.append(
            Row(
                name=name,
                qwk=qwk(labels, predicted, low, high),  # type: ignore[arg-type]
                exact=sum(a == b for a, b in pairs) / n,
                adjacent=sum(abs(a - b) <= 1 for a, b in pairs) / n,  # type: ignore[operator]
                judged=len(pairs),
                not_assessed=len(results) - len(pairs),
            )
        )
    return rows


# --- contradictions -----------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _risk_in(sentence: str, facts: dict[str, Any]) -> dict[str, Any] | None:
    """The annotated risk a sentence states, if any."""
    flat = _norm(sentence)
    for risk in facts.get("risks") or []:
        if _norm(risk["risk"]) in flat:
            return risk
    return None


def _sentence_at(text: str, quote: str) -> str:
    """The memo's sentence that a (possibly clipped) quote starts."""
    prefix = _norm(quote.rstrip("…"))
    flat = _norm(text)
    at = flat.find(prefix)
    if at < 0:
        return quote
    end = flat.find(". ", at + len(prefix) - 1)
    return flat[at : end if end > 0 else len(flat)]


Check = Callable[[re.Match[str], Labelled], str | None]


def _needs(key: str, why: str) -> Check:
    """Contradicted when the annotated fact `key` is present."""

    def check(match: re.Match[str], memo: Labelled) -> str | None:
        value = memo.facts.get(key)
        return f"{why} (annotated: {value!r})" if value else None

    return check


def _missing_headers(match: re.Match[str], memo: Labelled) -> str | None:
    named = {h.strip() for h in match.group(1).split(",")}
    present = named & set(memo.facts.get("headers") or [])
    return f"says header lines {sorted(present)} are missing" if present else None


_SPANISH_HEADERS = {"Para": "To", "De": "From", "Fecha": "Date", "Asunto": "Subject"}


def _missing_headers_es(match: re.Match[str], memo: Labelled) -> str | None:
    named = {_SPANISH_HEADERS.get(h.strip(), h.strip()) for h in match.group(1).split(",")}
    present = named & set(memo.facts.get("headers") or [])
    return f"says header lines {sorted(present)} are missing" if present else None


def _all_mitigated(match: re.Match[str], memo: Labelled) -> str | None:
    open_risks = [r["risk"] for r in memo.facts.get("risks") or [] if not r.get("mitigation")]
    return f"praises every risk as mitigated, but {open_risks} are not" if open_risks else None


def _unmitigated(match: re.Match[str], memo: Labelled) -> str | None:
    sentence = _sentence_at(memo.text, match.group(1))
    risk = _risk_in(sentence, memo.facts)
    if risk is None:
        return f"calls “{match.group(1)}” an unmitigated risk, but it states no risk"
    if risk.get("mitigation"):
        return f"says “{risk['risk']}” has no mitigation, but it has: {risk['mitigation']!r}"
    return None


def _praise_of_padding(match: re.Match[str], memo: Labelled) -> str | None:
    return "praises the writing of a memo that repeats itself" if memo.facts.get("padded") else None


def _sentence_count(match: re.Match[str], memo: Labelled) -> str | None:
    expected = memo.facts.get("sentences")
    if not expected:
        return None
    implied = len(memo.text.split()) / float(match.group(1).replace(",", "."))
    if 0.6 * expected <= implied <= 1.6 * expected:
        return None
    return f"reads about {implied:.0f} sentences, the memo has {expected}"


# (pattern over one finding, check): a finding that matches makes a claim the facts can refute.
CLAIMS: list[tuple[re.Pattern[str], Check]] = [
    (
        re.compile(r"does not give a date|add (?:the amount and )?the date|no decision date", re.I),
        _needs("decision_date", "says the memo gives no decision date"),
    ),
    (
        re.compile(r"does not name an amount|add the amount", re.I),
        _needs("ask_amount", "says the request names no amount"),
    ),
    (
        re.compile(r"no explicit request|never states an explicit request", re.I),
        _needs("ask", "says there is no explicit request"),
    ),
    (re.compile(r"no risks named|name the main risks", re.I), _needs("risks", "says no risks")),
    (re.compile(r"each with a mitigation|with its mitigation", re.I), _all_mitigated),
    (re.compile(r"without a mitigation \(“([^”]+)”\)"), _unmitigated),
    (re.compile(r"missing memo header lines: ([^.]+)\."), _missing_headers),
    (re.compile(r"Memo headers: none"), _needs("headers", "says there are no header lines")),
    (
        re.compile(r"return measure: none|State the return", re.I),
        _needs("payback", "says no return is stated"),
    ),
    (
        re.compile(r"\b0 sentences naming a source|Say where your figures come from", re.I),
        _needs("sources", "says no source is named"),
    ),
    (
        re.compile(r"Easy to read|Confident, plain wording|Mostly active voice|easy for a busy"),
        _praise_of_padding,
    ),
    (re.compile(r"Sentences average ([\d.]+) words"), _sentence_count),
]
# The same claims as the Spanish feedback words them (analysis/wording_es.py).
CLAIMS += [
    (
        re.compile(r"no da una fecha para la decisión|añada (?:el importe y )?la fecha", re.I),
        _needs("decision_date", "says the memo gives no decision date"),
    ),
    (
        re.compile(r"no indica un importe|añada el importe", re.I),
        _needs("ask_amount", "says the request names no amount"),
    ),
    (
        re.compile(
            r"ninguna solicitud ni recomendación explícita|nunca formula una solicitud", re.I
        ),
        _needs("ask", "says there is no explicit request"),
    ),
    (
        re.compile(r"no se nombra ningún riesgo|nombre los riesgos principales", re.I),
        _needs("risks", "says no risks"),
    ),
    (re.compile(r"cada uno con su mitigación|nombrados, con su mitigación", re.I), _all_mitigated),
    (re.compile(r"sin mitigación \(«([^»]+)»\)"), _unmitigated),
    (re.compile(r"líneas de encabezado que faltan: ([^.]+)\."), _missing_headers_es),
    (
        re.compile(r"Encabezados del memorando: ninguno"),
        _needs("headers", "says there are no header lines"),
    ),
    (
        re.compile(r"medida del retorno: ninguno|Indique el retorno", re.I),
        _needs("payback", "says no return is stated"),
    ),
    (
        re.compile(r"\b0 oraciones con fuente|Indique de dónde salen sus cifras", re.I),
        _needs("sources", "says no source is named"),
    ),
    (
        re.compile(
            r"Fácil de leer|Redacción segura y llana|Predomina la voz activa"
            r"|recorrerlo de un vistazo"
        ),
        _praise_of_padding,
    ),
    (re.compile(r"Las oraciones tienen ([\d,]+) palabras de media"), _sentence_count),
]
_PASSIVE = re.compile(r"Passive voice \(“([^”]+)”\)|Voz pasiva \(«([^»]+)»\)")
_RISK_SEGMENT = re.compile(r"names a risk without saying how|nombra un riesgo sin decir cómo")


def judge(
    memo: Labelled, findings: list[str], segments: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """How many findings make a checkable claim, and the claims the annotated facts refute."""
    claims, wrong = 0, []
    for finding in findings:
        for pattern, check in CLAIMS:
            for match in pattern.finditer(finding):
                claims += 1
                problem = check(match, memo)
                if problem:
                    wrong.append(problem)
    for item in segments:
        comment = item["comment"]
        for match in _PASSIVE.finditer(comment):
            claims += 1
            phrase = match.group(1) or match.group(2)
            fixed = [p for p in memo.facts.get("not_passive") or [] if phrase in p]
            inside = [p for p in fixed if _norm(p) in _norm(item["segment"])]
            if inside:
                wrong.append(f"calls the fixed phrase “{inside[0]}” passive voice")
        if _RISK_SEGMENT.search(comment):
            claims += 1
            risk = _risk_in(item["segment"], memo.facts)
            if risk is None:
                wrong.append(f"calls “{item['segment'][:60]}” a risk, but it states none")
            elif risk.get("mitigation"):
                wrong.append(f"says “{risk['risk']}” has no mitigation ({risk['mitigation']!r})")
    return claims, [f"{memo.id}: {w}" for w in wrong]


# --- report -------------------------------------------------------------------------------


def evaluate(memos: Iterable[Labelled], rubric: Rubric) -> list[Result]:
    return [run(m, rubric) for m in memos]


def table(rows: list[Row]) -> str:
    lines = [
        "| criterion | QWK | exact | adjacent | judged | not assessed |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        kappa = "n/a" if math.isnan(r.qwk) else f"{r.qwk:.2f}"
        lines.append(
            f"| {r.name} | {kappa} | {r.exact:.0%} | {r.adjacent:.0%} | {r.judged} "
            f"| {r.not_assessed} |"
        )
    return "\n".join(lines)


def contradiction_summary(results: list[Result]) -> tuple[int, int, list[str]]:
    claims = sum(r.claims for r in results)
    wrong = [c for r in results for c in r.contradictions]
    return claims, len(wrong), wrong


def report(results: list[Result], rubric: Rubric, title: str, memos: bool = False) -> str:
    claims, wrong, listing = contradiction_summary(results)
    rate = wrong / claims if claims else 0.0
    times = [r.seconds * 1000 for r in results]
    out = [
        f"## {title} ({len(results)} memos)",
        "",
        table(agreement(results, rubric)),
        "",
        f"Contradicted findings: {wrong} of {claims} checkable claims (rate {rate:.1%}).",
        *[f"- {line}" for line in listing],
        f"Analysis time per memo: mean {statistics.fmean(times):.1f} ms, max {max(times):.1f} ms.",
    ]
    if memos:
        out += ["", "| memo | " + " | ".join(c.id for c in rubric.criteria) + " | overall |"]
        for r in results:
            cells = [
                f"{r.memo.levels[c.id]}→{r.scores[c.id] if r.scores[c.id] is not None else '-'}"
                for c in rubric.criteria
            ]
            label = overall_level(dict(r.memo.levels), rubric)
            out.append(f"| {r.memo.id} | {' | '.join(cells)} | {label}→{r.scores[OVERALL]} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--language", choices=(*LANGUAGES, "all"), default="all")
    parser.add_argument("--memos", action="store_true", help="print label→score for every memo")
    args = parser.parse_args(argv)
    rubric = load_rubric()
    labelled = load_set()
    languages = LANGUAGES if args.language == "all" else (args.language,)
    for language in languages:
        for split in SPLITS if args.split == "all" else (args.split,):
            chosen = [m for m in labelled if m.split == split and m.language == language]
            if not chosen:
                continue
            title = f"{LANGUAGES[language]}, {split.replace('_', '-')}"
            print(report(evaluate(chosen, rubric), rubric, title, memos=args.memos))
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
