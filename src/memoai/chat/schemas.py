"""The chat API's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from memoai.language import Language


class ChatSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluation_id: uuid.UUID = Field(description="The evaluation to talk about")


class MessageCreate(BaseModel):
    """A question; its length is checked against CHAT_MAX_CHARS by the service."""

    model_config = ConfigDict(extra="forbid")

    message_content: str = Field(description="The message, 1 to CHAT_MAX_CHARS characters")
    language: Language | None = Field(
        None,
        description='The writer\'s language, "en" or "es": the reply is written in it. '
        "Omitted: the request's Accept-Language header decides (English by default).",
    )


class MessageError(BaseModel):
    code: str
    message: str


class MessageOut(BaseModel):
    id: uuid.UUID
    chat_session_id: uuid.UUID
    role: str
    content: str
    status: str
    created_at: datetime
    tokens: int
    provider: str | None = None
    model: str | None = None
    label: str | None = Field(None, description='Who answered, e.g. "offline analysis"')
    latency_ms: int | None = None
    error: MessageError | None = None
    context: dict[str, Any] | None = Field(
        None, description="What the model was given: history_trimmed, turns_sent, turns_dropped"
    )


class ChatSessionOut(BaseModel):
    id: uuid.UUID
    evaluation_id: uuid.UUID
    created_at: datetime
    message_count: int
    messages: list[MessageOut] | None = Field(
        None, description="The whole conversation, oldest first (omitted in listings)"
    )


class ChatSessionList(BaseModel):
    items: list[ChatSessionOut] = Field(description="Newest first, without their messages")
