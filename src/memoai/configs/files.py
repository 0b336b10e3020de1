"""The files in `config/`: reading them, telling a change, and writing an admin's edit back."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from memoai.configs.validate import ConfigError, config_filename

FileStamp = tuple[int, int, int] | None


def content_hash(text: str) -> str:
    """sha256 of the text exactly as written: the identity of a version and of a file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FileRead:
    """One file's text, or why it could not be read (a ConfigError naming the file)."""

    text: str | None
    error: ConfigError | None = None

    @property
    def digest(self) -> str | None:
        return None if self.text is None else content_hash(self.text)


def path_of(config_dir: Path, config_type: str) -> Path:
    return Path(config_dir) / config_filename(config_type)


def read(config_dir: Path, config_type: str) -> FileRead:
    """Read one configuration file; a missing or unreadable one is reported, not raised."""
    path = path_of(config_dir, config_type)
    try:
        return FileRead(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return FileRead(None, ConfigError(config_type, f"the file is missing from {path.parent}"))
    except (OSError, UnicodeDecodeError) as exc:
        return FileRead(None, ConfigError(config_type, f"cannot read {path}: {exc}"))


def stamp(path: Path) -> FileStamp:
    """Cheap change detection: modification time, size and inode (a replaced file is new)."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def writable(config_dir: Path) -> bool:
    """Admin edits are written back when the folder is writable (not a read-only ConfigMap)."""
    folder = Path(config_dir)
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def write_atomically(config_dir: Path, config_type: str, text: str) -> None:
    """Write to a temporary file beside the target and rename it over: readers never see half."""
    target = path_of(config_dir, config_type)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
