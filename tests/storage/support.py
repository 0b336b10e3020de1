"""Storage that really fails: a small tmpfs filled up, an immutable file (chattr +i), a
corrupt file. Root can do all of these (CI runs as root); where a capability is missing the
helper says so and the test skips or falls back with the reason."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

CHUNK = b"\0" * 65536
MEMO = (
    "To: Operations Committee\nFrom: Finance\nSubject: Approving the scheduling pilot\n\n"
    "We ask for $120,000 to pilot automated scheduling in two clinics by March. Overtime fell "
    "18% in a similar trial, which would repay the pilot within a year. Please decide by Friday."
)


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def mount_tmpfs(folder: Path, size: str, *options: str) -> str | None:
    """Mount a tmpfs of `size` at `folder`; None when mounted, else why it could not be."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return "mounting a tmpfs needs root and mount(8)"
    result = _run(
        "mount", "-t", "tmpfs", "-o", ",".join((f"size={size}", *options)), "tmpfs", str(folder)
    )
    return None if result.returncode == 0 else f"mount failed: {result.stderr.strip()}"


def unmount(folder: Path) -> None:
    _run("umount", "-l", str(folder))


@contextlib.contextmanager
def small_volume(folder: Path, size: str = "2m", *options: str) -> Iterator[str | None]:
    """A tmpfs at `folder` for the block; yields None, or why there is none (a plain folder)."""
    problem = mount_tmpfs(folder, size, *options)
    try:
        yield problem
    finally:
        if problem is None:
            unmount(folder)


def fill(folder: Path) -> Path:
    """Write a file in `folder` until its volume is full (ENOSPC); returns the file."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as handle:
        while True:
            try:
                handle.write(CHUNK)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        for size in (4096, 512, 1):  # the last partial blocks too
            with contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * size)
    return filler


def immutable_problem(path: Path) -> str | None:
    """None when `chattr +i` works on `path`'s filesystem, else why not."""
    if shutil.which("chattr") is None:
        return "chattr is not installed (e2fsprogs)"
    result = _run("chattr", "+i", str(path))
    if result.returncode != 0:
        return f"chattr +i failed here: {result.stderr.strip()}"
    _run("chattr", "-i", str(path))
    return None


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """`path` immutable (not even root may write it) for the block."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)
