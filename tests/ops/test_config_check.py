"""`memoai config check`: every setting shown, no secret ever printed, problems located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from memoai.cli import app

SECRETS = {
    "JWT_SECRET_KEY": "jwt-0123456789abcdef0123456789abcdef",
    "CLAUDE_API_KEY": "sk-ant-test-secret-value-42",
    "ADMIN_PASSWORD": "Tr0ub4dor&3-horse",
    "BACKUP_ENCRYPTION_KEY": "backup-passphrase-77",
    "JWT_PREVIOUS_SECRET_KEYS": "older-secret-one-1111,older-secret-two-2222",
}
DB_PASSWORD = "db-pass-9876"
REDIS_PASSWORD = "redis-pass-5432"


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config_dir: Path
) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://memoai:{DB_PASSWORD}@db.internal:5432/memoai")
    monkeypatch.setenv("REDIS_URL", f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0")
    monkeypatch.setenv("CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return monkeypatch


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["config", "check", *args])
    return result.exit_code, result.output


def assert_no_secret(output: str) -> None:
    for value in [
        *SECRETS.values(),
        *SECRETS["JWT_PREVIOUS_SECRET_KEYS"].split(","),
        DB_PASSWORD,
        REDIS_PASSWORD,
    ]:
        assert value not in output


def test_prints_every_setting_with_secrets_redacted(environment: pytest.MonkeyPatch) -> None:
    code, output = run()
    assert code == 0, output
    assert_no_secret(output)
    assert "postgresql://memoai:***@db.internal:5432/memoai" in output
    assert "redis://:***@redis.internal:6379/0" in output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("  ")}
    assert "***" in lines["JWT_SECRET_KEY"] and "[set]" in lines["JWT_SECRET_KEY"]
    assert "***" in lines["JWT_PREVIOUS_SECRET_KEYS"]
    assert "[development profile]" in lines["DEBUG_MODE"]
    assert "Configuration is valid." in output

    code, output = run("--json")
    assert code == 0
    assert_no_secret(output)
    data = json.loads(output)
    from memoai.settings import Settings

    assert set(data["settings"]) == {name.upper() for name in Settings.model_fields}
    assert data["settings"]["CLAUDE_API_KEY"]["value"] == "***"
    assert data["files"] == dict.fromkeys(data["files"], "ok") and len(data["files"]) == 6


def test_insecure_choices_warn_outside_production_and_fail_in_it(
    environment: pytest.MonkeyPatch,
) -> None:
    code, output = run()
    assert code == 0
    assert "HTTPS_ONLY is off (production would refuse this)" in output
    environment.setenv("APP_ENV", "production")
    environment.setenv("HTTPS_ONLY", "false")
    environment.setenv("ADMIN_PASSWORD", "admin")
    code, output = run()
    assert code == 1
    assert "production refuses to start: HTTPS_ONLY is off" in output
    assert "ADMIN_PASSWORD is a well-known default" in output
    assert "Configuration is invalid." in output
    assert_no_secret(output)


def test_a_missing_backup_key_says_what_production_does_about_it(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.delenv("BACKUP_ENCRYPTION_KEY")
    _, output = run()
    assert "BACKUP_ENCRYPTION_KEY is not set: backups are stored unencrypted" in output
    environment.setenv("APP_ENV", "production")
    _, output = run()
    assert "production refuses to make backups" in output
    environment.setenv("BACKUP_ALLOW_UNENCRYPTED", "true")
    _, output = run()
    assert "backups are stored unencrypted" in output


def test_an_invalid_yaml_file_is_reported_with_line_and_column(
    environment: pytest.MonkeyPatch, config_dir: Path
) -> None:
    rubric = config_dir / "rubric.yaml"
    rubric.write_text(rubric.read_text(encoding="utf-8") + "\n  broken: [unclosed\n")
    code, output = run()
    assert code == 1
    error = next(line for line in output.splitlines() if "rubric.yaml line" in line)
    assert "column" in error
    assert "error  rubric.yaml" in output
    assert_no_secret(output)


def test_an_unusable_setting_names_the_variable(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("SESSION_TIMEOUT", "soon")
    code, output = run()
    assert code == 2
    assert "SESSION_TIMEOUT" in output
    assert_no_secret(output)
