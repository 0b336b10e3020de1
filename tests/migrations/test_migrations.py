"""Migrations build exactly the models' schema, and go down to nothing and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from memoai import migrations
from memoai.db import Base, create_engine


def _diff(connection: object) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: object) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}  # type: ignore[arg-type]


async def test_upgrade_matches_models_and_downgrade_round_trips(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrations.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        await migrations.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
            assert await conn.run_sync(_tables) == set(Base.metadata.tables)
        assert await migrations.current(engine) == migrations.head()
        await migrations.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        assert await migrations.current(engine) is None
        await migrations.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_inline_sqlite_connection_keeps_wal_and_foreign_keys(tmp_path: object) -> None:
    from sqlalchemy import text

    engine = create_engine(f"sqlite:///{tmp_path}/pragmas.db")
    try:
        async with engine.connect() as conn:
            mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
            keys = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
            sync = (await conn.execute(text("PRAGMA synchronous"))).scalar()
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
        assert (mode, keys, sync) == ("wal", 1, 1)  # synchronous=NORMAL is 1
        assert busy and busy > 0
    finally:
        await engine.dispose()
