"""scripts/rolling-restart.sh --compose: the commands it gives Docker Compose, in their order.

The native path runs for real in the topology test (test_topology.py, under load). Without a
Docker engine here, the compose path runs against a stand-in `docker-compose` that records
each command and answers like the services would: replicas ready at once, nginx sending
every probe to the replicas in turn (so the restarted one sees every other probe).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "rolling-restart.sh"
FAKE_COMPOSE = """\
import pathlib, sys
state = pathlib.Path(sys.argv[1])
compose_file, args = sys.argv[3], sys.argv[4:]  # -f FILE COMMAND...
served = lambda name: state / f"{name}.served"
if args[0] == "up":
    step = f"up {args[-1]}"
    served(args[-1]).write_text("0")  # a new container: its counters start at 0
elif args[2] == "nginx":
    step = "reload nginx" if args[3] == "nginx" else "probe nginx"
    if step == "probe nginx":
        turn = state / "turn"
        count = int(turn.read_text()) if turn.exists() else 0
        turn.write_text(str(count + 1))
        file = served(["memoai-backend-1", "memoai-backend-2"][count % 2])
        file.write_text(str(int(file.read_text() if file.exists() else "0") + 1))
else:  # exec -T REPLICA python -c CODE PATH TOKEN
    step = ("metrics " if args[-2] == "/metrics" else "ready ") + args[2]
    if args[-2] == "/metrics":
        file = served(args[2])
        n = file.read_text() if file.exists() else "0"
        print('memoai_http_requests_total{method="GET",route="/health/ready",status="200"} '
              + n + ".0")
        print('memoai_http_requests_total{method="GET",route="/health",status="200"} 7.0')
    else:
        print('{"data": {"status": "ready"}}')
with (state / "calls").open("a") as log:
    log.write(f"{compose_file}|{step}\\n")
"""


def test_compose_replicas_are_recreated_one_at_a_time_and_used_again(tmp_path: Path) -> None:
    fake = tmp_path / "fake_compose.py"
    fake.write_text(FAKE_COMPOSE)
    env = {
        "PATH": os.environ["PATH"],
        "COMPOSE": f"{sys.executable} {fake} {tmp_path}",
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), "--compose", "--timeout", "20"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert all(call.startswith("docker-compose.prod.yml|") for call in calls)
    steps = [call.split("|")[1] for call in calls]
    # Before each restart the other replica is ready; after it: ready, nginx reloaded (the
    # new container's address), then probes through nginx until the replica counted one.
    first = steps.index("up memoai-backend-1")
    second = steps.index("up memoai-backend-2")
    assert steps[:first] == ["ready memoai-backend-2"]
    assert steps[first + 1 : first + 3] == ["ready memoai-backend-1", "reload nginx"]
    assert "probe nginx" in steps[first:second]
    assert steps[second - 1] == "ready memoai-backend-1"  # checked before the second restart
    assert steps[second + 1 : second + 3] == ["ready memoai-backend-2", "reload nginx"]
    assert steps[-1] == "metrics memoai-backend-2"
    assert "memoai-backend-2: nginx uses it again" in result.stderr


def test_compose_stops_when_a_replica_never_serves_again(tmp_path: Path) -> None:
    fake = tmp_path / "fake_compose.py"
    # nginx never picks a restarted replica: the script must give up, not go on to the next.
    fake.write_text(FAKE_COMPOSE.replace("[count % 2]", "[1]"))
    env = {"PATH": os.environ["PATH"], "COMPOSE": f"{sys.executable} {fake} {tmp_path}"}
    result = subprocess.run(
        ["bash", str(SCRIPT), "--compose", "--timeout", "3"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "FAILED: nginx to send memoai-backend-1 requests again within 3s" in result.stderr
    steps = [call.split("|")[1] for call in (tmp_path / "calls").read_text().splitlines()]
    assert "up memoai-backend-2" not in steps
