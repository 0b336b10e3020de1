"""The production nginx configuration: rendered from its template for loopback, accepted by
`nginx -t`, and, with real nginx in front of small fake replicas, doing what the deployment
plan asks (TLS, redirect, headers, limits, failover, streaming, /metrics kept private)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.nginx_layout import RENDER, Layout

from helpers import stop_process

ROOT = Path(__file__).resolve().parents[2]
MAKE_CERT = ROOT / "scripts" / "make-cert.sh"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def render(layout: Layout, backends: str, frontends: str, *extra: str) -> str:
    return layout.render(backends, frontends, "--mime-types", "/etc/nginx/mime.types", *extra)


def location_block(config: str, opening: str) -> str:
    start = config.index(opening)
    return config[start : config.index("}", start)]


@pytest.fixture()
def layout(tmp_path: Path) -> Layout:
    return Layout(prefix=tmp_path)


@pytest.fixture()
def rendered(layout: Layout) -> str:
    return render(layout, "127.0.0.1:8101 127.0.0.1:8102", "127.0.0.1:3100")


# --- the rendered text ----------------------------------------------------------------------


def test_only_our_placeholders_are_replaced(rendered: str) -> None:
    directives = [line for line in rendered.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in directives if "${" in line]
    for nginx_variable in (
        "$host",
        "$request_uri",
        "$binary_remote_addr",
        "$request_id",
        "$proxy_add_x_forwarded_for",
        "$upstream_response_time",
    ):
        assert nginx_variable in rendered, nginx_variable


def test_tls_and_redirect(rendered: str, layout: Layout) -> None:
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in rendered
    assert re.search(r"ssl_ciphers [A-Z0-9:-]*ECDHE[A-Z0-9:-]*GCM", rendered)
    assert f"return 301 https://$host:{layout.https}$request_uri;" in rendered
    assert "location ^~ /.well-known/acme-challenge/" in rendered


def test_standard_https_port_is_left_out_of_redirects(layout: Layout) -> None:
    config = render(layout, "b:8000", "f:3000", "--public-https-port", "443")
    assert "return 301 https://$host$request_uri;" in config


def test_security_headers_rate_limits_and_body_limit(rendered: str) -> None:
    hsts = re.search(r'Strict-Transport-Security "max-age=(\d+)', rendered)
    assert hsts and int(hsts.group(1)) >= 31536000
    for header in (
        'X-Content-Type-Options "nosniff"',
        'X-Frame-Options "DENY"',
        "Referrer-Policy",
        "Permissions-Policy",
    ):
        assert f"add_header {header}" in rendered, header
    assert "server_tokens off;" in rendered
    assert "client_max_body_size 1m;" in rendered
    assert "limit_req_status 429;" in rendered
    assert re.search(
        r"limit_req_zone \$binary_remote_addr zone=memoai_api:\S+ rate=\d+r/s;", rendered
    )
    assert re.search(r"location = /api/v1/auth/login \{\s+limit_req zone=memoai_login", rendered)
    assert "gzip on;" in rendered


def test_backends_are_balanced_with_passive_health_checks(rendered: str) -> None:
    upstream = location_block(rendered, "upstream memoai_backend {")
    servers = re.findall(r"server (\S+) max_fails=\d+ fail_timeout=\d+s;", upstream)
    assert servers == ["127.0.0.1:8101", "127.0.0.1:8102"]
    assert "proxy_next_upstream error timeout" in rendered
    assert re.search(r"proxy_next_upstream_tries [2-9];", rendered)


def test_metrics_are_not_public(rendered: str) -> None:
    blocks = [
        location_block(rendered[m.start() :], "location ^~ /metrics {")
        for m in re.finditer(r"location \^~ /metrics \{", rendered)
    ]
    assert len(blocks) == 2  # public HTTPS server and internal listener
    for block in blocks:
        assert re.findall(r"allow (\S+);", block) == ["127.0.0.1", "::1"]
        assert "deny all;" in block
    assert not re.search(
        r"location [=~^ ]*/metrics", rendered.replace("location ^~ /metrics {", "")
    )


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--domain", "example.com; include /etc/passwd"),
        ("--rate-api", "fast"),
        ("--burst-api", "-1"),
        ("--backends", "a:1 ${MEMOAI_DOMAIN}"),
    ],
)
def test_values_that_would_break_the_config_are_refused(
    layout: Layout, flag: str, value: str
) -> None:
    result = subprocess.run(
        ["sh", str(RENDER), "--prefix", str(layout.prefix), flag, value],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "render-nginx:" in result.stderr


# --- real nginx -----------------------------------------------------------------------------


def needs_nginx_and_openssl() -> str:
    if NGINX is None:
        pytest.skip("nginx is not installed (CI installs it: scripts/setup-system.sh)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    return NGINX


def make_cert(layout: Layout) -> None:
    subprocess.run(
        ["sh", str(MAKE_CERT), "--dir", str(layout.prefix / "ssl"), "--days", "2"],
        check=True,
        capture_output=True,
        timeout=60,
    )


def test_self_signed_certificate_covers_the_domain_and_loopback(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path / "ssl"
    subprocess.run(
        ["sh", str(MAKE_CERT), "--dir", str(folder), "--domain", "memo.example.com"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    text = subprocess.run(
        ["openssl", "x509", "-in", str(folder / "fullchain.pem"), "-noout", "-text"],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    for name in ("DNS:memo.example.com", "DNS:localhost", "IP Address:127.0.0.1"):
        assert name in text, name
    assert "TLS Web Server Authentication" in text
    assert (folder / "privkey.pem").stat().st_mode & 0o077 == 0  # private key: owner only


def test_nginx_accepts_the_rendered_configuration(layout: Layout, rendered: str) -> None:
    nginx = needs_nginx_and_openssl()
    make_cert(layout)
    result = subprocess.run(
        [nginx, "-t", "-p", str(layout.prefix), "-c", str(layout.conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


class FakeReplica(BaseHTTPRequestHandler):
    """Answers with who it is and what it received; streams for the SSE route."""

    name = "?"
    seen: list[dict[str, Any]]
    crash = False  # read the request, then drop the connection without answering

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        record = {
            "who": self.name,
            "method": self.command,
            "path": self.path,
            "request_id": self.headers.get("X-Request-ID"),
            "proto": self.headers.get("X-Forwarded-Proto"),
            "forwarded_for": self.headers.get("X-Forwarded-For"),
        }
        self.seen.append(record)
        if self.crash:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path.startswith("/api/v1/evaluations?stream=true"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: first\n\n")
            self.wfile.flush()
            time.sleep(1.0)
            self.wfile.write(b"data: second\n\n")
            return
        body = json.dumps({**record, "padding": "x" * 4000}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def start_replica(name: str, seen: list[dict[str, Any]]) -> ThreadingHTTPServer:
    handler = type(f"Replica_{name}", (FakeReplica,), {"name": name, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


@dataclass
class Proxy:
    layout: Layout
    replicas: dict[str, ThreadingHTTPServer]
    seen: list[dict[str, Any]]
    client: httpx.Client

    def url(self, path: str) -> str:
        return f"https://localhost:{self.layout.https}{path}"


@pytest.fixture()
def proxy() -> Iterator[Proxy]:
    nginx = needs_nginx_and_openssl()
    # Not under pytest's tmp_path: when tests run as root, nginx workers run as "nobody"
    # and must be able to read the static files.
    prefix = Path(tempfile.mkdtemp(prefix="memoai-nginx-"))
    os.chmod(prefix, 0o755)
    seen: list[dict[str, Any]] = []
    replicas = {name: start_replica(name, seen) for name in ("b1", "b2", "fe")}
    address = {name: f"127.0.0.1:{server.server_address[1]}" for name, server in replicas.items()}
    layout = Layout(prefix=prefix)
    make_cert(layout)
    render(
        layout,
        f"{address['b1']} {address['b2']}",
        address["fe"],
        "--metrics-allow",
        "192.0.2.1",
        "--rate-api",
        "200r/s",
        "--burst-api",
        "200",
        "--rate-general",
        "200r/s",
        "--burst-general",
        "200",
    )
    for folder in ("www/static", "acme/.well-known/acme-challenge"):
        (prefix / folder).mkdir(parents=True)
        os.chmod(prefix / folder.split("/")[0], 0o755)
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(layout.conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = httpx.Client(verify=ssl.create_default_context(cafile=layout.cert), timeout=10)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", layout.https), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {process.stderr.read()!r}") from None
                time.sleep(0.05)
        yield Proxy(layout, replicas, seen, client)
    finally:
        client.close()
        stop_process(process)
        for server in replicas.values():
            server.shutdown()
            server.server_close()
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.mark.slow
def test_http_redirects_to_https_except_acme_challenges(proxy: Proxy) -> None:
    http = f"http://127.0.0.1:{proxy.layout.http}"
    answer = httpx.get(f"{http}/history?page=2", follow_redirects=False)
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://127.0.0.1:{proxy.layout.https}/history?page=2"
    token = proxy.layout.prefix / "acme" / ".well-known" / "acme-challenge" / "tok3n"
    token.write_text("challenge-answer")
    os.chmod(token, 0o644)
    answer = httpx.get(f"{http}/.well-known/acme-challenge/tok3n")
    assert answer.status_code == 200 and answer.text == "challenge-answer"


@pytest.mark.slow
def test_https_answers_carry_security_headers_once(proxy: Proxy) -> None:
    answer = proxy.client.get(proxy.url("/api/v1/sessions/current"))
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"].startswith("max-age=63072000")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers.get_list("x-frame-options") == ["DENY"]  # the app's copy is hidden
    assert "referrer-policy" in answer.headers and "permissions-policy" in answer.headers
    assert answer.headers["server"] == "nginx"  # no version
    assert answer.json()["proto"] == "https"
    assert answer.json()["request_id"]


@pytest.mark.slow
def test_api_round_robins_and_pages_go_to_the_frontend(proxy: Proxy) -> None:
    who = [proxy.client.get(proxy.url("/api/v1/evaluations")).json()["who"] for _ in range(6)]
    assert set(who) == {"b1", "b2"}
    assert proxy.client.get(proxy.url("/history")).json()["who"] == "fe"
    assert proxy.client.get(proxy.url("/health")).json()["who"] in {"b1", "b2"}


def test_a_client_cannot_choose_its_forwarded_address(proxy: Proxy) -> None:
    answer = proxy.client.get(
        proxy.url("/api/v1/evaluations"), headers={"X-Forwarded-For": "203.0.113.9"}
    )
    # The replicas trust this proxy's X-Forwarded-For for rate limits: only the real peer.
    assert answer.json()["forwarded_for"] == "127.0.0.1"


@pytest.mark.slow
def test_a_dead_replica_fails_no_request(proxy: Proxy) -> None:
    proxy.replicas["b2"].shutdown()
    proxy.replicas["b2"].server_close()  # connections to it are now refused
    for index in range(12):
        method = "POST" if index % 2 else "GET"
        answer = proxy.client.request(method, proxy.url("/api/v1/evaluations"), json={"n": index})
        assert answer.status_code == 200, answer.text
        assert answer.json()["who"] == "b1"


@pytest.mark.slow
def test_a_replica_dying_mid_request_fails_no_request(proxy: Proxy) -> None:
    """The request had reached the replica: only `non_idempotent` lets nginx resend a POST."""
    proxy.replicas["b2"].RequestHandlerClass.crash = True  # type: ignore[attr-defined]
    for index in range(6):
        answer = proxy.client.post(proxy.url("/api/v1/evaluations"), json={"n": index})
        assert answer.status_code == 200, answer.text
        assert answer.json()["who"] == "b1"
    assert any(record["who"] == "b2" for record in proxy.seen)


@pytest.mark.slow
def test_oversized_bodies_are_refused_with_the_api_envelope(proxy: Proxy) -> None:
    answer = proxy.client.post(proxy.url("/api/v1/evaluations"), content=b"x" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.slow
def test_login_attempts_are_rate_limited_per_address(proxy: Proxy) -> None:
    codes = [
        proxy.client.post(proxy.url("/api/v1/auth/login"), json={}).status_code for _ in range(10)
    ]
    assert codes[0] == 200 and codes[-1] == 429
    limited = proxy.client.post(proxy.url("/api/v1/auth/login"), json={})
    assert limited.json()["errors"][0]["code"] == "RATE_LIMITED"
    assert proxy.client.get(proxy.url("/api/v1/auth/login")).status_code == 200  # GETs don't count


@pytest.mark.slow
def test_metrics_are_refused_to_addresses_not_allowed(proxy: Proxy) -> None:
    for path in ("/metrics", "/metrics/", "/metrics?format=text", "//metrics"):
        assert proxy.client.get(proxy.url(path)).status_code == 403, path
    internal = httpx.get(f"http://127.0.0.1:{proxy.layout.internal}/metrics")
    assert internal.status_code == 403
    assert not any(record["path"].startswith(("/metrics", "//metrics")) for record in proxy.seen)


@pytest.mark.slow
def test_event_streams_are_not_buffered(proxy: Proxy) -> None:
    started = time.monotonic()
    with proxy.client.stream(
        "POST", proxy.url("/api/v1/evaluations?stream=true"), json={}
    ) as answer:
        chunks = answer.iter_text()
        first = next(chunks)
        first_at = time.monotonic() - started
        rest = "".join(chunks)
    assert "first" in first and "second" in rest
    assert first_at < 0.8, f"first event after {first_at:.2f}s: buffered"


@pytest.mark.slow
def test_static_files_are_cached_and_compression_is_on(proxy: Proxy) -> None:
    asset = proxy.layout.prefix / "www" / "static" / "app.css"
    asset.write_text("body { color: black; }\n" * 200)
    os.chmod(asset, 0o644)
    gzip = {"Accept-Encoding": "gzip"}
    versioned = proxy.client.get(proxy.url("/static/app.css?v=3f2a9c"), headers=gzip)
    assert versioned.status_code == 200 and "color: black" in versioned.text
    assert versioned.headers["cache-control"] == "max-age=31536000"
    assert versioned.headers["content-encoding"] == "gzip"
    plain = proxy.client.get(proxy.url("/static/app.css"))
    assert plain.headers["cache-control"] == "max-age=3600"
    fallback = proxy.client.get(proxy.url("/static/htmx.min.js?v=1"))
    assert fallback.json()["who"] == "fe"  # not on the volume: the frontend answers
    api = proxy.client.get(proxy.url("/api/v1/progress"), headers=gzip)
    assert api.headers["content-encoding"] == "gzip"


@pytest.mark.slow
def test_internal_listener_serves_the_frontend_with_request_ids_kept(proxy: Proxy) -> None:
    answer = httpx.get(
        f"http://127.0.0.1:{proxy.layout.internal}/api/v1/progress",
        headers={"X-Request-ID": "req-0123456789", "X-Forwarded-Proto": "https"},
    )
    assert answer.json()["who"] in {"b1", "b2"}
    assert answer.json()["request_id"] == "req-0123456789"
    assert answer.json()["proto"] == "https"
    proxy.client.get(proxy.url("/api/v1/progress"), headers={"X-Request-ID": "bad id; drop"})
    assert proxy.seen[-1]["request_id"] != "bad id; drop"
    log = proxy.layout.prefix / "logs" / "access.log"
    deadline = time.monotonic() + 5
    while "req-0123456789" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # nginx logs when it finalizes the request, just after answering
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    logged = next(line for line in lines if line["request_id"] == "req-0123456789")
    assert logged["status"] == 200 and logged["uri"] == "/api/v1/progress"
