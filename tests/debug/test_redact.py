"""The one redaction: credentials by shape, known secrets by value, ordinary words untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from memoai.debugging.redact import redact, redact_data, remember_secrets
from memoai.settings import load_settings

MASKED = [
    ("Authorization: Bearer abc.def-123456", "Authorization: ***"),
    ("authorization=Basic dXNlcjpwYXNz", "authorization=***"),
    ("Cookie: memoai_session=abcd1234; memoai_csrf=zz", "Cookie: ***"),
    ("X-CSRF-Token: 0a1b2c3d", "X-CSRF-Token: ***"),
    ("then Bearer 0a1b2c3d4e5f done", "then Bearer *** done"),
    ("key sk-ant-api03-ABCDEFGHIJ0123", "key ***"),
    ("jwt eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl", "jwt ***"),
    ("http://user:pw123@host:5/v1", "http://user:***@host:5/v1"),
    ('{"password": "hunter2", "n": 1}', '{"password": "***", "n": 1}'),
    ("Password: hunter22 and more", "Password: *** and more"),
    ("memoai_session=zzzz; x=1", "memoai_session=***; x=1"),
    ("csrf_token=abc&next=/", "csrf_token=***&next=/"),
    ("the password Hunter2-Planted is old", "the password *** is old"),
]
KEPT = [
    "prompt_tokens: 12, session_id=abc, token_type=bearer",
    "basic needs and bearer bonds",
    "Our password policy changed; the session was long.",
    "Assess the risk-adjusted return (task-force view).",
    '{"criterion_id": "structure", "score": 3}',
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_credentials_are_masked_by_their_shape(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_known_secrets_are_masked_wherever_they_appear(tmp_path: Path) -> None:
    settings = load_settings(
        database_url="postgresql://memo:DbPassw0rdX@db/memo",
        claude_api_key="plain-looking-key-value",
        admin_password="correct horse battery",
        data_dir=tmp_path,
    )
    remember_secrets(settings)
    text = "plain-looking-key-value, correct horse battery and DbPassw0rdX"
    assert redact(text) == "***, *** and ***"
    data = {"a": [text], "plain-looking-key-value": 3, "n": None}
    assert redact_data(data) == {"a": ["***, *** and ***"], "***": 3, "n": None}
