"""Where a rendered nginx configuration lives and what it listens on (loopback, free ports)."""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

RENDER = Path(__file__).resolve().parents[2] / "scripts" / "render-nginx.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Layout:
    """Where one rendered configuration lives and what it listens on."""

    prefix: Path
    http: int = field(default_factory=free_port)
    https: int = field(default_factory=free_port)
    internal: int = field(default_factory=free_port)

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def cert(self) -> Path:
        return self.prefix / "ssl" / "fullchain.pem"

    def render(self, backends: str, frontends: str, *extra: str) -> str:
        """scripts/render-nginx.sh for loopback, everything inside the prefix; the config text."""
        subprocess.run(
            [
                "sh",
                str(RENDER),
                "--prefix",
                str(self.prefix),
                "--output",
                str(self.conf),
                "--domain",
                "localhost",
                "--http-listen",
                f"127.0.0.1:{self.http}",
                "--https-listen",
                f"127.0.0.1:{self.https}",
                "--internal-listen",
                f"127.0.0.1:{self.internal}",
                "--backends",
                backends,
                "--frontends",
                frontends,
                "--cert",
                str(self.cert),
                "--key",
                str(self.prefix / "ssl" / "privkey.pem"),
                "--static-root",
                str(self.prefix / "www"),
                "--acme-root",
                str(self.prefix / "acme"),
                *extra,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return self.conf.read_text(encoding="utf-8")
