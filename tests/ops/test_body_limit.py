"""The body limit over a real socket: a refused body is read to its end and the connection lives.

Closing a connection with unread body bytes resets it; nginx, still writing the body, then
takes the reset for a dead replica and sends the POST to the other one (seen in the topology
suite). So moderate refused bodies are drained; only huge declared ones close at once.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from memoai.ops.http import BodyLimitMiddleware

LIMIT = 64 * 1024


async def echo_client_port(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body, answers with the connection's client port (same port: same socket)."""
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = json.dumps({"port": scope["client"][1]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = BodyLimitMiddleware(echo_client_port, max_bytes=LIMIT)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(5)


def small_request(conn: http.client.HTTPConnection) -> int:
    conn.request("POST", "/", body=b"{}")
    answer = conn.getresponse()
    assert answer.status == 200
    return int(json.loads(answer.read())["port"])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_refused_body_is_drained_and_the_connection_kept(port: int, chunked: bool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    before = small_request(conn)
    body = b"x" * (3 * LIMIT)
    if chunked:
        conn.request("POST", "/", body=iter([body[:LIMIT], body[LIMIT:]]), encode_chunked=True)
    else:
        conn.request("POST", "/", body=body)
    answer = conn.getresponse()
    payload = json.loads(answer.read())
    assert answer.status == 413
    assert payload["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert answer.getheader("connection") != "close"
    assert small_request(conn) == before  # the same socket answered again
    conn.close()


def test_a_huge_declared_body_is_refused_at_once_and_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):  # the server answers and closes without the body
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 413")
    assert b"connection: close" in head
