"""The active configuration: the newest stored version of each file, the same in every replica.

Files in `config/` seed the versions and still win when an operator edits them: a file whose
content differs from what it was last synced with becomes a new version if it is valid. Each
replica polls (a `max(id)` query and six `stat()` calls) in the background, so `current()` is a
memory read on the request path and a new version is in force everywhere within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from memoai.configs import files, service
from memoai.configs.models import ConfigVersion, Source
from memoai.configs.schemas import CONFIG_TYPES, ActiveConfig
from memoai.configs.validate import (
    ConfigError,
    build_active_config,
    config_filename,
    validate_config,
)
from memoai.db import Database

__all__ = [
    "ConfigError",
    "ConfigRegistry",
    "StoredVersion",
    "build_active_config",
    "config_filename",
    "load_active_config",
    "validate_config",
]

log = logging.getLogger(__name__)
# Well inside the two seconds a replica may lag; the check costs one indexed query.
POLL_SECONDS = 0.5


def load_active_config(config_dir: Path, env: Mapping[str, str] | None = None) -> ActiveConfig:
    """Read and validate the six files alone (CLI, config check); the first problem raises."""
    models: dict[str, BaseModel] = {}
    for config_type in CONFIG_TYPES:
        found = files.read(config_dir, config_type)
        if found.text is None:
            raise found.error or ConfigError(config_type, "cannot read the file")
        models[config_type], _ = validate_config(config_type, found.text, env)
    return build_active_config(models)


@dataclass(frozen=True)
class StoredVersion:
    """A stored version, detached from any database session."""

    id: int
    type: str
    version: int
    hash: str
    content: str
    author: str
    source: str
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, row: ConfigVersion) -> StoredVersion:
        return cls(
            id=row.id,
            type=row.type,
            version=row.version,
            hash=row.hash,
            content=row.content,
            author=row.author,
            source=row.source,
            comment=row.comment,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class ActiveVersion:
    """One type's active version as this replica validated it."""

    stored: StoredVersion
    model: BaseModel
    warnings: tuple[str, ...]


class ConfigRegistry:
    """The configuration in force; `current()` is a memory read, kept fresh by a poll task."""

    def __init__(
        self,
        config_dir: Path,
        env: Mapping[str, str] | None,
        db: Database,
        *,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.env: Mapping[str, str] = dict(env) if env is not None else {}
        self.db = db
        self._poll_seconds = poll_seconds
        self._config: ActiveConfig | None = None
        self._active: dict[str, ActiveVersion] = {}
        self._file_problems: dict[str, ConfigError] = {}
        self._load_problems: dict[str, ConfigError] = {}
        self._stamps: dict[str, files.FileStamp] = {}
        self._seen: dict[str, str | None] = {}
        self._max_id = -1
        # Texts validated moments ago (by content hash), so loading them does not parse twice.
        self._validated: dict[str, tuple[BaseModel, list[str]]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # --- what callers read ------------------------------------------------------------------

    def current(self) -> ActiveConfig:
        """The active configuration (no I/O: the poll task keeps it fresh)."""
        if self._config is None:
            raise RuntimeError("the configuration registry has not been started")
        return self._config

    def active(self, config_type: str) -> ActiveVersion:
        """The active version of one type, with its validated values and warnings."""
        return self._active[config_type]

    def problem_of(self, config_type: str) -> ConfigError | None:
        """Why this type's file (or stored version) is not in force, if it is not."""
        return self._file_problems.get(config_type) or self._load_problems.get(config_type)

    @property
    def problems(self) -> list[str]:
        """One readable line per problem, for readiness details and logs."""
        found = (self.problem_of(t) for t in CONFIG_TYPES)
        return [str(problem) for problem in found if problem is not None]

    def problem_details(self) -> list[dict[str, Any]]:
        """File, line, column and message of every problem, for the admin page."""
        found = (self.problem_of(t) for t in CONFIG_TYPES)
        return [problem.as_problem() for problem in found if problem is not None]

    def remember_valid(self, text: str, model: BaseModel, warnings: list[str]) -> None:
        """A text just validated here, so loading its version does not parse it again."""
        if len(self._validated) >= 2 * len(CONFIG_TYPES):  # previews that were never saved
            self._validated.clear()
        self._validated[files.content_hash(text)] = (model, warnings)

    @property
    def writable(self) -> bool:
        return files.writable(self.config_dir)

    # --- life cycle -------------------------------------------------------------------------

    async def start(self) -> ActiveConfig:
        """Import the files, load the newest versions, start polling; raises without a config."""
        await self.reload()
        if self._config is None:
            missing = next((p for p in map(self.problem_of, CONFIG_TYPES) if p), None)
            raise missing or ConfigError("rubric", "no valid configuration is stored")
        self._task = asyncio.get_running_loop().create_task(self._poll())
        return self._config

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def reload(self) -> ActiveConfig | None:
        """Look now (after an admin edit, or when told a file changed): files, then the database."""
        async with self._lock:
            await self._load()
            await self._check_files(force=True)
            await self._load()
        return self._config

    async def _poll(self) -> None:
        failing = False  # logged once per outage, not twice a second
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                async with self._lock:
                    await self._check_files(force=False)
                    await self._load()
            except Exception:
                if not failing:
                    log.exception("configuration check failed; the last one stays in force")
                failing = True
            else:
                if failing:
                    log.info("configuration checks work again")
                failing = False

    # --- files ------------------------------------------------------------------------------

    async def _check_files(self, *, force: bool) -> None:
        """Import files whose content changed since this replica last looked."""
        changed: dict[str, files.FileRead] = {}
        for config_type in CONFIG_TYPES:
            stamp = files.stamp(files.path_of(self.config_dir, config_type))
            if not force and stamp == self._stamps.get(config_type):
                continue
            self._stamps[config_type] = stamp  # taken before reading: a later write is seen
            found = files.read(self.config_dir, config_type)
            if config_type in self._seen and found.digest == self._seen[config_type]:
                continue
            self._seen[config_type] = found.digest
            changed[config_type] = found
        if changed:
            await self._import(changed)

    async def _import(self, changed: dict[str, files.FileRead]) -> None:
        async with self.db.sessions() as session:
            stored = await service.active_rows(session)
            synced = await service.synced_hashes(session)
        models = {name: active.model for name, active in self._active.items()}
        for config_type, found in changed.items():
            if found.text is None:
                error = found.error or ConfigError(config_type, "cannot read the file")
                if config_type in stored:
                    error = ConfigError(
                        config_type, f"{error.message}; the stored version stays active"
                    )
                self._file_problems[config_type] = error
                continue
            if found.digest == synced.get(config_type):
                self._file_problems.pop(config_type, None)  # what was imported or written
                continue
            try:
                model, warnings, _ = check_with_others(config_type, found.text, self.env, models)
            except ConfigError as exc:
                self._file_problems[config_type] = exc
                log.warning(
                    "%s not imported, the last valid version stays: %s", exc.config_type, exc
                )
                continue
            self._file_problems.pop(config_type, None)
            models[config_type] = model
            self.remember_valid(found.text, model, warnings)
            await self._record_import(config_type, found.text, stored.get(config_type))

    async def _record_import(
        self, config_type: str, text: str, active: ConfigVersion | None
    ) -> None:
        digest = files.content_hash(text)
        async with self.db.sessions() as session:
            try:
                if active is not None and active.hash == digest:
                    await service.set_file_hash(session, active.id, digest)
                else:
                    row = await service.add_version(
                        session,
                        config_type,
                        text,
                        digest,
                        after=active.version if active is not None else 0,
                        author="file",
                        source=Source.FILE,
                        comment=f"imported from {config_filename(config_type)}",
                        file_hash=digest,
                    )
                    log.info("%s imported as version %s", config_type, row.version)
                await session.commit()
            except IntegrityError:  # another replica stored a version first: look again
                await session.rollback()
                self._seen.pop(config_type, None)
                self._stamps.pop(config_type, None)

    # --- the database -----------------------------------------------------------------------

    async def _load(self) -> None:
        """Rebuild the active configuration when a version was added anywhere."""
        async with self.db.engine.connect() as conn:
            newest = await service.max_id(conn)
        if newest == self._max_id:
            return
        async with self.db.sessions() as session:
            rows = await service.active_rows(session)
        self._max_id = newest
        active: dict[str, ActiveVersion] = {}
        problems: dict[str, ConfigError] = {}
        for config_type in CONFIG_TYPES:
            row, prior = rows.get(config_type), self._active.get(config_type)
            if row is None:
                continue
            if prior is not None and prior.stored.id == row.id:
                active[config_type] = prior
                continue
            try:
                model, warnings = self._validated.get(row.hash) or validate_config(
                    config_type, row.content, self.env
                )
                active[config_type] = ActiveVersion(StoredVersion.of(row), model, tuple(warnings))
            except ConfigError as exc:
                problems[config_type] = stored_problem(exc, row.version)
                if prior is not None:
                    active[config_type] = prior
        self._load_problems = problems
        self._validated.clear()
        if len(active) < len(CONFIG_TYPES):
            return
        try:
            config = build_active_config(
                {name: a.model for name, a in active.items()},
                {name: a.stored.version for name, a in active.items()},
            )
        except ConfigError as exc:
            self._load_problems[exc.config_type] = exc
            return
        if self._config is None or config.versions != self._config.versions:
            log.info("configuration in force", extra={"versions": config.versions})
        self._active, self._config = active, config


def check_with_others(
    config_type: str, text: str, env: Mapping[str, str], models: Mapping[str, BaseModel]
) -> tuple[BaseModel, list[str], ActiveConfig | None]:
    """Validate one file's text, and (when the others are known) that all work together."""
    model, warnings = validate_config(config_type, text, env)
    candidate = {**models, config_type: model}
    if any(name not in candidate for name in CONFIG_TYPES):
        return model, warnings, None
    try:
        return model, warnings, build_active_config(candidate)
    except ConfigError as exc:
        if exc.config_type == config_type:
            raise
        raise ConfigError(
            config_type,
            f"with this {config_filename(config_type)}, {config_filename(exc.config_type)} "
            f"no longer works: {exc.path + ': ' if exc.path else ''}{exc.message}",
        ) from exc


def stored_problem(exc: ConfigError, version: int) -> ConfigError:
    """A stored version that no longer validates here (say, an environment variable changed)."""
    return ConfigError(
        exc.config_type,
        f"stored version {version} is not valid in this environment: {exc.message}",
        line=exc.line,
        column=exc.column,
        path=exc.path,
    )
