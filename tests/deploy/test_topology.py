"""The production topology, natively on loopback: the deployment plan proven end to end.

nginx (rendered from nginx/nginx.conf.template by scripts/render-nginx.sh, certificate from
scripts/make-cert.sh) in front of two `memoai api` replicas and one `memoai web`, on a scratch
PostgreSQL database, rate limits shared through Redis, the fake Anthropic server as the model.
Everything over HTTPS through nginx, as a browser or an API client would see it, and signed in
as production requires (`memoai users create` accounts, tests/deploy/accounts.py): a signed-out
visitor sent to the login page, the evaluation journey, security headers, the HTTP redirect,
body limits, rate limits across replicas, a replica killed and a rolling restart under load (no
request may fail; the shipped scripts/rolling-restart.sh), and a backup restored after the
database was destroyed.

The tests share one topology (module scope) and run in file order; each one leaves both
replicas running.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.deploy.accounts import (
    LOGIN,
    Account,
    check_signed_in,
    csrf_headers,
    sign_in,
    sign_in_with_the_form,
)
from tests.deploy.processes import temp_prefix, wait_until
from tests.deploy.rolling import Supervisor, rolling_restart
from tests.deploy.topology import (
    MEMOAI,
    NGINX,
    Limits,
    Stack,
    new_request_id,
    postgres_problem,
    redis_problem,
    table_names,
)

pytestmark = pytest.mark.slow

POSTGRES_URL = os.environ.get("MEMOAI_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEMOAI_TEST_REDIS_URL")
PROVIDER_DELAY = 0.3  # seconds the fake model takes for every answer
CLIENTS = 20  # simulated users under load
MIN_PER_CLIENT = 5  # evaluations each user makes at least, ...
MAX_PER_CLIENT = 40  # ... and at most (they stop once the replicas' ordeal is over)
THINK_SECONDS = 0.6  # a user's pause between two evaluations
# The app's limit on evaluations per user and per address: low enough for a test to reach,
# above what one of the load's people sends in a minute: the same CLIENTS people come back for
# both load tests (each `memoai users create` costs seconds of CPU), so twice MAX_PER_CLIENT,
# plus the few requests nginx resends after a replica died holding them (maybe counted).
EVALUATIONS_PER_MINUTE = 2 * MAX_PER_CLIENT + 10
API_PER_MINUTE = 120
# Accounts by the test that signs them in: each simulated user its own, as people do not share.
ACCOUNTS = {"journey": 1, "visitor": 1, "limit": 1, "drill": 1, "people": CLIENTS}
FAIL_TIMEOUT = "2s"  # nginx's passive health check (10 s in production): keeps the suite short
MEMO = (
    "To: the operations team. We should move the weekly release to Thursday because the "
    "Friday releases caused three weekend incidents this quarter. Please confirm by Monday."
)


def skip_reason() -> str | None:
    if NGINX is None:
        return "nginx is not installed (CI installs it: scripts/setup-system.sh)"
    if shutil.which("openssl") is None:
        return "openssl is not installed"
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        return "the PostgreSQL client (pg_dump, pg_restore) is not installed"
    if not MEMOAI.exists():
        return f"the memoai command is not installed next to the interpreter ({MEMOAI})"
    if not POSTGRES_URL:
        return "MEMOAI_TEST_POSTGRES_URL is not set"
    if not REDIS_URL:
        return "MEMOAI_TEST_REDIS_URL is not set"
    return postgres_problem(POSTGRES_URL) or redis_problem(REDIS_URL)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    assert POSTGRES_URL and REDIS_URL
    prefix = temp_prefix()
    topology = Stack(
        prefix,
        admin_postgres_url=POSTGRES_URL,
        redis_url=REDIS_URL,
        limits=Limits(EVALUATIONS_PER_MINUTE, API_PER_MINUTE),
        provider_delay=PROVIDER_DELAY,
        fail_timeout=FAIL_TIMEOUT,
        accounts=ACCOUNTS,
    )
    started = time.monotonic()
    try:
        topology.start()
        print(f"\ntopology up in {time.monotonic() - started:.1f}s under {prefix}")
        yield topology
    finally:
        try:
            topology.close()
        finally:
            if os.environ.get("MEMOAI_TOPOLOGY_KEEP"):  # logs and configuration, for a post-mortem
                print(f"\ntopology kept in {prefix}")
            else:
                shutil.rmtree(prefix, ignore_errors=True)


@pytest.fixture(autouse=True)
def replicas_running(stack: Stack) -> Iterator[None]:
    """Every test starts with both replicas up, even after one that failed half-way."""
    stack.start_backends()
    yield


def account(stack: Stack, group: str) -> Account:
    (only,) = stack.accounts(group)
    return only


def evaluate(client: httpx.Client, headers: dict[str, str], text: str, **extra: Any) -> Any:
    answer = client.post(
        "/api/v1/evaluations", json={"text_content": text, **extra}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


# --- (0) login required, (1) the evaluation journey ---------------------------------------------


def test_a_signed_out_visitor_is_sent_to_sign_in(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        anonymous = client.post("/api/v1/sessions")
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.json()["errors"][0]["code"] == "LOGIN_REQUIRED"
        assert "memoai_session" not in client.cookies
        assert client.get("/api/v1/evaluations").status_code == 401
        for path, target in (("/", "/login"), ("/history?page=2", "/login?next=%2Fhistory")):
            page = client.get(path)
            assert page.status_code == 303, (path, page.status_code)
            assert page.headers["location"].startswith(target), page.headers["location"]
        login = client.get("/login")
        assert login.status_code == 200
        assert 'action="/login"' in login.text and 'name="password"' in login.text


def test_the_evaluation_journey_through_nginx(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        assert client.get("/").headers["location"] == "/login"
        # The login form posts to the frontend, which signs in through the internal listener
        # and a replica, and hands the browser the session and CSRF cookies.
        assert sign_in_with_the_form(client, account(stack, "journey")) == "/"
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text.lower()
        headers = csrf_headers(client.cookies)

        plain = evaluate(client, headers, MEMO, title="Release day")
        assert plain["status"] == "completed"
        assert plain["provenance"]["provider"] == "claude"
        assert plain["rubric_scores"] and plain["strengths"]

        started = time.monotonic()
        arrivals: list[tuple[float, str]] = []
        with client.stream(
            "POST",
            "/api/v1/evaluations?stream=true",
            json={"text_content": MEMO + " Second draft.", "title": "Release day, v2"},
            headers=headers,
        ) as stream:
            assert stream.status_code == 201
            assert stream.headers["content-type"].startswith("text/event-stream")
            for chunk in stream.iter_text():
                arrivals.append((time.monotonic() - started, chunk))
        events = [
            line.split(":", 1)[1].strip()
            for _, chunk in arrivals
            for line in chunk.splitlines()
            if line.startswith("event:")
        ]
        assert events[0] == "started" and events[-1] == "completed", events
        first_at = next(at for at, chunk in arrivals if "event: started" in chunk)
        done_at = next(at for at, chunk in arrivals if "event: completed" in chunk)
        # `started` is sent before the model answers, `completed` after: had nginx buffered
        # the stream, both would arrive together at the end.
        assert done_at - first_at >= PROVIDER_DELAY * 0.8, arrivals

        listed = client.get("/api/v1/evaluations")
        assert listed.status_code == 200
        items = listed.json()["data"]["items"]
        assert [item["title"] for item in items] == ["Release day, v2", "Release day"]
        again = client.get(f"/api/v1/evaluations/{plain['id']}")
        assert again.status_code == 200
        assert again.json()["data"]["overall_score"] == plain["overall_score"]
        assert again.json()["data"]["text_content"] == MEMO


# --- (2) security headers, (3) the HTTP redirect, (4) body limits --------------------------------


def test_https_answers_carry_the_security_headers(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        sign_in(client, account(stack, "visitor"))
        page = client.get("/")
        api = client.get("/api/v1/evaluations")
        missing = client.get("/api/v1/evaluations/00000000-0000-0000-0000-000000000000")
    assert (page.status_code, api.status_code, missing.status_code) == (200, 200, 404)
    for answer in (page, api, missing):
        headers = answer.headers
        assert headers["strict-transport-security"].startswith("max-age=63072000")
        assert "includeSubDomains" in headers["strict-transport-security"]
        # nginx sends these once; the app's own copies are hidden
        assert headers.get_list("x-content-type-options") == ["nosniff"]
        assert headers.get_list("x-frame-options") == ["DENY"]
        assert headers.get_list("referrer-policy") == ["strict-origin-when-cross-origin"]
        assert "camera=()" in headers["permissions-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]  # the app's
        assert headers["server"] == "nginx"  # no version
        assert headers["x-request-id"]


def test_plain_http_is_redirected_to_https(stack: Stack) -> None:
    https_port = stack.nginx_layout.https
    for method, path in (("GET", "/"), ("GET", "/history?page=2"), ("POST", "/api/v1/sessions")):
        answer = httpx.request(method, f"{stack.http_url}{path}", follow_redirects=False)
        assert answer.status_code in (301, 308), (method, path, answer.status_code)
        assert answer.headers["location"] == f"https://127.0.0.1:{https_port}{path}"
    # ... and following the redirect lands on the HTTPS site
    with httpx.Client(verify=stack.nginx_layout.ssl_context(), follow_redirects=True) as client:
        landed = client.get(f"http://localhost:{stack.nginx_layout.http}/")
    assert landed.status_code == 200 and str(landed.url).startswith("https://localhost:")
    assert landed.url.path == "/login"  # signed out


def test_oversized_bodies_are_refused(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        headers = sign_in(client, account(stack, "visitor"))
        huge_id, big_id = new_request_id("huge"), new_request_id("big")
        # Over nginx's client_max_body_size (1 MiB): refused at the edge.
        huge = client.post(
            "/api/v1/evaluations",
            content=b'{"text_content": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={**headers, "Content-Type": "application/json", "X-Request-ID": huge_id},
        )
        # Under nginx's limit, over the app's MAX_BODY_BYTES (256 KiB): refused by a replica.
        big = client.post(
            "/api/v1/evaluations",
            json={"text_content": "y" * (300 * 1024)},
            headers={**headers, "X-Request-ID": big_id},
        )
    for answer in (huge, big):
        assert answer.status_code == 413
        assert answer.json()["errors"][0]["code"] == "PAYLOAD_TOO_LARGE"
        assert answer.headers["x-content-type-options"] == "nosniff"
    upstreams = stack.nginx_layout.upstreams_of([huge_id, big_id])
    assert upstreams[huge_id] == ""  # never reached a replica
    assert upstreams[big_id] in {stack.backend_address(0), stack.backend_address(1)}


# --- (5) rate limits shared by the replicas through Redis -------------------------------------


def served_request_ids(stack: Stack, index: int, since: int = 0) -> set[str]:
    """Request ids of the access lines a replica logged (from byte `since` of its log)."""
    return {
        str(line.get("request_id"))
        for line in stack.backend(index).json_lines(since)
        if line.get("message") == "request"
    }


def test_rate_limits_hold_across_both_replicas(stack: Stack) -> None:
    limit = EVALUATIONS_PER_MINUTE
    (address,) = stack.new_addresses(1)
    answers: list[tuple[str, httpx.Response]] = []
    with stack.client(address) as client:
        headers = sign_in(client, account(stack, "limit"))
        for _ in range(limit + 3):
            request_id = new_request_id("limit")
            # The same memo each time: after the first, the stored result is reused (cheap),
            # but every request counts against the limit.
            answer = client.post(
                "/api/v1/evaluations",
                json={"text_content": MEMO + " Rate limits."},
                headers={**headers, "X-Request-ID": request_id},
            )
            answers.append((request_id, answer))

    statuses = [answer.status_code for _, answer in answers]
    assert statuses == [201] + [200] * (limit - 1) + [429] * 3, statuses
    remaining = [int(answer.headers["x-ratelimit-remaining"]) for _, answer in answers]
    assert remaining[:limit] == list(range(limit - 1, -1, -1))
    for _, refused in answers[limit:]:
        assert refused.headers["x-ratelimit-limit"] == str(limit)
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert int(refused.headers["x-ratelimit-reset"]) > time.time() - 1
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        error = refused.json()["errors"][0]
        assert error["code"] == "RATE_LIMITED"
        assert error["details"]["scope"] == "evaluations"  # the app's limit, not nginx's

    # Both replicas answered, each fewer than `limit` of the allowed requests: the count that
    # refused request number limit+1 was shared (per-process counters would allow 2 x limit).
    allowed_ids = {request_id for request_id, _ in answers[:limit]}
    refused_ids = {request_id for request_id, _ in answers[limit:]}
    per_replica = [served_request_ids(stack, index) for index in (0, 1)]
    allowed = [len(ids & allowed_ids) for ids in per_replica]
    assert sum(allowed) == limit and all(0 < n < limit for n in allowed), allowed
    assert all(ids & refused_ids for ids in per_replica)  # and both refuse beyond it
    upstreams = stack.nginx_layout.upstreams_of(allowed_ids | refused_ids)
    assert set(upstreams.values()) == {stack.backend_address(0), stack.backend_address(1)}

    # The limit is the user's: signed in again (a new session) from another address, they are
    # still refused; another user from that address is not.
    (elsewhere,) = stack.new_addresses(1)
    with stack.client(elsewhere) as again:
        headers = sign_in(again, account(stack, "limit"))
        refused = again.post("/api/v1/evaluations", json={"text_content": MEMO}, headers=headers)
        assert refused.status_code == 429, refused.text
        assert refused.json()["errors"][0]["details"]["scope"] == "evaluations"
        headers = sign_in(again, account(stack, "visitor"))
        other = again.post("/api/v1/evaluations", json={"text_content": MEMO}, headers=headers)
        assert other.status_code in (200, 201), other.text


# --- (6) a replica killed, then a rolling restart, under load ---------------------------------


@dataclass
class Load:
    """What the simulated users saw: every evaluation must succeed."""

    tag: str
    completed: list[tuple[float, str]] = field(default_factory=list)  # (time, request id)
    failures: list[str] = field(default_factory=list)
    sessions: int = 0

    def done_since(self, moment: float) -> int:
        return sum(1 for at, _ in self.completed if at >= moment)


async def _user(
    stack: Stack, load: Load, number: int, address: str, stop: asyncio.Event, context: Any
) -> None:
    async with stack.async_client(address, context=context) as client:
        try:
            answer = await client.post(LOGIN, json=stack.accounts("people")[number].credentials())
            check_signed_in(answer, client.cookies)
        except (httpx.HTTPError, AssertionError, KeyError) as exc:
            load.failures.append(f"user {number} sign-in: {type(exc).__name__}: {exc}")
            return
        load.sessions += 1
        headers = csrf_headers(client.cookies)
        sent = 0
        while sent < MIN_PER_CLIENT or (not stop.is_set() and sent < MAX_PER_CLIENT):
            request_id = f"{load.tag}-{number}-{sent}-{new_request_id('r')[-6:]}"
            memo = f"{MEMO} ({load.tag}: user {number}, memo {sent})"
            sent += 1
            try:
                answer = await client.post(
                    "/api/v1/evaluations",
                    json={"text_content": memo},
                    headers={**headers, "X-Request-ID": request_id},
                )
            except httpx.HTTPError as exc:
                load.failures.append(f"{request_id}: {type(exc).__name__}: {exc}")
                continue
            if answer.status_code == 201 and answer.json()["data"]["status"] == "completed":
                load.completed.append((time.monotonic(), request_id))
            else:
                load.failures.append(f"{request_id}: {answer.status_code} {answer.text[:300]}")
            await asyncio.sleep(THINK_SECONDS)


def under_load(stack: Stack, tag: str, operate: Callable[[Load], None]) -> Load:
    """CLIENTS users evaluate through nginx while `operate` (run in a thread) does its work;
    they stop after their current evaluation once it is done (at least MIN_PER_CLIENT each)."""
    load = Load(tag)
    addresses = stack.new_addresses(CLIENTS)

    async def main() -> None:
        stop = asyncio.Event()
        context = stack.nginx_layout.ssl_context()
        users = [
            asyncio.create_task(_user(stack, load, number, address, stop, context))
            for number, address in enumerate(addresses)
        ]
        try:
            await asyncio.to_thread(operate, load)
        finally:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*users), 120)

    asyncio.run(main())
    return load


def wait_for_load(load: Load, count: int, timeout: float = 30) -> None:
    wait_until(lambda: len(load.completed) >= count, f"{count} evaluations", timeout=timeout)


def wait_until_serving(stack: Stack, index: int, tag: str, since: int, timeout: float = 30) -> None:
    """Until the replica's own log shows it answered load requests again (nginx's passive
    health check sends it traffic again once fail_timeout has passed)."""

    def serving() -> bool:
        return any(
            line.get("message") == "request"
            and line.get("status") == 201
            and str(line.get("request_id", "")).startswith(f"{tag}-")
            for line in stack.backend(index).json_lines(since)
        )

    wait_until(serving, f"backend {index + 1} to serve the load again", timeout=timeout)


def load_upstreams(stack: Stack, load: Load) -> dict[str, str]:
    return stack.nginx_layout.upstreams_of(request_id for _, request_id in load.completed)


def test_a_killed_replica_fails_no_request(stack: Stack) -> None:
    victim = stack.backend(0)
    starts = victim.starts
    moments: dict[str, float] = {}

    def crash_and_restart(load: Load) -> None:
        wait_for_load(load, CLIENTS)
        victim.kill()  # SIGKILL: requests in flight on it die with it
        moments["killed"] = time.monotonic()
        time.sleep(1.0)  # nginx meets refused connections meanwhile
        since = victim.log_size()
        stack.restart_backend(0)
        moments["restarted"] = time.monotonic()
        wait_until_serving(stack, 0, load.tag, since)
        wait_until(
            lambda: load.done_since(moments["restarted"]) >= CLIENTS,
            "more evaluations after the restart",
        )

    started = time.monotonic()
    load = under_load(stack, "kill", crash_and_restart)
    elapsed = time.monotonic() - started
    assert load.failures == [], load.failures[:10]
    assert load.sessions == CLIENTS
    assert len(load.completed) >= CLIENTS * MIN_PER_CLIENT
    assert load.done_since(moments["killed"]) > 0 and load.done_since(moments["restarted"]) > 0
    upstreams = load_upstreams(stack, load)
    # Requests that were on the killed replica were resent by nginx to the other one.
    resent = [u for u in upstreams.values() if u.startswith(f"{stack.backend_address(0)}, ")]
    assert resent, "no request was in flight on the killed replica"
    assert victim.starts == starts + 1 and victim.running
    print(
        f"\nkill: {len(load.completed)} evaluations by {CLIENTS} users in {elapsed:.1f}s, "
        f"0 failed, {len(resent)} resent by nginx after the kill, restart took "
        f"{moments['restarted'] - moments['killed']:.1f}s"
    )


def test_a_rolling_restart_fails_no_request(stack: Stack) -> None:
    """The shipped scripts/rolling-restart.sh, as a native install runs it (tests/deploy/rolling.py
    stands in for systemd)."""
    outcome: dict[str, Any] = {}

    def roll(load: Load) -> None:
        wait_for_load(load, CLIENTS)
        with Supervisor(stack) as supervisor:
            outcome["script"] = rolling_restart(stack, supervisor, (1, 0))
        outcome["restarts"], outcome["errors"] = supervisor.restarts, supervisor.errors

    started = time.monotonic()
    load = under_load(stack, "roll", roll)
    elapsed = time.monotonic() - started
    script = outcome["script"]
    assert script.returncode == 0, script.stdout + script.stderr
    assert outcome["errors"] == []
    assert load.failures == [], load.failures[:10]
    assert len(load.completed) >= CLIENTS * MIN_PER_CLIENT
    restarts = outcome["restarts"]
    assert [r.port for r in restarts] == [stack.backend_ports[1], stack.backend_ports[0]]
    # Each replica shut down gracefully (uvicorn exits 0, or re-raises the SIGTERM it handled).
    assert all(r.graceful and r.code in (0, -signal.SIGTERM) for r in restarts), restarts
    assert all(r.stop_seconds < 10 for r in restarts), restarts
    for index in (1, 0):  # the script waited for nginx to use each replica again
        assert f"{stack.backend_address(index)}: nginx uses it again" in script.stderr
    upstreams = set(load_upstreams(stack, load).values())
    assert {stack.backend_address(0), stack.backend_address(1)} <= upstreams
    print(
        f"\nrolling restart: {len(load.completed)} evaluations by {CLIENTS} users in "
        f"{elapsed:.1f}s, 0 failed; graceful stops took "
        + ", ".join(f"{r.stop_seconds:.1f}s" for r in restarts)
        + "\n"
        + script.stderr.strip()
    )


# --- (7) backup, disaster, restore --------------------------------------------------------------


def test_a_backup_brings_back_a_destroyed_database(stack: Stack) -> None:
    (address,) = stack.new_addresses(1)
    with stack.client(address) as client:
        headers = sign_in(client, account(stack, "drill"))
        before = [
            evaluate(client, headers, f"{MEMO} Backup drill, memo {n}.", title=f"Drill {n}")
            for n in (1, 2)
        ]

        timings: dict[str, float] = {}

        def step(name: str, work: Callable[[], Any]) -> Any:
            began = time.monotonic()
            result = work()
            timings[name] = time.monotonic() - began
            return result

        backup = Path(step("backup", lambda: stack.memoai("backup", "create")).strip())
        assert backup.is_file() and backup.parent == stack.prefix / "backups"

        # Not while the replicas have the database open (pg_stat_activity): what they would
        # write meanwhile would be acknowledged, then lost.
        with pytest.raises(AssertionError, match="the database is in use"):
            stack.memoai("backup", "restore", str(backup), "--yes")

        # The operations guide: stop what writes, restore, migrate, start.
        for index in (0, 1):
            stack.backend(index).stop()
        step("destroy", stack.destroy_database)
        assert table_names(stack.database_url) == []
        restore = ("backup", "restore", str(backup), "--yes", "--json")
        restored = json.loads(step("restore", lambda: stack.memoai(*restore)))
        assert restored["row_counts"]["evaluations"] >= 2
        verified = json.loads(
            step("verify", lambda: stack.memoai("backup", "verify", str(backup), "--json"))
        )
        assert verified["ok"] is True, verified
        assert verified["row_counts"] == restored["row_counts"]
        step("migrate", lambda: stack.memoai("db", "upgrade"))
        step("start", stack.start_backends)

        # The same login (its user and session restored with the data) reads its evaluations,
        # from both replicas.
        request_ids = []
        for evaluation in before * 2:
            request_id = new_request_id("restored")
            request_ids.append(request_id)
            answer = client.get(
                f"/api/v1/evaluations/{evaluation['id']}", headers={"X-Request-ID": request_id}
            )
            assert answer.status_code == 200, answer.text
            again = answer.json()["data"]
            for key in ("text_content", "title", "status", "overall_score", "rubric_scores"):
                assert again[key] == evaluation[key], key
        listed = client.get("/api/v1/evaluations").json()["data"]["items"]
        assert {item["id"] for item in listed} == {evaluation["id"] for evaluation in before}
    upstreams = set(stack.nginx_layout.upstreams_of(request_ids).values())
    assert upstreams == {stack.backend_address(0), stack.backend_address(1)}
    print("\nbackup drill: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
