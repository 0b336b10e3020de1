"""OpenAICompatProvider through the real openai SDK, over HTTP, against the fake server."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from memoai.api import ErrorCode
from memoai.llm.base import ChatMessage, EvaluationPrompt, LLMError
from memoai.llm.openai_compat import OpenAICompatProvider, without_keys
from memoai.llm.output import validate_output
from memoai.settings import load_settings
from tests.fakes.common import FakeServer, hang, malformed, ok, status
from tests.fakes.fixtures import openai_settings


async def watch(partial: dict[str, object]) -> None:
    """A progress watcher: makes the provider stream, as it does for the web page."""


@pytest.fixture
async def compat(openai_fake: FakeServer) -> AsyncIterator[OpenAICompatProvider]:
    provider = OpenAICompatProvider(openai_settings(openai_fake, llm_max_retries=2))
    yield provider
    await provider.aclose()


async def test_evaluation_streams_with_usage_and_parses(
    compat: OpenAICompatProvider, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    result = await compat.evaluate(sample_prompt, watch)
    assert sample_prompt.rubric is not None
    validated = validate_output(result.data, sample_prompt.rubric, sample_prompt.memo)
    assert len(validated.rubric_scores) == 3
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    body = openai_fake.last.body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == compat.settings.llm_temperature
    assert body["max_tokens"] == compat.settings.llm_max_tokens
    assert body["messages"] == [
        {"role": "system", "content": sample_prompt.static_system},
        {"role": "user", "content": sample_prompt.user},
    ]


async def test_cached_prompt_tokens_are_reported(
    compat: OpenAICompatProvider, sample_prompt: EvaluationPrompt
) -> None:
    first = await compat.evaluate(sample_prompt)
    second = await compat.evaluate(sample_prompt)
    assert first.usage.cached_tokens == 0
    assert 0 < second.usage.cached_tokens < second.usage.prompt_tokens


async def test_a_server_that_ignores_include_usage_still_works(
    compat: OpenAICompatProvider, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    openai_fake.send_usage = False  # type: ignore[attr-defined]
    result = await compat.evaluate(sample_prompt, watch)
    assert result.data["rubric_scores"]
    assert result.usage.prompt_tokens == 0


async def test_partials_grow_as_items_complete(
    compat: OpenAICompatProvider, sample_prompt: EvaluationPrompt
) -> None:
    partials: list[dict[str, Any]] = []

    async def on_partial(partial: dict[str, Any]) -> None:
        partials.append(partial)

    result = await compat.evaluate(sample_prompt, on_partial)
    counts = [len(p.get("strengths", [])) + len(p.get("rubric_scores", [])) for p in partials]
    assert len(partials) >= 3 and counts == sorted(counts)
    assert partials[-1]["rubric_scores"] == result.data["rubric_scores"]


def _system(body: dict[str, Any]) -> str:
    return str(body["messages"][0]["content"])


@pytest.mark.parametrize("mode", ["json_schema", "json_object_schema", "json_object", "none"])
async def test_each_output_mode_sends_its_response_format(
    mode: str, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    provider = OpenAICompatProvider(openai_settings(openai_fake, llm_output_mode=mode))
    result = await provider.evaluate(sample_prompt)
    assert [s["criterion_id"] for s in result.data["rubric_scores"]] == [
        "clarity",
        "evidence",
        "ask",
    ]
    body = openai_fake.last.body
    schema_in_prompt = json.dumps(sample_prompt.schema, indent=1) in _system(body)
    expected: dict[str, Any] | None = {
        "json_schema": {
            "type": "json_schema",
            "json_schema": {
                "name": "memo_evaluation",
                "schema": sample_prompt.schema,
                "strict": True,
            },
        },
        "json_object_schema": {"type": "json_object", "schema": sample_prompt.schema},
        "json_object": {"type": "json_object"},
        "none": None,
    }[mode]
    assert body.get("response_format") == expected
    assert schema_in_prompt == (mode in ("json_object", "none"))
    await provider.aclose()


async def test_openai_itself_gets_a_strict_schema_and_max_completion_tokens(
    openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    settings = load_settings(
        llm_provider="openai", openai_api_key="test-key", llm_model="gpt-4o-mini"
    )
    client = openai.AsyncOpenAI(api_key="test-key", base_url=f"{openai_fake.url}/v1", max_retries=0)
    provider = OpenAICompatProvider(settings, client=client)
    await provider.evaluate(sample_prompt)
    body = openai_fake.last.body
    sent = body["response_format"]["json_schema"]["schema"]
    assert "maxLength" in json.dumps(sample_prompt.schema)
    assert "maxLength" not in json.dumps(sent) and "maxItems" in json.dumps(sent)
    assert body["max_completion_tokens"] == settings.llm_max_tokens and "max_tokens" not in body
    await provider.aclose()


def test_without_keys_keeps_property_names() -> None:
    schema = {"type": "object", "properties": {"maxLength": {"type": "string", "maxLength": 3}}}
    assert without_keys(schema, frozenset({"maxLength"})) == {
        "type": "object",
        "properties": {"maxLength": {"type": "string"}},
    }


async def test_retry_after_ms_is_honoured_then_success(
    compat: OpenAICompatProvider, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    openai_fake.push(status(429, retry_after_ms=600), status(503))
    result = await compat.evaluate(sample_prompt)
    assert result.attempts == 3
    first, second, _ = openai_fake.requests
    assert 0.55 <= second.at - first.at <= 1.5


async def test_server_errors_exhaust_the_retries(
    compat: OpenAICompatProvider, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    openai_fake.push(status(502), status(500), status(500))
    with pytest.raises(LLMError) as caught:
        await compat.evaluate(sample_prompt)
    assert caught.value.code == ErrorCode.LLM_UNAVAILABLE and caught.value.retryable
    assert len(openai_fake.requests) == 3


async def test_a_stalled_stream_ends_in_timeout(
    openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    settings = openai_settings(openai_fake, llm_timeout_seconds=1.0, llm_max_retries=0)
    provider = OpenAICompatProvider(settings)
    openai_fake.push(hang(20))
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        await provider.evaluate(sample_prompt, watch)
    assert caught.value.code == ErrorCode.LLM_TIMEOUT
    assert 0.9 <= time.monotonic() - started < 2.5
    await provider.aclose()


async def test_malformed_content_is_bad_output_and_repair_fixes_it(
    compat: OpenAICompatProvider, openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    openai_fake.push(malformed())
    with pytest.raises(LLMError) as caught:
        await compat.evaluate(sample_prompt, watch)
    assert caught.value.code == ErrorCode.LLM_BAD_OUTPUT
    assert caught.value.raw_text.startswith('{"strengths"')
    result = await compat.repair(sample_prompt, caught.value.raw_text, "Return valid JSON.")
    assert result.data["rubric_scores"]
    messages = openai_fake.last.body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"] == caught.value.raw_text
    assert messages[3]["content"] == "Return valid JSON."
    assert openai_fake.last.body["response_format"]["type"] == "json_schema"


async def test_chat_streams_text(compat: OpenAICompatProvider, openai_fake: FakeServer) -> None:
    openai_fake.push(ok("Lead with the decision you need, then the evidence for it."))
    chunks = [c async for c in compat.chat("About this memo.", [ChatMessage("user", "Tips?")])]
    assert len(chunks) > 1
    assert "".join(chunks) == "Lead with the decision you need, then the evidence for it."
    body = openai_fake.last.body
    assert "response_format" not in body
    assert body["messages"][0] == {"role": "system", "content": "About this memo."}


def test_openai_itself_needs_a_key() -> None:
    with pytest.raises(LLMError) as caught:
        OpenAICompatProvider(load_settings(llm_provider="openai", openai_api_key=None))
    assert caught.value.code == ErrorCode.LLM_NOT_CONFIGURED
    assert "OPENAI_API_KEY" in caught.value.message


async def test_a_local_server_needs_no_key(
    openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    openai_fake.api_key = None
    provider = OpenAICompatProvider(openai_settings(openai_fake, openai_api_key=None))
    assert (await provider.evaluate(sample_prompt)).data
    assert openai_fake.last.headers["authorization"] == "Bearer not-needed"
    await provider.aclose()


async def test_a_refused_key_is_not_configured(
    openai_fake: FakeServer, sample_prompt: EvaluationPrompt
) -> None:
    provider = OpenAICompatProvider(openai_settings(openai_fake, openai_api_key="wrong"))
    with pytest.raises(LLMError) as caught:
        await provider.evaluate(sample_prompt)
    assert caught.value.code == ErrorCode.LLM_NOT_CONFIGURED
    assert len(openai_fake.requests) == 1
    await provider.aclose()


async def test_check_lists_models(openai_fake: FakeServer) -> None:
    provider = OpenAICompatProvider(openai_settings(openai_fake))
    assert await provider.check() == (True, "gpt-4o-mini (OpenAI-compatible): reachable")
    other = OpenAICompatProvider(openai_settings(openai_fake, llm_model="mistral"))
    healthy, message = await other.check()
    assert healthy and "mistral is not listed" in message
    await provider.aclose()
    await other.aclose()
