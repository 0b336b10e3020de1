"""`memoai users …` through Typer's runner, on the same database the API reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memoai.auth import passwords
from memoai.cli import app
from memoai.cli import users as users_cli
from tests.auth.support import PASSWORD

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, value in {
        "DATABASE_URL": db_url,
        "CONFIG_DIR": str(config_dir),
        "DATA_DIR": str(tmp_path),
        "BCRYPT_ROUNDS": "5",
        "APP_ENV": "development",
    }.items():
        monkeypatch.setenv(name, value)
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    return secret


def users(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["users", *args], input=input)
    return result.exit_code, result.output


def listed() -> dict[str, dict[str, object]]:
    code, output = users("list", "--json")
    assert code == 0, output
    return {row["username"]: row for row in json.loads(output)}


def test_create_list_and_change_users(env: Path) -> None:
    code, output = users("create", "Admin", "--admin", "--password-file", str(env))
    assert code == 0, output
    assert "admin 'Admin'" in output
    code, output = users(
        "create", "writer", "--display-name", "W. Riter", "--password-file", str(env)
    )
    assert code == 0, output
    rows = listed()
    assert rows["Admin"]["role"] == "admin" and rows["writer"]["role"] == "user"
    assert rows["writer"]["display_name"] == "W. Riter"

    assert users("create", "ADMIN", "--password-file", str(env))[0] == 1  # taken, any case
    assert users("deactivate", "writer")[0] == 0
    assert listed()["writer"]["active"] is False
    assert users("activate", "WRITER")[0] == 0
    assert users("grant-admin", "writer")[0] == 0
    assert listed()["writer"]["role"] == "admin"
    assert users("revoke-admin", "admin")[0] == 0
    code, output = users("revoke-admin", "writer")
    assert code == 1 and "last active administrator" in output
    code, output = users("deactivate", "nobody")
    assert code == 1 and "No user named 'nobody'" in output


def test_password_policy_and_set_password(env: Path, tmp_path: Path) -> None:
    weak = tmp_path / "weak.txt"
    weak.write_text("password1234\n", encoding="utf-8")
    code, output = users("create", "dave", "--password-file", str(weak))
    assert code == 1 and "most common" in output
    assert users("create", "dave", "--password-file", str(env))[0] == 0
    fresh = tmp_path / "fresh.txt"
    fresh.write_text("a brand new passphrase\n", encoding="utf-8")
    code, output = users(
        "set-password", "dave", "--password-file", str(fresh), "--must-change-password"
    )
    assert code == 0 and "changed" in output, output
    assert listed()["dave"]["must_change_password"] is True


def test_prompts_twice_in_a_terminal_and_refuses_without_one(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = users("create", "erin")
    assert code == 2 and "--password-file" in output
    monkeypatch.setattr(users_cli, "_interactive", lambda: True)
    code, output = users(
        "create", "erin", input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0, output
    assert output.count("Password") >= 2 and "do not match" in output.lower()
    assert PASSWORD not in output  # hidden input is not echoed
    assert "erin" in listed()


def test_the_configured_cost_is_the_stored_hash_cost(env: Path) -> None:
    import asyncio

    from memoai.auth import service
    from memoai.db import Database
    from memoai.settings import load_settings

    assert users("create", "frank", "--password-file", str(env))[0] == 0

    async def stored() -> str:
        db = Database(load_settings().db_url)
        try:
            async with db.sessions() as session:
                user = await service.find_user(session, "frank")
                assert user is not None
                return user.password_hash
        finally:
            await db.dispose()

    assert passwords.hash_rounds(asyncio.run(stored())) == 5
