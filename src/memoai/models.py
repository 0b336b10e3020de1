"""Imports every domain's tables so metadata (and Alembic) sees all of them."""

from memoai.chat.models import ChatMessage, ChatSession
from memoai.evaluations.models import Evaluation, Submission
from memoai.sessions.models import Session

__all__ = ["ChatMessage", "ChatSession", "Evaluation", "Session", "Submission"]
