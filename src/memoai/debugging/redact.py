"""One redaction for everything that could carry a secret: debug data, logs, messages, pages.

Two guards: the secrets this process knows (API keys, the JWT key, passwords and URL passwords
from the settings) are replaced wherever they appear, and text that looks like a credential
(an Authorization or Cookie header, a Bearer token, a JWT, an API key, `password=…`, a URL's
password) is masked whatever its value. `memoai config check` uses the same helpers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from memoai.settings import SECRET_FIELDS, Settings

REDACTED = "***"
URL_FIELDS = ("database_url", "redis_url", "llm_base_url", "backend_url")
# Fields that hold secrets without being SECRET_FIELDS (e.g. the previous JWT keys).
SECRET_NAME = re.compile(r"secret|password|api_key|encryption_key")

# A name that says its value is a secret (`prompt_tokens`, `session_id` and `token_type` do not).
_KEY = (
    r"[A-Za-z0-9_\-]*(?:password|passwd|pwd|secret|secret[_-]?key|private[_-]?key|access[_-]?key"
    r"|api[_-]?key|token|csrf|session|cookie|credentials?)\b"
)
_TOKEN = r"[A-Za-z0-9._~+/=\-]"  # noqa: S105 (a character class)
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Whole header lines: everything after the name is a credential.
    (
        re.compile(
            r"\b((?:proxy-)?authorization|cookie|set-cookie|x-api-key|api-key|x-csrf-token"
            r"|x-session-token)(\"?\s*[:=]\s*)[^\r\n]+",
            re.IGNORECASE,
        ),
        rf"\1\2{REDACTED}",
    ),
    # A Bearer token (with a digit or a sign in it: "bearer bonds" stay).
    (
        re.compile(rf"\b(bearer)\s+(?={_TOKEN}*[0-9._~+/=\-]){_TOKEN}{{8,}}", re.IGNORECASE),
        rf"\1 {REDACTED}",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"), REDACTED),
    # scheme://user:password@host
    (
        re.compile(r"(\b[a-z][a-z0-9+.\-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE),
        rf"\1{REDACTED}@",
    ),
    # "password Hunter2-x", "cookie abc123def": a secret word, then something token-like
    # (with a digit, 8 characters or more; "password policy" stays).
    (
        re.compile(
            r"\b(password|passwd|secret|token|cookie|api[ _-]?key)(\s+)(?=\S*\d)[^\s\"',;]{8,}",
            re.IGNORECASE,
        ),
        rf"\1\2{REDACTED}",
    ),
    # name=value, name: value, "name": "value" where the name says it is a secret.
    (
        re.compile(rf"(\"?\b{_KEY}\"?\s*[:=]\s*\"?)[^\s\"',;&)]+", re.IGNORECASE),
        rf"\1{REDACTED}",
    ),
)
MIN_SECRET_LENGTH = 4
_known: list[str] = []


def is_secret(name: str) -> bool:
    return (name in SECRET_FIELDS and name not in URL_FIELDS) or bool(SECRET_NAME.search(name))


def redact_url(url: str) -> str:
    """The URL with its password (if any) masked; host, user and database stay readable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}{REDACTED}@{netloc}"))


def url_passwords(urls: list[str]) -> list[str]:
    """The passwords inside URLs (to scrub them from messages)."""
    found = []
    for url in urls:
        try:
            password = urlsplit(url).password
        except ValueError:
            continue
        found += [password] if password else []
    return found


def secret_values(settings: Settings) -> list[str]:
    """Every secret's plain text (and URL passwords), longest first, for scrubbing output."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        plain = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(plain, str) or not plain:
            continue
        if name in URL_FIELDS:
            values += url_passwords([plain])
        elif is_secret(name):
            values += [plain, *(v.strip() for v in plain.split(",") if v.strip())]
    return sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def scrub(text: str, secrets: list[str]) -> str:
    """Replace each of the given secret values."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def remember_secrets(settings: Settings) -> None:
    """Make this process's secrets known to `redact` (called once at start)."""
    _known[:] = sorted({*_known, *secret_values(settings)}, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every known secret and everything that looks like a credential masked."""
    text = scrub(text, _known)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: Any) -> Any:
    """`redact` applied to every string of a JSON-like value (keys included)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(str(k)): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value
