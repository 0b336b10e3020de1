"""The compose files: valid for docker-compose, faithful to the deployment plan, and passing
only variables the product (or a documented compose-only consumer) understands."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from memoai.settings import SECRET_FIELDS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "docker-compose.yml"
PROD = ROOT / "docker-compose.prod.yml"
ENV_EXAMPLE = ROOT / ".env.example"
RENDER_SCRIPT = ROOT / "scripts" / "render-nginx.sh"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
COMPOSE_ONLY_MARKER = "==== Compose-only variables"
MEMOAI_IMAGE_SERVICES = {"migrate", "memoai-frontend", "memoai-maintenance"}

SETTING_NAMES = {name.upper() for name in Settings.model_fields}
SECRET_FILE_NAMES = {f"{name.upper()}_FILE" for name in SECRET_FIELDS}
VARIABLE_LINE = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$")
INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def load(path: Path) -> dict[str, Any]:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def environment(service: dict[str, Any]) -> dict[str, Any]:
    """A service's environment as a mapping, whichever syntax the file uses."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        return dict(pairs)
    return dict(env)


def env_example_variables() -> tuple[set[str], set[str]]:
    """(application variables, compose-only variables) documented in .env.example."""
    app_vars: set[str] = set()
    compose_vars: set[str] = set()
    in_compose_section = False
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if COMPOSE_ONLY_MARKER in line:
            in_compose_section = True
            continue
        match = VARIABLE_LINE.match(line)
        if match:
            (compose_vars if in_compose_section else app_vars).add(match.group(1))
    return app_vars, compose_vars


def render_script_variables() -> set[str]:
    """The MEMOAI_* variables scripts/render-nginx.sh reads (documented in its header)."""
    return set(re.findall(r"\bMEMOAI_[A-Z0-9_]+\b", RENDER_SCRIPT.read_text(encoding="utf-8")))


def is_memoai_service(name: str) -> bool:
    return name.startswith("memoai-") or name in MEMOAI_IMAGE_SERVICES


@pytest.fixture(scope="module")
def compose_binary() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (CI installs it: scripts/setup-system.sh)")
    return binary


def run_config(
    binary: str, compose_file: Path, env_file: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "--env-file", str(env_file), "-f", str(compose_file), *extra, "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- docker-compose accepts both files ----------------------------------------------------


def test_development_file_is_valid(compose_binary: str, tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    result = run_config(compose_binary, DEV, env_file)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("profiles", [[], ["--profile", "scale", "--profile", "monitoring"]])
def test_production_file_is_valid_with_the_example_env(
    compose_binary: str, profiles: list[str]
) -> None:
    result = run_config(compose_binary, PROD, ENV_EXAMPLE, *profiles)
    assert result.returncode == 0, result.stderr


def test_production_file_names_the_missing_domain(compose_binary: str, tmp_path: Path) -> None:
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    result = run_config(compose_binary, PROD, env_file)
    assert result.returncode != 0
    assert "MEMOAI_DOMAIN" in result.stderr


# --- variables ---------------------------------------------------------------------------


def test_env_example_documents_every_setting() -> None:
    app_vars, _ = env_example_variables()
    missing = SETTING_NAMES - app_vars
    assert not missing, f".env.example lacks settings: {sorted(missing)}"


def test_env_example_documents_only_known_variables() -> None:
    app_vars, compose_vars = env_example_variables()
    unknown_app = app_vars - SETTING_NAMES - SECRET_FILE_NAMES
    assert not unknown_app, f"not settings of memoai.settings.Settings: {sorted(unknown_app)}"
    clash = compose_vars & SETTING_NAMES
    assert not clash, f"settings listed as compose-only: {sorted(clash)}"


@pytest.mark.parametrize("compose_file", [DEV, PROD], ids=lambda p: p.name)
def test_services_pass_only_known_variables(compose_file: Path) -> None:
    _, compose_vars = env_example_variables()
    nginx_vars = render_script_variables()
    problems = []
    for name, service in load(compose_file)["services"].items():
        for key in environment(service):
            if is_memoai_service(name):
                known = key in SETTING_NAMES or key in SECRET_FILE_NAMES or key in compose_vars
            elif name == "nginx":
                known = key in nginx_vars
            else:
                known = key in compose_vars
            if not known:
                problems.append(f"{name}: {key}")
    assert not problems, f"variables no consumer documents: {problems}"


@pytest.mark.parametrize("compose_file", [DEV, PROD], ids=lambda p: p.name)
def test_interpolated_variables_are_documented(compose_file: Path) -> None:
    _, compose_vars = env_example_variables()
    lines = compose_file.read_text(encoding="utf-8").splitlines()
    code = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    used = set(INTERPOLATION.findall(code))
    unknown = used - SETTING_NAMES - compose_vars
    assert not unknown, f"${{...}} variables missing from .env.example: {sorted(unknown)}"


def test_secret_files_are_mounted_docker_secrets() -> None:
    data = load(PROD)
    declared = data["secrets"]
    for name, service in data["services"].items():
        mounted = set(service.get("secrets") or [])
        for key, value in environment(service).items():
            if not key.endswith("_FILE"):
                continue
            assert key in SECRET_FILE_NAMES, f"{name}: {key} is not a secret setting"
            secret = value.removeprefix("/run/secrets/")
            assert value == f"/run/secrets/{secret}", f"{name}: {key}={value}"
            assert secret in mounted, f"{name}: {key} reads {secret}, which is not mounted"
            assert "file" in declared[secret], f"secret {secret} needs file: outside swarm"
    plain_secrets = {s.upper() for s in SECRET_FIELDS} & {
        key
        for service in data["services"].values()
        for key, v in environment(service).items()
        if v not in (None, "")
    }
    assert plain_secrets <= {"DATABASE_URL", "REDIS_URL"}, (
        f"secrets passed as plain values in production: {plain_secrets}"
    )


def apply_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, Any], root: Path) -> None:
    """Make the test process see a container's environment, with /app and secrets under root."""
    for name in SETTING_NAMES | SECRET_FILE_NAMES:
        monkeypatch.delenv(name, raising=False)
    secrets = root / "run-secrets"
    secrets.mkdir()
    for key, raw in env.items():
        if raw is None:
            continue  # passed through from the operator's .env: unset here
        value = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(raw))  # the file's default
        if value.startswith("/run/secrets/"):
            path = secrets / value.removeprefix("/run/secrets/")
            path.write_text("s3cr3t-" + "x" * 40 + "\n")
            value = str(path)
        elif value.startswith("/app/"):
            value = str(root / value.removeprefix("/app/"))
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(root)
    (root / "data").mkdir(exist_ok=True)


@pytest.mark.parametrize(
    "service", ["memoai-backend-1", "memoai-frontend", "memoai-maintenance", "migrate"]
)
def test_production_environment_makes_a_valid_production_configuration(
    service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each process would pass production's safety checks with the secrets it is given."""
    apply_environment(monkeypatch, environment(load(PROD)["services"][service]), tmp_path)
    settings = load_settings(_env_file=None)  # raises if production would refuse to start
    assert settings.is_production
    assert settings.auth_enabled and settings.https_only and settings.secure_cookies
    assert settings.secret("jwt_secret_key")
    if service == "memoai-backend-1":
        assert settings.session_timeout == 3600 and settings.rate_limit_per_minute == 60
        assert settings.provider == "claude" and settings.secret("claude_api_key")
        assert not settings.run_migrations_on_start
        assert settings.db_url.startswith("sqlite:///data/")


def test_development_environment_makes_a_valid_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for service in ("memoai-backend", "memoai-frontend"):
        env = environment(load(DEV)["services"][service])
        root = tmp_path / service
        root.mkdir()
        apply_environment(monkeypatch, env, root)
        settings = load_settings(_env_file=None)
        assert settings.app_env == "development"
        assert settings.auth_enabled is False


# --- the deployment plan's shape (seed §5.1, §5.2) ---------------------------------------


def test_development_services_follow_the_seed() -> None:
    services = load(DEV)["services"]
    backend, frontend = services["memoai-backend"], services["memoai-frontend"]
    assert "8000:8000" in backend["ports"] and "3000:3000" in frontend["ports"]
    assert environment(frontend)["BACKEND_URL"] == "http://memoai-backend:8000"
    seed_vars = {
        "AUTH_ENABLED",
        "SESSION_TIMEOUT",
        "DATABASE_URL",
        "LLM_PROVIDER",
        "CLAUDE_API_KEY",
        "DEBUG_MODE",
    }
    assert seed_vars <= set(environment(backend))
    assert environment(backend)["AUTH_ENABLED"] == "false"
    for service in (backend, frontend):
        assert "./data:/app/data" in service["volumes"]
        assert "./config:/app/config" in service["volumes"]
        assert service["build"]["context"] == "."
        assert "healthcheck" in service
    assert "memoai-frontend" not in (backend.get("depends_on") or {}), "dependency cycle"


def test_production_services_follow_the_seed() -> None:
    data = load(PROD)
    services = data["services"]
    backends = sorted(name for name in services if name.startswith("memoai-backend-"))
    assert len(backends) >= 2
    seed_vars = {
        "AUTH_ENABLED",
        "JWT_SECRET_KEY_FILE",
        "SESSION_TIMEOUT",
        "DATABASE_URL",
        "LLM_PROVIDER",
        "CLAUDE_API_KEY_FILE",
        "HTTPS_ONLY",
        "SECURE_COOKIES",
        "CSRF_PROTECTION",
        "RATE_LIMIT_PER_MINUTE",
    }
    for name in backends:
        env = environment(services[name])
        assert seed_vars <= set(env), name
        assert env["AUTH_ENABLED"] == "true" and env["APP_ENV"] == "production"
        assert services[name]["build"]["dockerfile"] == "Dockerfile.prod"
        assert "memoai_data:/app/data" in services[name]["volumes"]
        assert "memoai_config:/app/config" in services[name]["volumes"]
    assert {"memoai_data", "memoai_config", "memoai_static"} <= set(data["volumes"])
    assert {"jwt_secret", "claude_api_key"} <= set(data["secrets"])
    nginx = services["nginx"]
    assert {"${MEMOAI_HTTP_PORT:-80}:80", "${MEMOAI_HTTPS_PORT:-443}:443"} == set(nginx["ports"])
    assert "./ssl:/etc/nginx/ssl:ro" in nginx["volumes"]
    assert "memoai_static:/var/www/static:ro" in nginx["volumes"]
    assert "memoai_static:/app/static" in services["memoai-frontend"]["volumes"]
    assert services["memoai-maintenance"]["command"] == ["memoai", "maintenance", "--loop"]
    assert {"postgres", "redis"} == {
        n for n, s in services.items() if "scale" in s.get("profiles", [])
    }


def test_production_long_running_services_restart_and_report_health() -> None:
    for name, service in load(PROD)["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        if name != "memoai-maintenance":  # no HTTP server: nothing to probe
            assert service["healthcheck"]["test"], name


def test_only_nginx_is_public_in_production() -> None:
    for name, service in load(PROD)["services"].items():
        ports = service.get("ports") or []
        if name == "nginx":
            continue
        assert all(str(p).startswith("127.0.0.1:") for p in ports), f"{name} publishes {ports}"


def test_nginx_and_prometheus_know_every_backend_replica() -> None:
    services = load(PROD)["services"]
    replicas = {f"{n}:8000" for n in services if n.startswith("memoai-backend-")}
    assert set(environment(services["nginx"])["MEMOAI_BACKENDS"].split()) == replicas
    targets = {
        t
        for job in load(PROMETHEUS)["scrape_configs"]
        if job["job_name"] == "memoai-backend"
        for config in job["static_configs"]
        for t in config["targets"]
    }
    assert targets == replicas
    for name in replicas:
        depends = services["nginx"]["depends_on"][name.split(":")[0]]
        assert depends["condition"] == "service_healthy"


def test_production_frontend_reaches_backends_through_nginx_internal_listener() -> None:
    services = load(PROD)["services"]
    backend_url = environment(services["memoai-frontend"])["BACKEND_URL"]
    default_internal = re.search(
        r"MEMOAI_INTERNAL_LISTEN:=([0-9]+)", RENDER_SCRIPT.read_text(encoding="utf-8")
    )
    assert default_internal is not None
    assert backend_url == f"http://nginx:{default_internal.group(1)}"
    assert default_internal.group(1) in " ".join(services["nginx"]["healthcheck"]["test"])


def test_replicas_do_not_race_over_migrations() -> None:
    services = load(PROD)["services"]
    assert services["migrate"]["command"] == ["memoai", "db", "upgrade"]
    for name, service in services.items():
        if name.startswith("memoai-backend-"):
            assert environment(service)["RUN_MIGRATIONS_ON_START"] == "false"
            condition = service["depends_on"]["migrate"]["condition"]
            assert condition == "service_completed_successfully"
