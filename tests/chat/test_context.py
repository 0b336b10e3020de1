"""Fitting a chat to the model's context window: newest turns kept, the question always sent."""

from __future__ import annotations

import uuid

from memoai.chat.context import fit, reply_reserve, to_turns
from memoai.chat.models import ChatMessage, MessageStatus
from memoai.llm.base import ChatMessage as Turn


def _message(role: str, content: str, status: str = MessageStatus.COMPLETED) -> ChatMessage:
    return ChatMessage(id=uuid.uuid4(), role=role, content=content, status=status)


def _render(versions: list[str]) -> str:
    return "S" * 400 + "".join(versions)  # 100 tokens of system context plus the versions


def test_failed_replies_are_left_out_and_retried_questions_kept_once() -> None:
    messages = [
        _message("user", "Why 2 on risk?"),
        _message("assistant", "", MessageStatus.FAILED),
        _message("user", "Why 2 on risk?"),
        _message("assistant", "Because..."),
        _message("user", "And evidence?"),
        _message("user", "Sent later, not part of this turn"),
    ]
    turns = to_turns(messages, upto=messages[4].id)
    assert turns == [
        Turn("user", "Why 2 on risk?"),
        Turn("assistant", "Because..."),
        Turn("user", "And evidence?"),
    ]


def test_everything_fits_in_a_large_window() -> None:
    turns = [Turn("user", "a" * 40), Turn("assistant", "b" * 40), Turn("user", "c" * 40)]
    prompt = fit(_render, ["v1", "v2"], turns, window=10_000, reserve=1000)
    assert prompt.turns == turns
    assert prompt.system.endswith("v1v2")
    assert prompt.info["history_trimmed"] is False and prompt.info["turns_dropped"] == 0


def test_a_small_window_keeps_the_newest_turns_starting_with_a_question() -> None:
    turns = [Turn("user" if i % 2 == 0 else "assistant", f"{i}" * 200) for i in range(7)]
    # 100 system + 50 per turn: room for three turns, but a reply cannot open the history.
    prompt = fit(_render, [], turns, window=400, reserve=140)
    assert prompt.turns == turns[-3:]
    prompt = fit(_render, [], turns, window=450, reserve=140)
    assert prompt.turns == turns[-3:]  # four would fit, but the fourth-newest is a reply
    assert prompt.info == {
        "history_trimmed": True,
        "turns_sent": 3,
        "turns_dropped": 4,
        "earlier_versions_sent": 0,
        "earlier_versions_dropped": 0,
        "context_window_tokens": 450,
        "prompt_tokens_estimate": 250,
    }


def test_earlier_versions_go_first_and_the_question_is_always_sent() -> None:
    turns = [Turn("user", "q" * 4000)]
    prompt = fit(_render, ["o" * 400, "n" * 400], turns, window=1300, reserve=100)
    assert prompt.system.endswith("n" * 400) and "o" * 400 not in prompt.system
    assert prompt.info["earlier_versions_dropped"] == 1 and prompt.info["history_trimmed"]
    tiny = fit(_render, [], turns, window=50, reserve=25)
    assert tiny.turns == turns


def test_the_reply_never_takes_more_than_half_the_window() -> None:
    assert reply_reserve(4096, 200_000) == 4096
    assert reply_reserve(4096, 2000) == 1000
