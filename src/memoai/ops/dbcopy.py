"""`memoai db copy`: move a live installation between databases (SQLite → PostgreSQL, or any pair).

The source is read from one consistent snapshot (an online SQLite backup copy, or a
REPEATABLE READ transaction on PostgreSQL) while the app may keep running; the target is
migrated to head and filled in one transaction in foreign-key order. Afterwards every table is
compared by row count and by a checksum of its rows (canonical JSON per row, combined so that
the engines' different sort orders cannot matter).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import memoai.models  # noqa: F401  (registers every table in Base.metadata)
from memoai import migrations
from memoai.db import Base, create_engine, is_sqlite
from memoai.ops.backup_archive import snapshot_sqlite
from memoai.settings import sqlite_path

DEFAULT_BATCH = 1000
CHECKSUM_MODULUS = 2**256


class CopyError(Exception):
    """The copy was refused or did not produce an identical database."""


@dataclass
class TableCopy:
    name: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_checksum) == (self.target_rows, self.target_checksum)


@dataclass
class CopyReport:
    tables: list[TableCopy]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "tables": {
                t.name: {"rows": t.target_rows, "checksum": t.target_checksum, "ok": t.ok}
                for t in self.tables
            },
        }


def _canonical(value: Any) -> Any:
    """One spelling per value whatever the engine returned (UUIDs, time zones, decimals)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


class TableChecksum:
    """Row count and an order-independent sum of sha256(canonical JSON of each row)."""

    def __init__(self) -> None:
        self.rows = 0
        self.total = 0

    def add(self, row: Row[Any]) -> None:
        canonical = {k: _canonical(v) for k, v in row._mapping.items()}
        line = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=_canonical)
        self.total = (
            self.total + int(hashlib.sha256(line.encode()).hexdigest(), 16)
        ) % CHECKSUM_MODULUS
        self.rows += 1

    @property
    def hexdigest(self) -> str:
        return f"{self.total:064x}"


async def copy_database(
    from_url: str, to_url: str, *, force: bool = False, batch_size: int = DEFAULT_BATCH
) -> CopyReport:
    """Copy every row of `from_url` into `to_url` and prove the two are identical."""
    if from_url == to_url:
        raise CopyError("the source and the target are the same database")
    started = time.perf_counter()
    async with _source_engine(from_url) as source:
        target = create_engine(to_url)
        try:
            await _check_source(source)
            await migrations.upgrade(target)
            sums = await _copy_all(source, target, force, batch_size)
            tables = [await _compare(target, table, sums[table.name]) for table in _tables()]
        finally:
            await target.dispose()
    report = CopyReport(tables, time.perf_counter() - started)
    if not report.ok:
        bad = ", ".join(t.name for t in report.tables if not t.ok)
        raise CopyError(f"the copy differs from the source in: {bad}")
    return report


def _tables() -> Sequence[Table]:
    return Base.metadata.sorted_tables


@asynccontextmanager
async def _source_engine(url: str) -> AsyncIterator[AsyncEngine]:
    """A live SQLite source is read from an online backup copy: one consistent snapshot."""
    if not is_sqlite(url):
        engine = create_engine(url)
        try:
            yield engine
        finally:
            await engine.dispose()
        return
    path = sqlite_path(url)
    if path is None or not path.is_file():
        raise CopyError(f"there is no SQLite database at {path}")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".tmp-copy-") as tmp:
        snapshot = Path(tmp) / "snapshot.db"
        snapshot_sqlite(path, snapshot)
        engine = create_engine(f"sqlite:///{snapshot}")
        try:
            yield engine
        finally:
            await engine.dispose()


async def _check_source(source: AsyncEngine) -> None:
    revision, head = await migrations.current(source), migrations.head()
    if revision != head:
        raise CopyError(
            f"the source is at migration {revision}, not {head}: "
            "run `memoai db upgrade` on it first"
        )


async def _copy_all(
    source: AsyncEngine, target: AsyncEngine, force: bool, batch_size: int
) -> dict[str, TableChecksum]:
    """All tables in one source snapshot and one target transaction: all or nothing."""
    sums: dict[str, TableChecksum] = {}
    async with source.connect() as src, target.begin() as dst:
        if source.dialect.name == "postgresql":
            src = await src.execution_options(isolation_level="REPEATABLE READ")
        async with src.begin():
            await _prepare_target(dst, force)
            for table in _tables():
                sums[table.name] = await _copy_table(src, dst, table, batch_size)
        if target.dialect.name == "postgresql":
            await _reset_sequences(dst)
    return sums


async def _prepare_target(dst: AsyncConnection, force: bool) -> None:
    counts = {t.name: await dst.scalar(select(func.count()).select_from(t)) for t in _tables()}
    filled = {name: n for name, n in counts.items() if n}
    if filled and not force:
        listing = ", ".join(f"{name} ({n} rows)" for name, n in filled.items())
        raise CopyError(f"the target already holds data: {listing}; use --force to replace it")
    for table in reversed(_tables()):
        await dst.execute(delete(table))


def _self_references(table: Table) -> list[Column[Any]]:
    """Columns pointing into their own table: set after every row exists."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


async def _copy_table(
    src: AsyncConnection, dst: AsyncConnection, table: Table, batch_size: int
) -> TableChecksum:
    checksum = TableChecksum()
    later = _self_references(table)
    links: list[dict[str, Any]] = []
    pk = list(table.primary_key.columns)
    result = await src.stream(select(table).order_by(*pk))
    async for rows in result.partitions(batch_size):
        batch = []
        for row in rows:
            checksum.add(row)
            values = dict(row._mapping)
            if later and any(values[c.key] is not None for c in later):
                links.append({f"_{c.key}": values[c.key] for c in [*pk, *later]})
                values.update({c.key: None for c in later})
            batch.append(values)
        await dst.execute(insert(table), batch)
    if links:
        match = [c == bindparam(f"_{c.key}") for c in pk]
        statement = (
            update(table).where(*match).values({c.key: bindparam(f"_{c.key}") for c in later})
        )
        for start in range(0, len(links), batch_size):
            await dst.execute(statement, links[start : start + batch_size])
    return checksum


async def _reset_sequences(dst: AsyncConnection) -> None:
    """Integer keys copied verbatim leave PostgreSQL's sequences behind; move them on."""
    for table in _tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        next_value = func.coalesce(func.max(column), 0) + 1
        await dst.execute(select(func.setval(sequence, next_value, False)))


async def _compare(target: AsyncEngine, table: Table, source: TableChecksum) -> TableCopy:
    async with target.connect() as conn:
        copied = await table_checksum(conn, table)
    return TableCopy(table.name, source.rows, copied.rows, source.hexdigest, copied.hexdigest)


async def table_checksum(conn: AsyncConnection, table: Table) -> TableChecksum:
    checksum = TableChecksum()
    result = await conn.stream(select(table))
    async for row in result:
        checksum.add(row)
    return checksum


async def database_checksums(url: str) -> dict[str, tuple[int, str]]:
    """(rows, checksum) of every table: compare two databases without copying anything."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            sums = {t.name: await table_checksum(conn, t) for t in _tables()}
    finally:
        await engine.dispose()
    return {name: (s.rows, s.hexdigest) for name, s in sums.items()}
