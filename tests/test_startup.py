"""Start-up stays lean: every server process and CLI command imports the app, and the provider
SDKs and the PDF renderer take seconds to import. They load when first used."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("anthropic", "openai", "fpdf", "fontTools", "uharfbuzz")


def test_importing_the_app_loads_no_provider_sdk_nor_the_pdf_renderer() -> None:
    code = f"import sys, memoai.app; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_provider_error_is_classified_once_its_sdk_is_loaded() -> None:
    import httpx
    import openai

    from memoai.llm.retry import classify

    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    failure = classify(openai.APIConnectionError(request=request))
    assert failure is not None and failure.retry
    assert classify(ValueError("not a provider's")) is None
