"""The topology's user accounts: made with `memoai users create` as an operator does, and
signed in through nginx as the browser page does (the session and CSRF cookies, then the
CSRF header on every change).

Production requires login, so every simulated user has an account of its own: the app's rate
limits count per signed-in user, and two people never share one at the same time.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from memoai.auth.tokens import looks_like_jwt

LOGIN = "/api/v1/auth/login"
CREATED = re.compile(r"Created \w+ '(?P<name>[^']+)' \((?P<id>[0-9a-f-]{36})\)")
# Each `memoai users create` is a process of its own (~2 s of CPU, mostly imports).
WORKERS = 2


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    user_id: str

    def credentials(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


def create_accounts(
    memoai: Callable[..., str], folder: Path, groups: dict[str, int]
) -> dict[str, list[Account]]:
    """`count` accounts per group, named `<group>-<n>-<run>` (unique in every run: failed
    logins are counted per username in Redis, across runs), all with one password file."""
    password = "topology drill " + secrets.token_urlsafe(18)
    password_file = folder / "account-password"
    password_file.write_text(password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    run = secrets.token_hex(3)
    names = [(group, f"{group}-{n}-{run}") for group, count in groups.items() for n in range(count)]

    def create(name: str) -> str:
        output = memoai("users", "create", name, "--password-file", str(password_file))
        found = CREATED.search(output)
        assert found and found["name"] == name, output
        return found["id"]

    with ThreadPoolExecutor(WORKERS) as pool:
        ids = list(pool.map(create, [name for _, name in names]))
    accounts: dict[str, list[Account]] = {group: [] for group in groups}
    for (group, name), user_id in zip(names, ids, strict=True):
        accounts[group].append(Account(name, password, user_id))
    return accounts


def csrf_headers(cookies: httpx.Cookies) -> dict[str, str]:
    """What the page sends with every change: the CSRF cookie's value, echoed in a header."""
    return {"X-CSRF-Token": cookies["memoai_csrf"]}


def check_signed_in(answer: httpx.Response, cookies: httpx.Cookies) -> None:
    assert answer.status_code == 200, answer.text
    assert looks_like_jwt(cookies["memoai_session"])  # a login, not an anonymous session
    assert answer.json()["data"]["csrf_token"] == cookies["memoai_csrf"]


def sign_in(client: httpx.Client, account: Account) -> dict[str, str]:
    """Sign in through the API (cookies kept by the client); the headers the page sends."""
    answer = client.post(LOGIN, json=account.credentials())
    check_signed_in(answer, client.cookies)
    return csrf_headers(client.cookies)


def sign_in_with_the_form(client: httpx.Client, account: Account, next_path: str = "/") -> str:
    """Sign in as a person does, on the login page's form; where the browser is sent next."""
    form = {**account.credentials(), "next": next_path}
    answer = client.post("/login", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 303, answer.text
    assert looks_like_jwt(client.cookies["memoai_session"])
    return answer.headers["location"]
