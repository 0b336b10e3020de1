"""Every benchmark still starts: its imports resolve and it answers --help (the figures are
measured by hand, never in the test run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(
    p.name
    for p in BENCH.glob("*.py")
    if p.name not in {"__init__.py", "lean_http.py", "accounts.py"}
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_starts(script: str) -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "usage:" in run.stdout
