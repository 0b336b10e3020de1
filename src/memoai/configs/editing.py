"""Admins' work on the configuration: validate, save as a version, write back, diff, roll back."""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from memoai.api import AppError, ErrorCode, not_found
from memoai.configs import files, service
from memoai.configs.loader import ConfigRegistry, StoredVersion, check_with_others
from memoai.configs.models import Source
from memoai.configs.schemas import CONFIG_TYPES, ActiveConfig
from memoai.configs.validate import ConfigError, effective_values, validate_config
from memoai.translations import N_

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionView:
    """A stored version with what it means here: its values in force and any warnings."""

    stored: StoredVersion
    effective: dict[str, Any] | None
    warnings: list[str]


def invalid(exc: ConfigError) -> AppError:
    """A refused edit: 422 with the line, column and a sentence the admin can act on."""
    return AppError(
        422,
        ErrorCode.CONFIG_INVALID,
        N_("%(problem)s — nothing was saved; fix it and save again."),
        field="content",
        details=exc.as_details(),
        values={"problem": str(exc)},
    )


def check_type(config_type: str) -> None:
    if config_type not in CONFIG_TYPES:
        raise AppError(
            404,
            ErrorCode.NOT_FOUND,
            N_("No configuration type '%(type)s'; one of %(types)s."),
            values={"type": config_type, "types": ", ".join(CONFIG_TYPES)},
        )


def draft_config(registry: ConfigRegistry, config_type: str, content: str) -> ActiveConfig:
    """The configuration as it would be with this draft; 422 CONFIG_INVALID if it cannot be."""
    check_type(config_type)
    current = registry.current()
    models: dict[str, BaseModel] = {name: getattr(current, name) for name in CONFIG_TYPES}
    try:
        model, warnings, config = check_with_others(config_type, content, registry.env, models)
    except ConfigError as exc:
        raise invalid(exc) from None
    assert config is not None  # every other type is known once the registry has started
    registry.remember_valid(content, model, warnings)
    return config


async def save(
    db: AsyncSession,
    registry: ConfigRegistry,
    config_type: str,
    content: str,
    *,
    author: str,
    comment: str = "",
    base_version: int | None = None,
) -> tuple[StoredVersion, bool]:
    """Store a valid edit as the new active version; (version, whether it is new)."""
    draft_config(registry, config_type, content)
    current = await service.active_row(db, config_type)
    if base_version is not None and (current is None or current.version != base_version):
        raise _conflict(current.version if current else None, base_version)
    digest = files.content_hash(content)
    if current is not None and current.hash == digest:
        return StoredVersion.of(current), False
    write_back = registry.writable
    try:
        row = await service.add_version(
            db,
            config_type,
            content,
            digest,
            after=current.version if current is not None else 0,
            author=author,
            source=Source.ADMIN,
            comment=comment,
            file_hash=digest if write_back else None,
        )
        await db.commit()
    except IntegrityError:
        await db.rollback()
        raise _conflict(None, base_version) from None
    if write_back:
        await _write_file(db, registry, row.id, config_type, content)
    await registry.reload()
    return StoredVersion.of(row), True


async def _write_file(
    db: AsyncSession, registry: ConfigRegistry, version_id: int, config_type: str, content: str
) -> None:
    """After the commit, so another replica that sees the new file finds it already synced."""
    try:
        await asyncio.to_thread(files.write_atomically, registry.config_dir, config_type, content)
    except OSError as exc:
        log.warning("could not write %s back to its file: %s", config_type, exc)
        await service.set_file_hash(db, version_id, None)  # the file still holds the old text
        await db.commit()


def _conflict(active: int | None, base: int | None) -> AppError:
    return AppError(
        409,
        ErrorCode.CONFLICT,
        N_(
            "Someone saved this configuration first (the active version is %(active)s, your "
            "edit started from %(base)s). Reload it, reapply your change and save again."
        ),
        values={"active": active, "base": base},
        details={"active_version": active, "base_version": base},
    )


async def rollback(
    db: AsyncSession,
    registry: ConfigRegistry,
    config_type: str,
    version: int,
    *,
    author: str,
    comment: str = "",
) -> tuple[StoredVersion, bool]:
    """A new version with an old version's text (history is never rewritten)."""
    old = await get_version(db, config_type, version)
    return await save(
        db,
        registry,
        config_type,
        old.content,
        author=author,
        comment=comment or f"rollback to version {version}",
    )


async def get_version(db: AsyncSession, config_type: str, version: int) -> StoredVersion:
    check_type(config_type)
    row = await service.get_version(db, config_type, version)
    if row is None:
        raise not_found(f"version {version} of {config_type}")
    return StoredVersion.of(row)


async def list_versions(
    db: AsyncSession, config_type: str, *, limit: int, offset: int
) -> tuple[Sequence[StoredVersion], int]:
    check_type(config_type)
    rows, total = await service.list_versions(db, config_type, limit=limit, offset=offset)
    return [StoredVersion.of(row) for row in rows], total


def view(registry: ConfigRegistry, stored: StoredVersion) -> VersionView:
    """The active version as validated at load; another one validated now, for its values."""
    active = registry.active(stored.type)
    if active.stored.id == stored.id:
        return VersionView(stored, effective_values(active.model), list(active.warnings))
    try:
        model, warnings = validate_config(stored.type, stored.content, registry.env)
    except ConfigError as exc:
        return VersionView(stored, None, [f"this version is not valid here: {exc}"])
    return VersionView(stored, effective_values(model), warnings)


def diff(old: StoredVersion, new: StoredVersion) -> tuple[str, list[tuple[str, str]]]:
    """A unified diff, and its lines as (op, text) with op one of ' ', '+', '-', '@'."""
    name = f"{old.type}.yaml"
    lines = list(
        difflib.unified_diff(
            old.content.splitlines(),
            new.content.splitlines(),
            fromfile=f"{name} version {old.version}",
            tofile=f"{name} version {new.version}",
            lineterm="",
        )
    )
    # The two file headers (---, +++) are in `unified` only.
    ops = [(line[0], line if line[0] == "@" else line[1:]) for line in lines[2:]]
    return "\n".join(lines), ops
