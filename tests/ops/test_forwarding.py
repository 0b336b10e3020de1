"""Forwarding headers count only from trusted proxies: a local process cannot choose its own
address (rate-limit key) or scheme, while a configured proxy's X-Forwarded-For is honoured."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from memoai.addresses import parse_addresses
from memoai.app import create_app
from memoai.ops.forwarding import resolve
from memoai.settings import Settings, SettingsError
from tests.ops.live import served

from helpers import make_settings


def settings_for(tmp_path: Path, config_dir: Path, **overrides: Any) -> Settings:
    return make_settings(f"sqlite:///{tmp_path / 'memoai.db'}", tmp_path, config_dir, **overrides)


def browser_address() -> str:
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def away_from_a_window_edge() -> None:
    """Counts are exact inside one minute (windows start on whole minutes of Unix time)."""
    into_minute = time.time() % 60
    if into_minute > 50:
        time.sleep(60.2 - into_minute)


def client_from(port: int, local_address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=local_address)
    return httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport, timeout=30)


def test_a_local_process_cannot_pick_its_own_address(tmp_path: Path, config_dir: Path) -> None:
    """120 new sessions from 127.0.0.1, each naming another X-Forwarded-For, against 60/min."""
    settings = settings_for(tmp_path, config_dir, rate_limit_per_minute=60)
    statuses: Counter[int] = Counter()
    with served(create_app(settings)) as port:
        away_from_a_window_edge()
        minute = int(time.time() // 60)
        for _ in range(120):
            forged = {"x-forwarded-for": browser_address()}
            with client_from(port, "127.0.0.1") as client:  # no cookies: a new session each
                statuses[client.post("/api/v1/sessions", headers=forged).status_code] += 1
        same_window = int(time.time() // 60) == minute
    assert set(statuses) == {201, 429}
    if same_window:
        assert statuses == {201: 60, 429: 60}
    else:  # a slow run crossed a minute: the sliding window lets a few more through
        assert statuses[201] < 80, statuses


def new_session(port: int, local_address: str, forwarded_for: str | None = None) -> int:
    """POST /api/v1/sessions on a fresh connection without cookies; the status."""
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    with client_from(port, local_address) as client:
        return client.post("/api/v1/sessions", headers=headers).status_code


def test_a_configured_proxys_forwarded_address_is_honoured(
    tmp_path: Path, config_dir: Path
) -> None:
    """127.0.0.2 is the proxy: each browser it names has its own count; 127.0.0.1 is not."""
    settings = settings_for(
        tmp_path, config_dir, rate_limit_per_minute=3, forwarded_allow_ips="127.0.0.2"
    )
    first, second = browser_address(), browser_address()
    with served(create_app(settings)) as port:
        away_from_a_window_edge()
        chain = f"10.1.2.3, {first}"  # whatever the browser claimed, then what the proxy saw
        assert [new_session(port, "127.0.0.2", chain) for _ in range(4)] == [201] * 3 + [429]
        assert new_session(port, "127.0.0.2", first) == 429
        assert new_session(port, "127.0.0.2", second) == 201  # another browser, its own count
        # Naming `second` from an untrusted peer counts against the peer itself.
        assert [new_session(port, "127.0.0.1", second) for _ in range(4)] == [201] * 3 + [429]
        assert new_session(port, "127.0.0.2", second) == 201


def scope_of(peer: str, **headers: str) -> dict[str, Any]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "client": (peer, 5000), "scheme": "http", "headers": raw}


@pytest.mark.parametrize(
    ("trusted", "peer", "chain", "client", "scheme"),
    [
        ("", "127.0.0.1", "203.0.113.9", "127.0.0.1", "http"),  # nobody trusted by default
        ("127.0.0.1", "127.0.0.1", "203.0.113.9", "203.0.113.9", "https"),
        ("10.0.0.0/8", "10.2.3.4", "203.0.113.9, 10.9.9.9", "203.0.113.9", "https"),
        ("10.0.0.0/8", "10.2.3.4", "6.6.6.6, 203.0.113.9", "203.0.113.9", "https"),  # forged head
        ("10.0.0.0/8", "10.2.3.4", "10.7.7.7, 10.9.9.9", "10.7.7.7", "https"),  # all trusted
        ("10.0.0.0/8", "192.0.2.1", "203.0.113.9", "192.0.2.1", "http"),
        ("*", "192.0.2.1", "203.0.113.9, 198.51.100.1", "203.0.113.9", "https"),
        ("::1", "::1", "[2001:db8::1]:443", "2001:db8::1", "https"),
        ("127.0.0.1", "127.0.0.1", "not-an-address", "127.0.0.1", "https"),
    ],
)
def test_the_client_is_resolved_from_trusted_proxies_only(
    trusted: str, peer: str, chain: str, client: str, scheme: str
) -> None:
    scope = scope_of(peer, x_forwarded_for=chain, x_forwarded_proto="https")
    resolve(scope, parse_addresses(trusted))
    assert scope["client"][0] == client
    assert scope["scheme"] == scheme


def test_the_scheme_is_believed_from_trusted_proxies_only() -> None:
    untrusted = scope_of("192.0.2.1", x_forwarded_proto="https")
    resolve(untrusted, parse_addresses("10.0.0.0/8"))
    assert untrusted["scheme"] == "http"
    trusted = scope_of("10.0.0.1", x_forwarded_proto="https")
    resolve(trusted, parse_addresses("10.0.0.0/8"))
    assert trusted["scheme"] == "https"


def test_address_lists_are_checked_at_start(tmp_path: Path, config_dir: Path) -> None:
    with pytest.raises(SettingsError, match=r"FORWARDED_ALLOW_IPS.*nginx"):
        settings_for(tmp_path, config_dir, forwarded_allow_ips="10.0.0.0/8, nginx")
    with pytest.raises(SettingsError, match="METRICS_ALLOWED_IPS"):
        settings_for(tmp_path, config_dir, metrics_allowed_ips="10.0.0.300")
    assert "::ffff:10.1.1.1" in parse_addresses("10.0.0.0/8")
    assert "10.1.1.1" not in parse_addresses("")
