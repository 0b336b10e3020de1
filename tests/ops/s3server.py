"""A real S3-compatible server on loopback (moto's server mode) that checks credentials, and a
TCP proxy in front of it that can cut connections in the middle of a request body."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx

BUCKET = "memoai-offsite"
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3Server:
    endpoint: str
    access_key_id: str
    secret_access_key: str

    def client(self, secret: str | None = None) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret or self.secret_access_key,
        )


@contextmanager
def moto_s3() -> Iterator[S3Server]:
    """moto_server with IAM authentication enforced after the first four (setup) requests:
    an IAM user with a key, its policy, and the bucket. Every later request must be signed
    with that key."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}
    process = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)  # not counted as an action
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        setup = {"endpoint_url": endpoint, "region_name": "us-east-1"}
        setup |= {"aws_access_key_id": "setup", "aws_secret_access_key": "setup"}
        iam = boto3.client("iam", **setup)
        iam.create_user(UserName="memoai-backup")
        key = iam.create_access_key(UserName="memoai-backup")["AccessKey"]
        iam.put_user_policy(UserName="memoai-backup", PolicyName="all", PolicyDocument=ALLOW_ALL)
        boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        process.terminate()
        process.wait(timeout=10)


class CuttingProxy:
    """Forwards 127.0.0.1:port to the upstream; the next `cuts` connections whose request
    carries more than `after` bytes are closed right after those bytes (a dropped upload)."""

    def __init__(self, upstream_port: int, after: int = 16 * 1024) -> None:
        self.upstream_port = upstream_port
        self.after = after
        self.cuts = 0
        self.done_cuts = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump_up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _take_cut(self) -> bool:
        with self._lock:
            if self.done_cuts < self.cuts:
                self.done_cuts += 1
                return True
            return False

    def _pump_up(self, source: socket.socket, target: socket.socket) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if sent + len(data) > self.after and self._take_cut():
                    target.sendall(data[: max(0, self.after - sent)])
                    break
                target.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (source, target):
            s.close()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            s.close()

    def close(self) -> None:
        self._server.close()
