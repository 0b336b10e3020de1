"""The agreement harness runs on the labelled set (tests/data) and the analyser meets its goals
on both halves of each language; memos of one brief keep the order a careful reader gives them."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from bench.offline_agreement import (
    SPLITS,
    Labelled,
    Result,
    agreement,
    evaluate,
    load_rubric,
    load_set,
    main,
    qwk,
)

from memoai.configs.schemas import Rubric

BANDS = ("poor", "middling", "strong")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


# language: (memos at least, memos per half at least)
SIZES = {"en": (40, 20), "es": (15, 7)}


@pytest.fixture(scope="module")
def everything() -> list[Labelled]:
    return load_set()


@pytest.fixture(scope="module", params=sorted(SIZES))
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def labelled(everything: list[Labelled], language: str) -> list[Labelled]:
    return [m for m in everything if m.language == language]


@pytest.fixture(scope="module")
def results(labelled: list[Labelled], rubric: Rubric) -> list[Result]:
    return evaluate(labelled, rubric)


def test_the_set_is_large_balanced_and_fully_labelled(
    labelled: list[Labelled], rubric: Rubric, language: str, everything: list[Labelled]
) -> None:
    total, per_half = SIZES[language]
    assert len(labelled) >= total
    assert len({m.id for m in everything}) == len(everything)
    halves = {split: [m for m in labelled if m.split == split] for split in SPLITS}
    assert set(halves) == set(SPLITS) and all(len(h) >= per_half for h in halves.values())
    briefs = {split: {m.brief for m in h} for split, h in halves.items()}
    assert not briefs["tuning"] & briefs["held_out"]  # whole briefs are held out
    assert {m.kind for m in halves["held_out"]} == {m.kind for m in halves["tuning"]}
    ids = [c.id for c in rubric.criteria]
    for memo in labelled:
        assert list(memo.levels) == ids, memo.id
        assert all(rubric.scale.min <= v <= rubric.scale.max for v in memo.levels.values())
        assert memo.band in BANDS


def test_quadratic_weighted_kappa() -> None:
    assert qwk([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 1, 5) == 1.0
    assert qwk([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], 1, 5) == -1.0
    # Two one-level misses: observed weight 2/16, expected 26/16 (worked by hand).
    assert qwk([1, 1, 5, 5], [1, 2, 4, 5], 1, 5) == pytest.approx(12 / 13)


@pytest.mark.parametrize("split", SPLITS)
def test_agreement_goals_and_no_contradicted_finding(
    split: str, results: list[Result], rubric: Rubric
) -> None:
    half = [r for r in results if r.memo.split == split]
    rows = agreement(half, rubric)
    *criteria, overall = rows
    assert overall.qwk >= 0.7, rows
    assert all(row.qwk >= 0.6 for row in criteria), rows
    assert all(row.not_assessed == 0 for row in rows)
    assert sum(r.claims for r in half) > 6 * len(half)  # the judge has findings to check
    assert [c for r in half for c in r.contradictions] == []


def test_memos_of_one_brief_keep_their_order(results: list[Result], rubric: Rubric) -> None:
    weights = {c.id: c.weight for c in rubric.criteria}
    by_brief: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in results:
        mean = sum(weights[c] * r.scores[c] for c in weights) / sum(weights.values())  # type: ignore[operator]
        by_brief[r.memo.brief][r.memo.band].append(mean)
    for brief, bands in by_brief.items():
        present = [b for b in BANDS if b in bands]
        for lower, higher in itertools.pairwise(present):
            assert max(bands[lower]) < min(bands[higher]), (brief, dict(bands))


def test_the_harness_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--split", "held_out"]) == 0
    printed = capsys.readouterr().out
    assert "| criterion | QWK | exact | adjacent | judged | not assessed |" in printed
    assert "| Overall |" in printed and "Contradicted findings: 0 of" in printed
    assert "## English, held-out (22 memos)" in printed
    assert "## Spanish, held-out (8 memos)" in printed


def test_the_harness_reports_one_language_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--language", "es"]) == 0
    printed = capsys.readouterr().out
    assert "## Spanish, tuning" in printed and "## Spanish, held-out" in printed
    assert "English" not in printed
