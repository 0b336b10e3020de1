"""The docs keep up with the code: every route, error code and setting is written down."""

from __future__ import annotations

import json
import re
from pathlib import Path

from memoai import openapi
from memoai.api import ErrorCode
from memoai.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
METHODS = "GET|POST|PUT|PATCH|DELETE"
# A row of a table in docs/api.md that names an operation or an error code in its first cell.
OPERATION_ROW = re.compile(rf"^\| `({METHODS}) (/[^`]*)`", re.MULTILINE)
CODE_ROW = re.compile(r"^\| `([A-Z][A-Z_]+)` \|", re.MULTILINE)


def operations(document: dict[str, object]) -> set[str]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def test_openapi_json_is_the_apps_document() -> None:
    """docs/openapi.json is what the code declares: regenerate it when a route changes."""
    checked_in = (ROOT / "docs/openapi.json").read_text()
    assert checked_in == openapi.render(openapi.document()), (
        f"docs/openapi.json is out of date; regenerate it with: {openapi.REGENERATE}"
    )


def test_api_doc_describes_every_operation_and_no_other() -> None:
    text = (ROOT / "docs/api.md").read_text()
    documented = operations(json.loads((ROOT / "docs/openapi.json").read_text()))
    described = {f"{method} {path}" for method, path in OPERATION_ROW.findall(text)}
    assert not documented - described, f"missing from docs/api.md: {sorted(documented - described)}"
    assert not described - documented, f"not in docs/openapi.json: {sorted(described - documented)}"


def test_api_doc_lists_every_error_code_and_no_other() -> None:
    listed = set(CODE_ROW.findall((ROOT / "docs/api.md").read_text()))
    codes = {code.value for code in ErrorCode}
    assert not codes - listed, f"error codes missing from docs/api.md: {sorted(codes - listed)}"
    assert not listed - codes, f"docs/api.md lists unknown error codes: {sorted(listed - codes)}"


def test_every_setting_is_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in text, f"{name.upper()} missing from .env.example"
