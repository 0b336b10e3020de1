"""One retry, timeout and error-mapping policy for every remote provider.

The SDK clients are built with `max_retries=0`, so Claude and OpenAI-compatible servers fail,
wait and give up the same way, and the user always ends with one of our stable error codes.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import httpx2

from memoai.api import ErrorCode
from memoai.llm.base import LLMError

if TYPE_CHECKING:
    import anthropic
    import openai

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
# An error event inside a 200 stream carries a type instead of a status.
STREAM_ERROR_STATUS = {
    "overloaded_error": 529,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
}
# The provider SDKs whose errors are classified. They are imported by the providers that use
# them (memoai.llm.registry), not here: together they take seconds to import, which every
# process (and every CLI command) would otherwise pay.
SDKS = ("anthropic", "openai")

Sleep = Callable[[float], Awaitable[Any]]
# Each attempt's outcome and duration, when debug mode captures the run (memoai.debugging).
attempt_log: ContextVar[list[dict[str, Any]] | None] = ContextVar("attempt_log", default=None)


def _note_attempt(attempt: int, started: float, error: LLMError | None = None) -> None:
    noted = attempt_log.get()
    if noted is not None:
        ms = round((time.perf_counter() - started) * 1000, 2)
        outcome = {"error_code": str(error.code), "error": error.message} if error else {}
        noted.append({"attempt": attempt, "ms": ms, "ok": error is None, **outcome})


@dataclass(frozen=True)
class Retried(Generic[T]):
    """A call's value and how many attempts it took, for provenance and debugging."""

    value: T
    attempts: int


@dataclass(frozen=True)
class Failure:
    """What one failed attempt means: the error to report and whether to try again."""

    error: LLMError
    retry: bool
    wait: float | None = None  # what the server asked for (retry-after), in seconds


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    max_retries: int,
    base_delay: float,
    max_delay: float,
    sleep: Sleep = asyncio.sleep,
) -> Retried[T]:
    """Run `call`, retrying transient provider failures with jittered backoff."""
    attempt = 0
    while True:
        attempt += 1
        started = time.perf_counter()
        try:
            value = await call()
        except LLMError as exc:
            _note_attempt(attempt, started, exc)
            raise
        except Exception as exc:
            failure = classify(exc)
            unknown = LLMError(ErrorCode.LLM_UNAVAILABLE, f"{type(exc).__name__}: {exc}")
            _note_attempt(attempt, started, failure.error if failure else unknown)
            if failure is None:
                raise
            if not failure.retry or attempt > max_retries:
                raise _final(failure.error, attempt) from exc
            delay = backoff_delay(attempt, base_delay, max_delay, failure.wait)
            log.warning(
                "LLM call failed (%s: %s); attempt %d of %d, retrying in %.2fs",
                failure.error.code,
                failure.error.message,
                attempt,
                max_retries + 1,
                delay,
            )
            await sleep(delay)
        else:
            _note_attempt(attempt, started)
            return Retried(value, attempt)


def backoff_delay(attempt: int, base: float, cap: float, requested: float | None) -> float:
    """The server's requested wait if any, else exponential backoff with full jitter."""
    if requested is not None:
        return max(0.0, min(cap, requested))
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def _final(error: LLMError, attempts: int) -> LLMError:
    """Say how many attempts were made, so a persistent outage reads as one."""
    if attempts == 1:
        return error
    return LLMError(
        error.code,
        f"{error.message} (after {attempts} attempts)",
        retryable=error.retryable,
        raw_text=error.raw_text,
        usage=error.usage,
    )


def sdk_errors(name: str) -> tuple[type[BaseException], ...]:
    """The exception class `name` of each provider SDK this process has loaded: an SDK that was
    never imported cannot have raised anything (both name their errors alike)."""
    return tuple(getattr(sys.modules[sdk], name) for sdk in SDKS if sdk in sys.modules)


def classify(exc: BaseException) -> Failure | None:
    """Map an SDK or transport exception to our error codes (None: not a provider failure)."""
    if isinstance(exc, (TimeoutError, httpx2.TimeoutException, *sdk_errors("APITimeoutError"))):
        return Failure(timeout_error(), retry=True)
    if isinstance(exc, sdk_errors("APIStatusError")):
        return _classify_status(cast("anthropic.APIStatusError | openai.APIStatusError", exc))
    if isinstance(exc, (httpx2.TransportError, *sdk_errors("APIConnectionError"))):
        return Failure(unavailable("the connection to the model service failed"), retry=True)
    openai_sdk = sys.modules.get("openai")
    if openai_sdk is not None and isinstance(exc, openai_sdk.APIError):  # an error in a stream
        return Failure(unavailable(f"the model service failed: {provider_message(exc)}"), True)
    return None


def _classify_status(exc: anthropic.APIStatusError | openai.APIStatusError) -> Failure:
    status = exc.status_code
    if status < 400:
        status = STREAM_ERROR_STATUS.get(str(getattr(exc, "type", "") or ""), 500)
    message = provider_message(exc)
    if status in (401, 403):
        error = LLMError(
            ErrorCode.LLM_NOT_CONFIGURED,
            f"The API key was refused by the model service (HTTP {status}).",
            retryable=False,
        )
        return Failure(error, retry=False)
    if status == 408:
        return Failure(timeout_error(), retry=True, wait=retry_after(exc.response.headers))
    if status in RETRY_STATUSES or status >= 500:
        error = unavailable(f"the model service is busy or failing (HTTP {status}): {message}")
        return Failure(error, retry=True, wait=retry_after(exc.response.headers))
    error = LLMError(
        ErrorCode.LLM_UNAVAILABLE,
        f"The model service refused the request (HTTP {status}): {message}",
        retryable=False,
    )
    return Failure(error, retry=False)


def timeout_error() -> LLMError:
    return LLMError(ErrorCode.LLM_TIMEOUT, "The model did not answer in time.", retryable=True)


def unavailable(reason: str) -> LLMError:
    return LLMError(ErrorCode.LLM_UNAVAILABLE, f"The model is unavailable: {reason}.")


def provider_message(exc: anthropic.APIError | openai.APIError) -> str:
    """The provider's own explanation from the error body, short enough to show."""
    body = exc.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
    return str(exc.message)[:300]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), if sent."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


async def until_deadline(stream: AsyncIterator[T], deadline: float) -> AsyncIterator[T]:
    """Yield from a stream but raise TimeoutError at the deadline, even if it stalls.

    Each wait gets its own timeout, so the deadline never spans a `yield` (and never
    cancels the consumer's own work).
    """
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                item = await anext(stream)
        except StopAsyncIteration:
            return
        yield item
