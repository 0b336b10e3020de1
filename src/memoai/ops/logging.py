"""JSON logs on stdout with the request id on every line; no memo text or secrets (every line
passes through the one redaction of `memoai.debugging.redact`)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from memoai.api import request_id_var
from memoai.debugging.redact import redact, redact_data

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(redact_data(entry), default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, redacted like the JSON ones."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str, fmt: str = "json") -> None:
    """Route the app's, uvicorn's and SQLAlchemy's logs through one handler."""
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our access log replaces uvicorn's (it has the request id and the route).
    logging.getLogger("uvicorn.access").disabled = True
    # Model SDK and HTTP client debug logs can contain prompts and headers.
    noisy_loggers = ("httpx", "httpx2", "httpcore", "anthropic", "openai", "asyncio", "alembic")
    for noisy in noisy_loggers:
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
