"""The one place for the database: engine, sessions, SQLite pragmas, declarative base."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import orjson
from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from memoai import sqlite_driver
from memoai.settings import sqlite_path

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# What Core statements run on: the hot paths use plain connections (no ORM unit of work), the
# routes' request-scoped ORM sessions run the same statements.
Executor = AsyncConnection | AsyncSession


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class utc_day(FunctionElement[str]):
    """The UTC calendar day of a `UTCDateTime` column as 'YYYY-MM-DD' text, on every backend:
    for grouping by day in SQL (SQLite keeps the UTC time as ISO text; PostgreSQL converts its
    timestamptz, never in the session's time zone)."""

    type = String()
    name = "utc_day"
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def async_url(url: str) -> str:
    """Map the seed's plain URLs (sqlite:///…, postgresql://…) to async drivers."""
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def json_text(value: Any) -> str:
    """JSON columns are written (and read, with orjson.loads) by orjson: the progress view parses
    thousands of them on a cold cache, where the standard library's parser is the biggest cost."""
    return orjson.dumps(value).decode()


JSON_CODEC: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def create_engine(
    url: str, pool_size: int = 10, *, statement_limit_s: float | None = None
) -> AsyncEngine:
    """An async engine with WAL and foreign keys on SQLite, a sized pool on PostgreSQL.

    `statement_limit_s` bounds each SQLite statement (the server's engine sets it; tools that
    run long operations such as backups do not)."""
    url = async_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection, handed out in turn by an asyncio-aware pool: SQLite allows one writer
        # at a time, and its busy handler backs off with sleeps of up to 100 ms, so queueing
        # in the pool is far faster under load than letting connections collide in the file.
        # SQLite runs on the connection's own thread, one hand-off per statement (see
        # memoai.sqlite_driver); the file name and options are the ones the dialect reads.
        database, options = sqlite_driver.connect_args(make_url(url), SQLiteDialect_aiosqlite())

        async def connect() -> sqlite_driver.Connection:
            return await sqlite_driver.Connection.open(database, options, statement_limit_s)

        return create_async_engine(
            url,
            async_creator=connect,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            **JSON_CODEC,
        )
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        **JSON_CODEC,
    )


class Database:
    """The engine and its session factory, owned by the app (one per process); SQLite
    statements are time-limited."""

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        *,
        statement_limit_s: float | None = sqlite_driver.SQLITE_STATEMENT_LIMIT_S,
    ) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size, statement_limit_s=statement_limit_s)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
