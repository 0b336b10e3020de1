"""The writer's language: "en" or "es", from a request field or the Accept-Language header.

Evaluations and chat answer in it (the model is asked to, the offline analyser applies that
language's rules), and it is part of the key of the identical-request reuse.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

Language = Literal["en", "es"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT: Language = "en"
NAMES: dict[Language, str] = {"en": "English", "es": "Spanish (español)"}

_MAX_HEADER_CHARS = 1000  # longer headers are not a browser's; ignore the rest
_MAX_RANGES = 32
_RANGE = re.compile(r"^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)$")
_QUALITY = re.compile(r"^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$", re.IGNORECASE)


def parse_accept_language(header: str | None) -> list[tuple[str, float]]:
    """The header's language ranges with their q-values, best first (RFC 9110 §12.5.4).

    Malformed ranges are skipped rather than refused: a browser's header is never an error
    the writer can fix. Ties keep the header's order; q=0 means "not this one".
    """
    if not header:
        return []
    ranges: list[tuple[int, str, float]] = []
    for index, part in enumerate(header[:_MAX_HEADER_CHARS].split(",")[:_MAX_RANGES]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        if not _RANGE.match(tag):
            continue
        quality = 1.0
        for param in params:
            found = _QUALITY.match(param.replace(" ", ""))
            if found is None:
                if param.lower().startswith("q="):
                    quality = -1.0  # a malformed weight: drop the range
                continue
            quality = float(found.group(1))
        if quality >= 0:
            ranges.append((index, tag.lower(), quality))
    ranges.sort(key=lambda item: (-item[2], item[0]))
    return [(tag, quality) for _, tag, quality in ranges]


def negotiate(header: str | None) -> Language:
    """The supported language the header prefers most; "en" when it names none of them."""
    ranges = parse_accept_language(header)
    # "en;q=0" refuses English anywhere in the header, "*" included; "en-GB;q=0" does not.
    refused = {tag for tag, quality in ranges if quality == 0}
    for tag, quality in ranges:
        primary = tag.split("-", 1)[0]
        if quality == 0:
            continue
        if primary in LANGUAGES and (tag != primary or primary not in refused):
            return primary
        if primary == "*":
            return next((lang for lang in LANGUAGES if lang not in refused), DEFAULT)
    return DEFAULT


def choose(explicit: Language | None, header: str | None) -> Language:
    """The request's language: the body's field when given, else the Accept-Language header."""
    return explicit if explicit is not None else negotiate(header)
