"""An app served by a real uvicorn on a loopback port, in a thread, as `memoai api` serves it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp


@contextmanager
def served(app: ASGIApp) -> Iterator[int]:
    """Serve `app` (lifespan included) on 127.0.0.1; yields the port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    # As memoai.cli runs it: the app, not uvicorn, resolves X-Forwarded-* (ops/forwarding.py).
    config = uvicorn.Config(app, log_level="warning", lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
