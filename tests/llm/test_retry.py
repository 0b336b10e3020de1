"""The shared retry policy: what is retried, how long it waits, what the user finally sees."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import anthropic
import httpx2
import openai
import pytest

from memoai.api import ErrorCode
from memoai.llm.base import LLMError
from memoai.llm.retry import backoff_delay, retry_after, until_deadline, with_retries

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
CLIENTS = {
    "anthropic": anthropic.AsyncAnthropic(api_key="k", base_url="http://127.0.0.1:9"),
    "openai": openai.AsyncOpenAI(api_key="k", base_url="http://127.0.0.1:9"),
}


def status_error(
    code: int, headers: dict[str, str] | None = None, sdk: str = "anthropic"
) -> Exception:
    """A real SDK status error, as the client raises it for an HTTP answer."""
    body = {"type": "error", "error": {"type": "x", "message": f"provider says {code}"}}
    response = httpx2.Response(code, headers=headers or {}, json=body, request=REQUEST)
    return CLIENTS[sdk]._make_status_error_from_response(response)


class Script:
    """A call that fails with the given exceptions, then returns 'done'; sleeps are recorded."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0
        self.sleeps: list[float] = []

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def run(self, max_retries: int = 3, max_delay: float = 30.0) -> str:
        result = await with_retries(
            self, max_retries=max_retries, base_delay=1.0, max_delay=max_delay, sleep=self.sleep
        )
        assert result.attempts == self.calls
        return result.value


@pytest.mark.parametrize("code", [429, 529, 500, 502, 503, 504, 408])
async def test_transient_statuses_are_retried_until_success(code: int) -> None:
    script = Script(status_error(code), status_error(code))
    assert await script.run() == "done"
    assert script.calls == 3
    assert len(script.sleeps) == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404])
async def test_client_errors_are_never_retried(code: int) -> None:
    script = Script(status_error(code))
    with pytest.raises(LLMError) as caught:
        await script.run()
    assert script.calls == 1
    assert script.sleeps == []
    assert caught.value.retryable is False


@pytest.mark.parametrize("code", [401, 403])
async def test_a_refused_key_means_not_configured(code: int) -> None:
    with pytest.raises(LLMError) as caught:
        await Script(status_error(code, sdk="openai")).run()
    assert caught.value.code == ErrorCode.LLM_NOT_CONFIGURED
    assert "API key was refused" in caught.value.message


async def test_bad_request_keeps_the_providers_message() -> None:
    with pytest.raises(LLMError) as caught:
        await Script(status_error(400)).run()
    assert caught.value.code == ErrorCode.LLM_UNAVAILABLE
    assert "provider says 400" in caught.value.message


async def test_exhausted_retries_end_unavailable_and_retryable() -> None:
    script = Script(*(status_error(503) for _ in range(4)))
    with pytest.raises(LLMError) as caught:
        await script.run(max_retries=3)
    assert script.calls == 4
    assert caught.value.code == ErrorCode.LLM_UNAVAILABLE
    assert caught.value.retryable is True
    assert "after 4 attempts" in caught.value.message


async def test_timeouts_and_dropped_connections_are_retried_then_reported() -> None:
    dropped = anthropic.APIConnectionError(request=REQUEST)
    script = Script(TimeoutError(), dropped, openai.APITimeoutError(REQUEST))
    with pytest.raises(LLMError) as caught:
        await script.run(max_retries=2)
    assert script.calls == 3
    assert caught.value.code == ErrorCode.LLM_TIMEOUT


async def test_mid_stream_transport_errors_are_retried() -> None:
    script = Script(httpx2.RemoteProtocolError("peer closed connection", request=REQUEST))
    assert await script.run() == "done"


async def test_retry_after_is_honoured_and_capped() -> None:
    script = Script(
        status_error(429, {"retry-after": "7"}), status_error(429, {"retry-after": "90"})
    )
    await script.run(max_delay=30.0)
    assert script.sleeps == [7.0, 30.0]


async def test_retry_after_ms_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "250", "retry-after": "9"}
    script = Script(status_error(529, headers))
    await script.run()
    assert script.sleeps == [0.25]


def test_retry_after_accepts_an_http_date() -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    seconds = retry_after({"retry-after": format_datetime(when, usegmt=True)})
    assert seconds is not None and 18 <= seconds <= 21


def test_unreadable_retry_after_falls_back_to_backoff() -> None:
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_backoff_has_full_jitter_and_a_cap() -> None:
    for attempt in range(1, 8):
        delays = [backoff_delay(attempt, 0.5, 4.0, None) for _ in range(200)]
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # spread out, not one fixed value


async def test_an_overload_event_inside_a_stream_is_retried() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    ok_response = httpx2.Response(200, request=REQUEST)
    mid_stream = CLIENTS["anthropic"]._make_status_error(
        "Overloaded", body=body, response=ok_response
    )
    script = Script(mid_stream)
    assert await script.run() == "done"
    assert script.calls == 2


async def test_our_own_errors_and_bugs_are_not_retried() -> None:
    bad_output = Script(LLMError(ErrorCode.LLM_BAD_OUTPUT, "not JSON"))
    with pytest.raises(LLMError):
        await bad_output.run()
    bug = Script(KeyError("oops"))
    with pytest.raises(KeyError):
        await bug.run()
    assert bad_output.calls == bug.calls == 1


async def test_real_sleep_is_used_by_default() -> None:
    script = Script(status_error(503, {"retry-after-ms": "200"}))
    started = time.monotonic()
    result = await with_retries(script, max_retries=1, base_delay=0.01, max_delay=1.0)
    assert result.attempts == 2
    assert time.monotonic() - started >= 0.19


async def test_until_deadline_ends_a_stalled_stream() -> None:
    async def stalls() -> AsyncIterator[int]:
        yield 1
        await asyncio.sleep(30)
        yield 2

    loop = asyncio.get_running_loop()
    received: list[int] = []
    started = loop.time()
    with pytest.raises(TimeoutError):
        async for item in until_deadline(stalls(), started + 0.3):
            received.append(item)
    assert received == [1]
    assert loop.time() - started < 1.0
