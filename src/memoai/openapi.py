"""The API's OpenAPI document, as checked into docs/openapi.json.

    python -m memoai.openapi > docs/openapi.json

Built from `create_app` with fixed development settings, so the document does not depend on
the environment it is generated in. A test fails when the file is out of step with the code.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from memoai.app import create_app
from memoai.settings import load_settings

REGENERATE = "python -m memoai.openapi > docs/openapi.json"


def document() -> dict[str, Any]:
    """The OpenAPI document every route contributes to."""
    settings = load_settings(app_env="development", openapi_docs=True, database_url="sqlite://")
    return create_app(settings).openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render(document()))


if __name__ == "__main__":
    main()
