"""The docs keep up with the code: every route, error code and setting is written down."""

from __future__ import annotations

from pathlib import Path

from memoai.api import ErrorCode
from memoai.app import create_app
from memoai.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_api_doc_lists_every_route_and_error_code() -> None:
    text = (ROOT / "docs/api.md").read_text()
    app = create_app(load_settings())
    for path, item in app.openapi()["paths"].items():
        for method in item:
            assert f"`{method.upper()} {path}`" in text, f"{method.upper()} {path} missing"
    for code in ErrorCode:
        assert f"`{code.value}`" in text, f"{code.value} missing from docs/api.md"


def test_every_setting_is_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in text, f"{name.upper()} missing from .env.example"
