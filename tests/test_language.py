"""The writer's language from the Accept-Language header (q-values, ranges, defaults)."""

from __future__ import annotations

import pytest

from memoai.language import choose, negotiate, parse_accept_language


def test_ranges_sorted_by_quality_ties_keep_header_order() -> None:
    assert parse_accept_language("fr;q=0.5, es-MX, en;q=0.8, de") == [
        ("es-mx", 1.0),
        ("de", 1.0),
        ("en", 0.8),
        ("fr", 0.5),
    ]


def test_malformed_ranges_and_weights_are_skipped() -> None:
    header = "es;q=2, en;q=abc, x_y, ;q=0.5, pt-BR ; q = 0.7 , fr;level=1"
    assert parse_accept_language(header) == [("fr", 1.0), ("pt-br", 0.7)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("es", "es"),
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("ES-419", "es"),
        ("en-GB,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR, fr;q=0.9, es;q=0.5, en;q=0.4", "es"),
        ("en;q=0.3, es;q=0.6", "es"),
        ("de, it", "en"),  # nothing supported: the default
        ("*", "en"),
        ("en;q=0, *", "es"),  # "anything but English"
        ("es;q=0, *;q=0.5", "en"),
        ("es;q=0, es-MX", "es"),  # Mexican Spanish is still welcome
        ("es-MX;q=0, es;q=0.5", "es"),
        ("es;q=0, fr", "en"),
        ("es;q=0", "en"),
        ("garbage;;;,,,", "en"),
        ("es;q=0.000", "en"),
        ("es;q=1.000", "es"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_a_huge_header_is_cut_not_refused() -> None:
    assert negotiate("xx;q=0.1," * 5000 + "es") == "en"
    assert negotiate("es," + "xx;q=0.1," * 5000) == "es"


def test_the_explicit_field_wins_over_the_header() -> None:
    assert choose("en", "es") == "en"
    assert choose("es", None) == "es"
    assert choose(None, "es-AR") == "es"
    assert choose(None, None) == "en"
