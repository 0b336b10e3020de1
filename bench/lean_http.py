"""A minimal keep-alive HTTP/1.1 client on asyncio streams, for load generation.

httpx costs about as much CPU per request as the server under test does; on a 2-core machine
the load generator would then measure itself. This client does only what the benchmarks need:
JSON bodies, Content-Length responses, and the session cookie.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any


class LeanClient:
    """One connection, one request at a time, cookies kept like a browser keeps them."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}  # sent with every request (e.g. Authorization)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        """Send a request and return (status, parsed JSON body)."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        payload = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if payload:
            head.append("Content-Type: application/json")
        head.append(f"Content-Length: {len(payload)}")
        head.extend(f"{k}: {v}" for k, v in self.headers.items())
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        data = await reader.readexactly(length) if length else b""
        return status, json.loads(data) if data else {}

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
