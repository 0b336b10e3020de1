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


def _insert_english_era_evaluation(connection: object) -> None:
    """Rows as 0007 stored them: the evaluations table has no language column yet."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table

    assert "language" not in {c["name"] for c in inspect(connection).get_columns("evaluations")}  # type: ignore[arg-type]
    meta = MetaData()
    tables = {
        n: Table(n, meta, autoload_with=connection)
        for n in ("sessions", "submissions", "evaluations")
    }  # type: ignore[arg-type]
    now = datetime.now(UTC)
    sqlite = connection.dialect.name == "sqlite"  # type: ignore[attr-defined]

    def new_id() -> object:  # reflected SQLite columns take Uuid's stored form (32 hex digits)
        return uuid.uuid4().hex if sqlite else uuid.uuid4()

    session_id, submission_id = new_id(), new_id()
    connection.execute(  # type: ignore[attr-defined]
        tables["sessions"].insert(),
        {
            "id": session_id,
            "token_hash": "a" * 64,
            "created_at": now,
            "last_seen_at": now,
            "expires_at": now,
        },
    )
    connection.execute(  # type: ignore[attr-defined]
        tables["submissions"].insert(),
        {
            "id": submission_id,
            "session_id": session_id,
            "text_content": "Memo",
            "text_hash": "b" * 64,
            "created_at": now,
        },
    )
    connection.execute(  # type: ignore[attr-defined]
        tables["evaluations"].insert(),
        {
            "id": new_id(),
            "submission_id": submission_id,
            "session_id": session_id,
            "status": "completed",
            "request_key": "c" * 64,
            "provider": "offline",
            "model": "rules",
            "config_version": "v1",
            "rubric_version": "r1",
            "scale_min": 1,
            "scale_max": 5,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cached_tokens": 0,
            "attempts": 1,
            "created_at": now,
        },
    )


def _languages(connection: object) -> list[str]:
    from sqlalchemy import text

    return [row[0] for row in connection.execute(text("SELECT language FROM evaluations"))]  # type: ignore[attr-defined]


async def test_0008_gives_earlier_evaluations_english_and_downgrades(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrations.downgrade(engine, "base")
        await migrations.upgrade(engine, "0007_created_at")
        async with engine.begin() as conn:
            await conn.run_sync(_insert_english_era_evaluation)
        await migrations.upgrade(engine, "0008_language")
        async with engine.connect() as conn:
            assert await conn.run_sync(_languages) == ["en"]
        await migrations.downgrade(engine, "0007_created_at")
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("evaluations")}
            )
        assert "language" not in columns and "request_key" in columns
        await migrations.upgrade(engine)
    finally:
        await engine.dispose()
