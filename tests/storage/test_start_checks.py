"""`memoai serve`, `memoai api` and `memoai db upgrade` on a database they cannot use stop at
once with one line naming the file and the cause, a non-zero exit and no traceback."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from memoai.ops.storage import sqlite_start_problem
from tests.deploy.processes import base_env
from tests.storage.support import immutable_problem

MEMOAI = Path(sys.executable).parent / "memoai"
COMMANDS = (["db", "upgrade"], ["api", "--port", "9"], ["serve", "--port", "9"])


def run(
    args: list[str], db: Path, data: Path, config_dir: Path
) -> subprocess.CompletedProcess[str]:
    env = base_env(
        DATABASE_URL=f"sqlite:///{db}",
        DATA_DIR=str(data),
        CONFIG_DIR=str(config_dir),
        BACKUP_DIR=str(data / "backups"),
        LLM_PROVIDER="offline",
    )
    return subprocess.run(
        [str(MEMOAI), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("memoai: cannot start: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def healthy(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(2000)])
    conn.commit()
    conn.close()


def truncated(path: Path) -> None:
    healthy(path)
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite database\n" * 200)


def immutable_file(path: Path) -> None:
    healthy(path)
    problem = immutable_problem(path)
    if problem:
        pytest.skip(problem)
    subprocess.run(["chattr", "+i", str(path)], check=True)


def blocked_folder(path: Path) -> None:
    path.parent.parent.write_text("a file where the data folder should be")


# (how the database is broken, where it lives, what the line must say)
CASES = {
    "truncated": (truncated, "memoai.db", ("corrupt", "backup")),
    "not-sqlite": (garbage, "memoai.db", ("corrupt", "backup")),
    "immutable": (immutable_file, "memoai.db", ("cannot be written", "readonly")),
    "folder": (blocked_folder, "volume/data/memoai.db", ("cannot be created",)),
}


@pytest.mark.parametrize("case", CASES)
def test_the_reason_names_the_file_and_the_cause(case: str, tmp_path: Path) -> None:
    damage, name, needles = CASES[case]
    db = tmp_path / name
    damage(db)
    try:
        problem = sqlite_start_problem(db)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False, capture_output=True)
    assert problem is not None and str(db) in problem
    for needle in needles:
        assert needle in problem


@pytest.mark.parametrize(
    ("args", "case"),
    [(COMMANDS[0], "truncated"), (COMMANDS[1], "immutable"), (COMMANDS[2], "folder")],
    ids=["db-upgrade-truncated", "api-immutable", "serve-folder"],
)
def test_each_command_stops_with_one_line(
    args: list[str], case: str, tmp_path: Path, config_dir: Path
) -> None:
    damage, name, needles = CASES[case]
    db = tmp_path / name
    damage(db)
    try:
        result = run(args, db, db.parent if case == "folder" else tmp_path, config_dir)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False, capture_output=True)
    assert_one_line(result, str(db), *needles)


def test_a_missing_folder_is_created_and_migrated(tmp_path: Path, config_dir: Path) -> None:
    db = tmp_path / "new" / "data" / "memoai.db"
    result = run(["db", "upgrade"], db, db.parent, config_dir)
    assert result.returncode == 0, result.stderr
    assert db.exists() and sqlite_start_problem(db) is None
