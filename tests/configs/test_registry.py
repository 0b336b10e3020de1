"""The registry: stored versions are the configuration, files seed them and still win."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from memoai import migrations
from memoai.api import AppError
from memoai.configs import editing, files
from memoai.configs.loader import ConfigError, ConfigRegistry
from memoai.configs.models import ConfigVersion
from memoai.db import Database

CONTEXT = "organisation: {org}\naudience: Leaders\ntemplate: At {{organisation}}.\n"

Registries = Callable[..., Awaitable[ConfigRegistry]]


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url)
    await migrations.upgrade(db.engine)
    yield db
    await db.dispose()


@pytest.fixture
async def registries(database: Database, config_dir: Path) -> AsyncIterator[Registries]:
    """Started registries on one database (replicas), all stopped at the end."""
    started: list[ConfigRegistry] = []

    async def start(folder: Path = config_dir, poll_seconds: float = 0.2) -> ConfigRegistry:
        registry = ConfigRegistry(folder, {}, database, poll_seconds=poll_seconds)
        await registry.start()
        started.append(registry)
        return registry

    yield start
    for registry in started:
        await registry.stop()


async def versions(db: Database, config_type: str) -> list[tuple[int, str, str]]:
    """(version, source, author) of every stored version of a type, oldest first."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(ConfigVersion.version, ConfigVersion.source, ConfigVersion.author)
            .where(ConfigVersion.type == config_type)
            .order_by(ConfigVersion.version)
        )
        return [(row.version, row.source, row.author) for row in rows]


async def count(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count(ConfigVersion.id)))).scalar_one())


def rewrite(path: Path, text: str) -> None:
    """Write and move the file clock on, so even a coarse clock shows the change."""
    path.write_text(text, encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))


async def test_files_seed_version_one_of_every_type_once(
    registries: Registries, database: Database
) -> None:
    first = await registries()
    assert first.current().versions == dict.fromkeys(first.current().versions, 1)
    assert len(first.current().versions) == 6
    assert await versions(database, "rubric") == [(1, "file", "file")]
    await first.stop()
    again = await registries()  # a restart (or a second replica) with the same files
    assert again.current().version == first.current().version
    assert await count(database) == 6


async def test_a_changed_file_becomes_a_new_version(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    rewrite(config_dir / "context.yaml", CONTEXT.format(org="Acme Clinics"))
    await registry.reload()
    assert registry.current().context.organisation == "Acme Clinics"
    assert registry.current().versions["context"] == 2
    assert await versions(database, "context") == [(1, "file", "file"), (2, "file", "file")]


async def test_an_invalid_file_keeps_the_last_valid_version_and_says_where(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    before = registry.current()
    rewrite(config_dir / "context.yaml", "organisation: Acme\ntemplate: [unclosed\n")
    await registry.reload()
    assert registry.current() is before
    assert await versions(database, "context") == [(1, "file", "file")]
    [problem] = registry.problem_details()
    assert problem["file"] == "context.yaml"
    assert (problem["line"], problem["column"]) == (3, 1)
    assert "expected" in problem["message"]
    assert registry.problems[0].startswith("context.yaml line 3, column 1:")

    await registry.stop()
    restarted = await registries()  # the broken file does not stop a restart either
    assert restarted.current().version == before.version
    assert restarted.problem_of("context") is not None

    rewrite(config_dir / "context.yaml", CONTEXT.format(org="Fixed"))
    await restarted.reload()
    assert restarted.current().context.organisation == "Fixed"
    assert restarted.problems == []


async def test_a_missing_file_is_reported_and_the_stored_version_stays(
    registries: Registries, config_dir: Path
) -> None:
    registry = await registries()
    before = registry.current()
    (config_dir / "llm.yaml").unlink()
    await registry.reload()
    assert registry.current() is before
    assert "llm.yaml" in registry.problems[0] and "stays active" in registry.problems[0]


async def test_an_empty_database_with_an_invalid_file_refuses_to_start(
    database: Database, config_dir: Path
) -> None:
    (config_dir / "rubric.yaml").write_text("")
    registry = ConfigRegistry(config_dir, {}, database)
    with pytest.raises(ConfigError, match="at least one criterion"):
        await registry.start()


async def test_an_admin_edit_is_written_to_its_file_once(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    text = CONTEXT.format(org="Acme Admin")
    async with database.sessions() as session:
        saved, new = await editing.save(
            session, registry, "context", text, author="root", comment="rename"
        )
    assert new and (saved.version, saved.source, saved.author) == (2, "admin", "root")
    assert (config_dir / "context.yaml").read_text(encoding="utf-8") == text
    assert not list(config_dir.glob(".*.tmp"))  # the temporary file was renamed over
    assert registry.current().context.organisation == "Acme Admin"
    await registry.reload()
    await registry.stop()
    await registries()  # nor after a restart: the file holds what the version was written as
    assert await versions(database, "context") == [(1, "file", "file"), (2, "admin", "root")]


async def test_a_read_only_config_folder_keeps_versions_in_the_database(
    registries: Registries, database: Database, config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = await registries()
    original = (config_dir / "context.yaml").read_text(encoding="utf-8")
    if os.geteuid() == 0:  # root writes anywhere: stand in for a read-only mount
        monkeypatch.setattr(files, "writable", lambda folder: False)
    else:
        config_dir.chmod(0o555)
    try:
        assert registry.writable is False
        async with database.sessions() as session:
            await editing.save(
                session, registry, "context", CONTEXT.format(org="Db Only"), author="root"
            )
        assert (config_dir / "context.yaml").read_text(encoding="utf-8") == original
        await registry.stop()
        restarted = await registries()  # the unchanged file does not undo the edit
        assert restarted.current().context.organisation == "Db Only"
    finally:
        config_dir.chmod(0o755)
    assert await versions(database, "context") == [(1, "file", "file"), (2, "admin", "root")]


async def test_another_replica_sees_a_new_version_within_two_seconds(
    registries: Registries, database: Database, config_dir: Path, tmp_path: Path
) -> None:
    first = await registries()
    other_dir = tmp_path / "replica-config"
    other_dir.mkdir()
    for path in config_dir.iterdir():
        (other_dir / path.name).write_bytes(path.read_bytes())
    second = await registries(other_dir, poll_seconds=0.5)
    async with database.sessions() as session:
        await editing.save(session, first, "context", CONTEXT.format(org="Everywhere"), author="r")
    started = time.monotonic()
    while second.current().context.organisation != "Everywhere":
        assert time.monotonic() - started < 2.0, "the other replica did not notice"
        await asyncio.sleep(0.05)
    assert second.current().versions["context"] == 2
    assert (other_dir / "context.yaml").read_text() != CONTEXT.format(org="Everywhere")


async def test_switching_authentication_in_the_database_reaches_every_replica(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    first, second = await registries(), await registries()
    assert second.current().auth.authentication.enabled is False
    text = (
        (config_dir / "auth.yaml").read_text().replace("enabled: ${AUTH_ENABLED}", "enabled: true")
    )
    async with database.sessions() as session:
        await editing.save(session, first, "auth", text, author="root")
    await second.reload()
    assert second.current().auth.authentication.enabled is True


async def test_identical_content_makes_no_version_and_a_stale_base_is_a_conflict(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    same = (config_dir / "context.yaml").read_text(encoding="utf-8")
    async with database.sessions() as session:
        stored, new = await editing.save(session, registry, "context", same, author="root")
        assert (stored.version, new) == (1, False)
        await editing.save(
            session, registry, "context", CONTEXT.format(org="A"), author="a", base_version=1
        )
        with pytest.raises(AppError) as info:
            await editing.save(
                session, registry, "context", CONTEXT.format(org="B"), author="b", base_version=1
            )
    assert (info.value.status, info.value.code) == (409, "CONFLICT")
    assert info.value.details == {"active_version": 2, "base_version": 1}
    assert registry.current().context.organisation == "A"


async def test_rollback_is_a_new_version_with_the_old_text(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    original = (config_dir / "context.yaml").read_text(encoding="utf-8")
    async with database.sessions() as session:
        await editing.save(session, registry, "context", CONTEXT.format(org="New"), author="a")
        back, new = await editing.rollback(session, registry, "context", 1, author="b")
        old, changed = (
            await editing.get_version(session, "context", 1),
            await editing.get_version(session, "context", 2),
        )
    assert new and back.version == 3 and back.content == original
    assert back.comment == "rollback to version 1"
    assert registry.current().versions["context"] == 3
    unified, lines = editing.diff(old, changed)
    assert unified.startswith("--- context.yaml version 1\n+++ context.yaml version 2")
    assert ("+", "organisation: New") in lines
    assert any(op == "@" for op, _ in lines)


async def test_normalised_weights_are_a_warning_and_the_text_is_kept(
    registries: Registries, database: Database, config_dir: Path
) -> None:
    registry = await registries()
    text = (
        (config_dir / "rubric.yaml")
        .read_text(encoding="utf-8")
        .replace("weight: 10", "weight: 11", 1)
    )
    async with database.sessions() as session:
        stored, _ = await editing.save(session, registry, "rubric", text, author="root")
    assert stored.content == text
    view = editing.view(registry, stored)
    assert any("summed to 101" in w for w in view.warnings)
    assert sum(c.weight for c in registry.current().rubric.criteria) == pytest.approx(100)


async def test_an_edit_that_breaks_another_file_is_refused(registries: Registries) -> None:
    registry = await registries()
    prompt = registry.active("prompt").stored.content
    assert "rubric.name" in prompt
    broken = prompt.replace("rubric.name", "rubric.nmae", 1)
    with pytest.raises(AppError) as info:
        editing.draft_config(registry, "prompt", broken)
    assert info.value.code == "CONFIG_INVALID" and "cannot render" in info.value.message


async def test_replicas_importing_the_same_file_change_at_once_make_one_version(
    registries: Registries, database: Database, config_dir: Path, tmp_path: Path
) -> None:
    other_dir = tmp_path / "replica-config"
    other_dir.mkdir()
    for path in config_dir.iterdir():
        (other_dir / path.name).write_bytes(path.read_bytes())
    first, second = await registries(), await registries(other_dir)
    for folder in (config_dir, other_dir):  # one ConfigMap update seen by both replicas
        rewrite(folder / "context.yaml", CONTEXT.format(org="Shared"))
    await asyncio.gather(first.reload(), second.reload())
    await asyncio.gather(first.reload(), second.reload())
    assert await versions(database, "context") == [(1, "file", "file"), (2, "file", "file")]
    assert first.current().context.organisation == second.current().context.organisation
    assert second.current().context.organisation == "Shared"
