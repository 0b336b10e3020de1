"""Schemathesis over every operation of the OpenAPI document, against a real server.

A uvicorn on 127.0.0.1 serves the API on a temporary SQLite file with the offline analyser;
each operation gets generated requests (valid ones, with random and with real ids, and invalid
ones) from a signed-in caller, and every answer is checked against the document: no server
error, a declared status, a declared content type, a body and headers that fit the schema.
Every operation has a signed-in user of its own (Bearer token), with an evaluation and a chat
of its own. Routes added later join by themselves; an operation that sent no request fails.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from memoai.app import create_app
from memoai.auth.audit import CLI
from memoai.auth.models import Role
from memoai.auth.service import create_user
from memoai.configs.schemas import AuthSecurity
from memoai.db import Database
from memoai.deps import SESSION_COOKIE
from memoai.settings import Settings
from tests.ops.live import served

from helpers import make_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Requests shared out among the operations: about two minutes on 2 cores, however many there are.
REQUEST_BUDGET = 2000
MIN_EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    unsupported_method,
    allow_header_conformance,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The statuses this API refuses invalid data with (Schemathesis' defaults plus 413 for size and
# 423 for a locked account), listed here rather than read from the library's internals.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "423", "429"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}}}
)
CREDENTIAL_HEADERS = {"authorization", "x-session-token", "x-csrf-token"}
PASSWORD = "contract suite passphrase 42"
USERNAMES = itertools.count(1)
MEMO = (
    "To: Leadership\nFrom: Dana\nSubject: Fund the intake pilot\n\nI request $40,000 to pilot "
    "digital intake at two clinics. It cuts intake from 14 to 5 minutes per patient and saves "
    "$610,000 a year. Please approve by 15 April."
)


def forget_generated_credentials(case: schemathesis.Case) -> None:
    """Drop the random values generated for the security schemes: the caller's are sent."""
    if case.headers:
        for name in [n for n in case.headers if n.lower() in CREDENTIAL_HEADERS]:
            del case.headers[name]
    if case.cookies:
        case.cookies.pop(SESSION_COOKIE, None)


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    succeeded: set[str] = field(default_factory=set)
    failures: dict[str, str] = field(default_factory=dict)


async def add_user(settings: Settings, username: str) -> None:
    """A user of its own per operation: a fuzzed password change may lock its account."""
    db = Database(settings.db_url)
    try:
        async with db.sessions() as session:
            await create_user(
                session,
                username,
                PASSWORD,
                policy=AuthSecurity(),
                rounds=settings.bcrypt_rounds,
                origin=CLI,
                role=Role.ADMIN,  # so that the administration routes answer more than 403
            )
    finally:
        await db.dispose()


def signed_in(server: Server) -> dict[str, str]:
    """A signed-in caller: a new administrator's Bearer token (no cookie, so no CSRF header)."""
    username = f"fuzz-{next(USERNAMES)}"
    asyncio.run(add_user(server.settings, username))
    response = httpx.post(
        f"{server.base_url}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['data']['access_token']}"}


def real_ids(base_url: str, auth: dict[str, str]) -> dict[str, str]:
    """Ids of the caller's own objects (a memo and its revision, a chat about the revision),
    so that fuzzed requests reach the success answers too."""
    with httpx.Client(base_url=base_url, headers=auth, timeout=30) as client:
        first = client.post("/api/v1/evaluations", json={"text_content": MEMO})
        first.raise_for_status()
        revision = {"text_content": MEMO + " Thank you.", "revision_of": first.json()["data"]["id"]}
        second = client.post("/api/v1/evaluations", json=revision)
        second.raise_for_status()
        evaluation_id = second.json()["data"]["id"]
        chat = client.post("/api/v1/chat/sessions", json={"evaluation_id": evaluation_id})
        chat.raise_for_status()
        return {
            "evaluation_id": evaluation_id,
            "chat_id": chat.json()["data"]["id"],
            "memo_id": first.json()["data"]["submission_id"],
        }


@dataclass
class Server:
    base_url: str
    document: dict[str, Any]
    settings: Settings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    shutil.copytree(ROOT / "config", tmp / "config")
    # Every request comes from 127.0.0.1, and the fuzzed logins try many names from it.
    auth_yaml = tmp / "config/auth.yaml"
    text = auth_yaml.read_text()
    assert "max_accounts_per_address: 10\n" in text
    auth_yaml.write_text(
        text.replace("max_accounts_per_address: 10\n", "max_accounts_per_address: 100000\n")
    )
    app_settings = make_settings(
        f"sqlite:///{tmp / 'memoai.db'}",
        tmp,
        tmp / "config",
        csrf_protection=True,
        jwt_secret_key="contract-" + "k" * 40,
        bcrypt_rounds=4,
        rate_limit_enabled=False,  # thousands of requests a minute from one caller
        openapi_docs=True,
    )
    app = create_app(app_settings)
    with served(app) as port:
        yield Server(f"http://127.0.0.1:{port}", app.openapi(), app_settings)


def fuzz(strategy: Any, examples: int, run: Any) -> None:
    """Run `run(case)` on up to `examples` generated cases; raises the first failure found."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure is shown as found
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def test(case: schemathesis.Case) -> None:
        run(case)

    test()


def exercise(
    operation: schemathesis.APIOperation,
    base_url: str,
    auth: dict[str, str],
    ids: dict[str, str],
    tally: Tally,
    examples: int,
) -> None:
    """Valid requests (random ids, then the caller's own), then invalid ones."""
    label = operation.label

    def call(checks: list[Any]) -> Any:
        def run(case: schemathesis.Case) -> None:
            forget_generated_credentials(case)
            response = case.call(base_url=base_url, headers=auth, timeout=30)
            tally.requests[label] += 1
            tally.statuses[response.status_code] += 1
            if response.status_code < 300:
                tally.succeeded.add(label)
            case.validate_response(response, checks=checks, headers=auth)

        return run

    names = {p.name for p in operation.path_parameters}
    own = {name: value for name, value in ids.items() if name in names}
    quarter = max(MIN_EXAMPLES, examples // 4)
    runs: list[tuple[str, Any, int, list[Any]]] = [
        ("positive", operation.as_strategy(), max(MIN_EXAMPLES, examples // 2), CHECKS)
    ]
    if own:
        runs.append(("real ids", operation.as_strategy(path_parameters=own), quarter, CHECKS))
    if operation.body or list(operation.iter_parameters()):
        negative = operation.as_strategy(GenerationMode.NEGATIVE)
        runs.append(("negative", negative, quarter, [*CHECKS, negative_data_rejection]))
    for mode, strategy, examples, checks in runs:
        try:
            fuzz(strategy, examples, call(checks))
        except (Exception, FailureGroup) as exc:  # a group of check failures is a BaseException
            tally.failures[f"{label} ({mode})"] = f"{type(exc).__name__}: {exc}"[:3000]


def test_every_operation_keeps_the_contract(server: Server) -> None:
    base_url = server.base_url
    schema = schemathesis.openapi.from_dict(server.document, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    tally = Tally()
    started = time.monotonic()
    examples = REQUEST_BUDGET // len(operations)
    for operation in operations:
        # A caller of its own: ending a session (logout, DELETE) must not turn every later
        # operation into a 401.
        auth = signed_in(server)
        exercise(operation, base_url, auth, real_ids(base_url, auth), tally, examples)
    covered = [op.label for op in operations if tally.requests[op.label]]
    print(
        f"\nSchemathesis {schemathesis.__version__}: {len(covered)} of {len(operations)} "
        f"operations covered, {sum(tally.requests.values())} requests, "
        f"{len(tally.failures)} failing, {time.monotonic() - started:.0f} s; "
        f"{len(tally.succeeded)} operations answered a success at least once; statuses "
        + ", ".join(f"{status}: {n}" for status, n in sorted(tally.statuses.items()))
    )
    print("never a success:", sorted({op.label for op in operations} - tally.succeeded))
    for name, failure in tally.failures.items():
        print(f"--- {name}\n{failure}")
    assert not tally.failures, f"{len(tally.failures)} operations broke the contract (see above)"
    skipped = sorted({op.label for op in operations} - set(covered))
    assert len(covered) == len(operations), f"operations with no request: {skipped}"
