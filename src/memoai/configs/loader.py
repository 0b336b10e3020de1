"""Loading the six configuration files, and the registry that keeps the valid one in force."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel

from memoai.configs.schemas import CONFIG_TYPES, ActiveConfig
from memoai.configs.validate import (
    ConfigError,
    build_active_config,
    config_filename,
    validate_config,
)

__all__ = [
    "ConfigError",
    "ConfigRegistry",
    "build_active_config",
    "config_filename",
    "load_active_config",
    "validate_config",
]

log = logging.getLogger(__name__)

FileStamp = tuple[int, int, int] | None


def load_active_config(config_dir: Path, env: Mapping[str, str] | None = None) -> ActiveConfig:
    """Read and validate all six files; the first problem raises ConfigError."""
    models: dict[str, BaseModel] = {}
    for config_type in CONFIG_TYPES:
        path = Path(config_dir) / config_filename(config_type)
        models[config_type], _ = validate_config(config_type, _read(config_type, path), env)
    return build_active_config(models)


def _read(config_type: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(config_type, f"the file is missing from {path.parent}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(config_type, f"cannot read {path}: {exc}") from None


class ConfigRegistry:
    """Cheap to ask on every request: at most one stat() sweep of the files per interval."""

    def __init__(
        self,
        config_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        check_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config_dir = Path(config_dir)
        self.problems: list[str] = []
        self._env = env
        self._interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stamps = self._file_stamps()
        self._config = load_active_config(self.config_dir, env)  # the first failure raises
        self._checked_at = clock()

    def current(self) -> ActiveConfig:
        """The active configuration, reloaded first if a file changed since the last look."""
        now = self._clock()
        if now - self._checked_at >= self._interval:
            with self._lock:
                if now - self._checked_at >= self._interval:
                    self._checked_at = now
                    stamps = self._file_stamps()
                    if stamps != self._stamps:
                        self._load(stamps)
        return self._config

    def reload(self) -> ActiveConfig:
        """Re-read now (after an admin edit); on failure the last valid config stays."""
        with self._lock:
            self._checked_at = self._clock()
            self._load(self._file_stamps())
        return self._config

    def _load(self, stamps: tuple[FileStamp, ...]) -> None:
        # Stamps are taken before reading, so a write during the load is seen next time.
        self._stamps = stamps
        try:
            config = load_active_config(self.config_dir, self._env)
        except ConfigError as exc:
            self.problems = [str(exc)]
            log.warning("configuration invalid, keeping version %s: %s", self._config.version, exc)
            return
        if config.version != self._config.version:
            log.info("configuration version %s is active", config.version)
        self._config = config
        self.problems = []

    def _file_stamps(self) -> tuple[FileStamp, ...]:
        return tuple(self._stamp(self.config_dir / config_filename(t)) for t in CONFIG_TYPES)

    @staticmethod
    def _stamp(path: Path) -> FileStamp:
        try:
            stat = path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
