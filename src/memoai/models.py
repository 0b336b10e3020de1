"""Imports every domain's tables so metadata (and Alembic) sees all of them."""

from memoai.auth.models import AuditEvent, User
from memoai.chat.models import ChatMessage, ChatSession
from memoai.configs.models import ConfigVersion
from memoai.debugging.models import DebugRecord, RuntimeFlag
from memoai.evaluations.budgets import UserBudget
from memoai.evaluations.comments import CommentState
from memoai.evaluations.models import Evaluation, Submission
from memoai.sessions.models import Session

__all__ = [
    "AuditEvent",
    "ChatMessage",
    "ChatSession",
    "CommentState",
    "ConfigVersion",
    "DebugRecord",
    "Evaluation",
    "RuntimeFlag",
    "Session",
    "Submission",
    "User",
    "UserBudget",
]
