"""Rate limits key on the user when one is signed in (issue 10): every login of a user shares
one count, whatever its session, tab, address or replica; other users and forged tokens do not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from memoai.app import create_app, start, stop
from memoai.auth.tokens import Claims, TokenCodec
from memoai.ops.ratelimit import Identities
from tests.auth.support import PASSWORD, SECRET, AuthApp, auth_settings, bearer
from tests.ops.test_ratelimit import away_from_a_window_edge, unique_address

from helpers import ApiClient

__all__ = ["away_from_a_window_edge"]  # the autouse fixture applies here too
LIMIT = 4
CURRENT = "/api/v1/sessions/current"


@asynccontextmanager
async def login_app(
    tmp_path: Path, config_dir: Path
) -> AsyncIterator[tuple[AuthApp, Callable[[], ApiClient]]]:
    """A started app in login mode with rate limits on; clients from fresh addresses."""
    settings = auth_settings(
        f"sqlite:///{tmp_path / 'memoai.db'}",
        tmp_path,
        config_dir,
        rate_limit_enabled=True,
        rate_limit_per_minute=LIMIT,
        rate_limit_reads_per_minute=LIMIT,
    )
    app = create_app(settings)
    await start(app, settings)
    clients: list[ApiClient] = []

    def connect() -> ApiClient:
        transport = httpx.ASGITransport(app=app, client=(unique_address(), 40000))
        clients.append(ApiClient(transport=transport, base_url="http://testserver"))
        return clients[-1]

    try:
        yield AuthApp(app, connect(), settings), connect
    finally:
        for client in clients:
            await client.aclose()
        await stop(app)


async def sign_in(client: ApiClient, username: str) -> dict[str, str]:
    answer = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["data"]["access_token"])


async def test_two_logins_of_a_user_share_one_limit_and_users_do_not(
    tmp_path: Path, config_dir: Path
) -> None:
    async with login_app(tmp_path, config_dir) as (auth, connect):
        await auth.add_user("ada")
        await auth.add_user("grace")
        laptop, phone, other = connect(), connect(), connect()
        # A login is a write: the user's reads start after it.
        on_laptop, on_phone = await sign_in(laptop, "ada"), await sign_in(phone, "ada")
        assert on_laptop != on_phone  # two sessions, two tokens
        statuses = []
        for client, headers in [(laptop, on_laptop), (phone, on_phone)] * 3:
            statuses.append((await client.get(CURRENT, headers=headers)).status_code)
        # Per session (or per address) each would have had 4; together they have 4.
        assert statuses == [200, 200, 200, 200, 429, 429]
        refused = await phone.get(CURRENT, headers=on_phone)
        assert refused.headers["x-ratelimit-remaining"] == "0"

        grace = await sign_in(other, "grace")
        answer = await other.get(CURRENT, headers=grace)
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-remaining"] == str(LIMIT - 1)  # this read


async def test_a_forged_token_does_not_spend_its_victims_limit(
    tmp_path: Path, config_dir: Path
) -> None:
    async with login_app(tmp_path, config_dir) as (auth, connect):
        victim = await auth.add_user("ada")
        forger, owner = connect(), connect()
        forged, _ = TokenCodec("not-the-key-" * 4, [], timedelta(hours=1)).issue(
            uuid.uuid4(), victim.id
        )
        for _ in range(LIMIT + 1):  # refused as UNAUTHORIZED, then as over its own limit
            answer = await forger.get(CURRENT, headers=bearer(forged))
            assert answer.status_code in (401, 429)
        assert answer.status_code == 429
        headers = await sign_in(owner, "ada")
        answer = await owner.get(CURRENT, headers=headers)
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-remaining"] == str(LIMIT - 1)


@pytest.fixture
def codec() -> TokenCodec:
    return TokenCodec(SECRET, [], timedelta(hours=1))


def test_identity_keys_and_their_cache(codec: TokenCodec) -> None:
    identities = Identities(ttl=60)
    user = uuid.uuid4()
    first, _ = codec.issue(uuid.uuid4(), user)
    second, _ = codec.issue(uuid.uuid4(), user)
    assert identities.token_key(first, codec) == identities.token_key(second, codec)
    assert identities.token_key(first, codec) == f"user:{user}"
    anonymous = identities.token_key("an-anonymous-session-token", codec)
    assert anonymous.startswith("session:") and len(anonymous) == len("session:") + 64
    retired = TokenCodec("a-retired-key-" * 4, [], timedelta(hours=1))
    assert identities.token_key(retired.issue(uuid.uuid4(), user)[0], codec).startswith("session:")
    # Without the app's codec (not started), tokens count as themselves.
    assert identities.token_key(first, None).startswith("session:")
    # A verified answer is reused within the TTL: no second verification.
    counting = CountingCodec(SECRET, [], timedelta(hours=1))
    fresh, _ = codec.issue(uuid.uuid4(), user)
    assert identities.token_key(fresh, counting) == identities.token_key(fresh, counting)
    assert counting.calls == 1
    assert Identities(ttl=0).token_key(fresh, counting) == f"user:{user}"
    assert counting.calls == 2


class CountingCodec(TokenCodec):
    calls = 0

    def verify(self, token: str) -> Claims:
        self.calls += 1
        return super().verify(token)
