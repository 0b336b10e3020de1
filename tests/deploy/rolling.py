"""`scripts/rolling-restart.sh` run on the topology, with a stand-in for systemd.

On a server the script restarts a replica with `systemctl restart memoai-api@PORT`; here the
replicas are the test's own child processes, so its restart command asks this supervisor
(a small HTTP server in the test process) to do what systemd does: SIGTERM, wait for the
exit, start again.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from tests.deploy.topology import Stack

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "rolling-restart.sh"


@dataclass
class Restart:
    """One replica's restart as the supervisor saw it."""

    port: int
    code: int | None  # its exit status after SIGTERM
    graceful: bool  # uvicorn logged the end of its shutdown
    stop_seconds: float


@dataclass
class Supervisor:
    """Restarts replicas on `POST /restart/PORT`, like `systemctl restart` (stop, then start)."""

    stack: Stack
    restarts: list[Restart] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        supervisor = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                try:
                    supervisor.restart(int(self.path.rsplit("/", 1)[-1]))
                except Exception as exc:  # the script sees a failure, the test the reason
                    supervisor.errors.append(f"{self.path}: {type(exc).__name__}: {exc}")
                    self.send_response(500)
                else:
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Supervisor:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    @property
    def restart_command(self) -> str:
        return (
            f"curl -fsS -X POST http://127.0.0.1:{self.server.server_address[1]}/restart/{{port}}"
        )

    def restart(self, port: int) -> None:
        replica = self.stack.backend(self.stack.backend_ports.index(port))
        began = time.monotonic()
        since = replica.log_size()
        code = replica.stop()  # SIGTERM: finish what is in flight, refuse new connections
        messages = [line.get("message") for line in replica.json_lines(since)]
        graceful = "Application shutdown complete." in messages
        self.restarts.append(Restart(port, code, graceful, time.monotonic() - began))
        replica.start()  # not waited for: the script waits for readiness itself


def rolling_restart(
    stack: Stack, supervisor: Supervisor, order: tuple[int, ...], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run the shipped script on the replicas in `order`, the way a native install runs it."""
    return subprocess.run(
        [
            "bash",
            str(SCRIPT),
            "--restart-command",
            supervisor.restart_command,
            "--nginx",
            f"http://127.0.0.1:{stack.nginx_layout.internal}",
            "--timeout",
            "60",
            *(stack.backend_address(index) for index in order),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
