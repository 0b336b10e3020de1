"""The Debug tab's self-tests: database write and read, the model provider's own connectivity
check, configuration validity, logging. Each says how long it took; none raises."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import delete, select

from memoai.configs.loader import ConfigRegistry
from memoai.db import Database, utcnow
from memoai.debugging.models import RuntimeFlag
from memoai.debugging.redact import redact
from memoai.debugging.schemas import SelfTest, SelfTestReport
from memoai.llm.base import Provider

log = logging.getLogger("memoai.debug")
Check = Callable[[], Awaitable[tuple[bool, str]]]


async def run_self_tests(
    db: Database, provider: Provider, configs: ConfigRegistry
) -> SelfTestReport:
    tests = [
        await _timed("database", lambda: _database(db)),
        await _timed("provider", provider.check),
        await _timed("configuration", lambda: _configuration(configs)),
        await _timed("logging", _logging),
    ]
    return SelfTestReport(ok=all(t.ok for t in tests), tests=tests)


async def _timed(name: str, check: Check) -> SelfTest:
    started = time.perf_counter()
    try:
        ok, detail = await check()
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    ms = round((time.perf_counter() - started) * 1000, 2)
    return SelfTest(name=name, ok=ok, latency_ms=ms, detail=redact(detail))


async def _database(db: Database) -> tuple[bool, str]:
    """Write a row, read it back in another transaction, remove it."""
    name = f"self_test_{uuid.uuid4().hex[:20]}"
    written = utcnow().replace(microsecond=0)
    async with db.sessions() as session:
        session.add(RuntimeFlag(name=name, enabled=True, changed_at=written))
        await session.commit()
    async with db.sessions() as session:
        read = await session.scalar(select(RuntimeFlag.changed_at).where(RuntimeFlag.name == name))
        await session.execute(delete(RuntimeFlag).where(RuntimeFlag.name == name))
        await session.commit()
    if read != written:
        return False, f"wrote {written.isoformat()}, read back {read}"
    return True, f"wrote, read back and removed a row ({db.engine.dialect.name})"


async def _configuration(configs: ConfigRegistry) -> tuple[bool, str]:
    problems = configs.problems
    if problems:
        return False, "; ".join(problems)
    return True, f"valid (version {configs.current().version})"


async def _logging() -> tuple[bool, str]:
    """A warning goes through every handler of the root logger, formatted as in production."""
    root = logging.getLogger()
    if not root.handlers:
        return False, "no log handler is configured"
    record = log.makeRecord(log.name, logging.WARNING, __file__, 0, "debug self-test", (), None)
    for handler in root.handlers:
        handler.format(record)
    log.warning("debug self-test")
    level = logging.getLevelName(log.getEffectiveLevel())
    return True, f"{len(root.handlers)} handler(s), level {level}"
