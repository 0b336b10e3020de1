"""Where a rendered nginx configuration lives and what it listens on (loopback, free ports)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path


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
