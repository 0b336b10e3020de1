"""What every LLM provider offers the evaluation and chat flows, and how it fails."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from memoai.api import ErrorCode
from memoai.configs.schemas import Rubric


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class EvaluationPrompt:
    """A prompt split so the static part (rubric, frameworks, context) can be cached."""

    static_system: str  # rubric, frameworks, context, rules: identical across memos
    user: str  # the memo as delimited data plus the request
    schema: dict[str, Any]  # JSON schema of the expected output
    schema_name: str = "memo_evaluation"
    # The plain inputs, for providers that do not read prompts (the offline analyser).
    memo: str = ""
    rubric: Rubric | None = None
    language: str = "en"  # the writer's: the offline analyser applies that language's rules


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "user" | "assistant"
    content: str


@dataclass
class ProviderResult:
    """A provider's parsed answer, before validation against the rubric."""

    data: dict[str, Any]
    raw_text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    attempts: int = 1


# Called with the partially parsed output each time the stream makes progress.
PartialCallback = Callable[[dict[str, Any]], Awaitable[None]]


class LLMError(Exception):
    """A provider failure with the stable code the user sees."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool = True,
        raw_text: str = "",
        usage: Usage | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.raw_text = raw_text
        self.usage = usage or Usage()


class Provider(Protocol):
    """An LLM backend: Claude, an OpenAI-compatible server, or the offline analyser."""

    name: str  # "claude" | "openai" | "offline"
    model: str
    label: str  # shown to people: "Claude (claude-sonnet-4-5)" or "offline analysis"

    async def evaluate(
        self, prompt: EvaluationPrompt, on_partial: PartialCallback | None = None
    ) -> ProviderResult:
        """Return the model's JSON answer to an evaluation prompt (raises LLMError)."""
        ...

    def chat(
        self, system: str, messages: list[ChatMessage], facts: dict[str, Any] | None = None
    ) -> AsyncIterator[str]:
        """Stream a chat reply as text chunks (raises LLMError).

        `facts` carries the evaluation and rubric as data for the offline provider.
        """
        ...

    async def check(self) -> tuple[bool, str]:
        """A cheap connectivity check for readiness and the debug self-test."""
        ...
