"""Every setting of the product in one pydantic-settings class.

Values come from the environment (and `.env`), secrets may come from `NAME_FILE` (Docker
secrets), and `APP_ENV` picks the profile defaults of the deployment plan (seed §7.1).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from memoai.addresses import parse_addresses

AppEnv = Literal["development", "staging", "production"]
Provider = Literal["claude", "openai", "offline"]
OutputMode = Literal["json_schema", "json_object_schema", "json_object", "none"]

SECRET_FIELDS = (
    "jwt_secret_key",
    "claude_api_key",
    "openai_api_key",
    "admin_password",
    "backup_encryption_key",
    "database_url",
    "redis_url",
    "jwt_previous_secret_keys",
    "metrics_token",
    "backup_s3_access_key_id",
    "backup_s3_secret_access_key",
)

# Seed §7.1: what each environment defaults to when the variable is not set.
PROFILES: dict[str, dict[str, Any]] = {
    "development": {
        "auth_enabled": False,
        "debug_mode": True,
        "log_level": "DEBUG",
        "database_url": "sqlite:///data/memoai_dev.db",
        "https_only": False,
        "secure_cookies": False,
        "openapi_docs": True,
    },
    "staging": {
        "auth_enabled": True,
        "debug_mode": False,
        "log_level": "INFO",
        "database_url": "sqlite:///data/memoai_staging.db",
        "https_only": False,
        "secure_cookies": False,
        "openapi_docs": True,
    },
    "production": {
        "auth_enabled": True,
        "debug_mode": False,
        "log_level": "WARNING",
        "database_url": "sqlite:///data/memoai_prod.db",
        "https_only": True,
        "secure_cookies": True,
        "openapi_docs": False,
    },
}
# Without APP_ENV the product runs on its embedded defaults: development, but one plain file.
EMBEDDED_DATABASE_URL = "sqlite:///data/memoai.db"
DEFAULT_MODELS = {"claude": "claude-sonnet-4-5", "openai": "gpt-4o-mini", "offline": "rules-v1"}
MIN_JWT_SECRET_LENGTH = 32


class FileSecretsSource(PydanticBaseSettingsSource):
    """Reads `NAME_FILE` for each secret, so Docker secrets never pass through the environment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in SECRET_FIELDS:
            path = os.environ.get(f"{name.upper()}_FILE")
            if path:
                try:
                    values[name] = Path(path).read_text(encoding="utf-8").strip()
                except OSError as exc:
                    raise ValueError(f"{name.upper()}_FILE: cannot read {path}: {exc}") from exc
        return values


class Settings(BaseSettings):
    """The product's configuration; one instance is built at start and passed around."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        env_ignore_empty=True,
    )

    app_env: AppEnv = "development"

    # Authentication and sessions (seed §6.1)
    auth_enabled: bool | None = None
    jwt_secret_key: SecretStr | None = None
    jwt_previous_secret_keys: SecretStr | None = Field(
        None, description="comma-separated earlier JWT keys, still accepted for a grace period"
    )
    jwt_expiration_hours: int = Field(24, ge=1, le=24 * 90)
    session_timeout: int = Field(3600, ge=60, le=60 * 60 * 24 * 90)
    bcrypt_rounds: int = Field(12, ge=4, le=16)
    admin_username: str = "admin"
    admin_password: SecretStr | None = None

    # Database
    database_url: str | None = None
    database_backup_enabled: bool = True
    database_pool_size: int = Field(10, ge=1, le=200)
    run_migrations_on_start: bool = True

    # Security
    https_only: bool | None = None
    secure_cookies: bool | None = None
    csrf_protection: bool = True
    rate_limit_per_minute: int = Field(60, ge=1)
    rate_limit_evaluations_per_minute: int = Field(20, ge=1)
    rate_limit_chat_per_minute: int = Field(30, ge=1)
    rate_limit_admin_per_minute: int = Field(120, ge=1)
    rate_limit_reads_per_minute: int = Field(300, ge=1)  # GETs; one page view counts once
    rate_limit_enabled: bool = True
    redis_url: str | None = None
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    forwarded_allow_ips: str = Field(
        "", description="proxies (IPs, CIDR networks, '*') whose X-Forwarded-For/-Proto count"
    )
    metrics_allowed_ips: str = Field(
        "127.0.0.1,::1", description="callers that see /metrics and readiness details"
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token that also opens /metrics and readiness details"
    )

    # LLM provider
    llm_provider: Provider | None = None
    claude_api_key: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_timeout_seconds: float = Field(60.0, gt=0, le=600)
    llm_max_retries: int = Field(3, ge=0, le=10)
    llm_retry_base_delay: float = Field(1.0, ge=0, le=60)
    llm_retry_max_delay: float = Field(30.0, ge=0, le=600)
    llm_temperature: float = Field(0.2, ge=0, le=2)
    llm_max_tokens: int = Field(4096, ge=256, le=64000)
    llm_output_mode: OutputMode = "json_schema"
    llm_daily_budget_usd: float | None = Field(None, ge=0)

    # Application
    debug_mode: bool | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    log_format: Literal["json", "console"] = "json"
    openapi_docs: bool | None = None
    config_dir: Path = Path("config")
    data_dir: Path = Path("data")
    backup_dir: Path = Path("data/backups")
    backup_encryption_key: SecretStr | None = None
    # Production makes no unencrypted backup unless this says it is on purpose.
    backup_allow_unencrypted: bool = False
    backup_keep_daily: int = Field(7, ge=1)
    backup_keep_weekly: int = Field(4, ge=0)
    # Off-site copies (ops/offsite.py): s3://bucket/prefix; unset keeps backups on this disk.
    backup_s3_url: str | None = Field(
        None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$"
    )
    backup_s3_endpoint_url: str | None = None  # S3-compatible storage other than AWS
    backup_s3_region: str = "us-east-1"
    backup_s3_access_key_id: SecretStr | None = None
    backup_s3_secret_access_key: SecretStr | None = None
    # Continuous replication of SQLite (ops/litestream.py, deploy/litestream/litestream.yml).
    litestream_replica_url: str | None = None
    litestream_config: Path = Path("/etc/litestream.yml")
    retention_submissions: int = Field(0, ge=0, description="keep the newest N; 0 keeps all")
    maintenance_interval_seconds: int = Field(3600, ge=60)
    memo_min_chars: int = Field(1, ge=1)
    memo_max_chars: int = Field(10_000, ge=100, le=200_000)
    title_max_chars: int = Field(200, ge=10, le=1000)
    chat_max_chars: int = Field(2000, ge=100, le=20000)
    backend_url: str = "http://127.0.0.1:8000"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            FileSecretsSource(settings_cls),
            env_settings,
            dotenv_settings,
        )

    @field_validator("forwarded_allow_ips", "metrics_allowed_ips")
    @classmethod
    def _address_list(cls, value: str) -> str:
        parse_addresses(value)  # raises ValueError naming the bad entry
        return value

    @model_validator(mode="after")
    def _apply_profile(self) -> Settings:
        profile = PROFILES[self.app_env]
        explicit_env = "app_env" in self.model_fields_set
        for name, value in profile.items():
            if getattr(self, name) is None:
                if name == "database_url" and not explicit_env:
                    value = EMBEDDED_DATABASE_URL
                object.__setattr__(self, name, value)
        if self.llm_provider is None:
            provider = "claude" if self.claude_api_key else "offline"
            object.__setattr__(self, "llm_provider", provider)
        if self.llm_model is None:
            object.__setattr__(self, "llm_model", DEFAULT_MODELS[str(self.llm_provider)])
        if self.memo_min_chars > self.memo_max_chars:
            raise ValueError("MEMO_MIN_CHARS must not exceed MEMO_MAX_CHARS")
        return self

    # Typed views of the profile-filled fields (never None after validation).
    @property
    def provider(self) -> Provider:
        return self.llm_provider or "offline"

    @property
    def model(self) -> str:
        return self.llm_model or DEFAULT_MODELS[self.provider]

    @property
    def db_url(self) -> str:
        return self.database_url or EMBEDDED_DATABASE_URL

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    def secret(self, name: str) -> str | None:
        """The plain value of a secret setting, or None."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None

    def llm_key(self) -> str | None:
        """The API key of the chosen provider."""
        if self.provider == "claude":
            return self.secret("claude_api_key")
        if self.provider == "openai":
            return self.secret("openai_api_key")
        return None

    def production_problems(self) -> list[str]:
        """Insecure choices that production refuses to start with, one sentence each."""
        problems: list[str] = []
        jwt = self.secret("jwt_secret_key") or ""
        if self.auth_enabled and len(jwt) < MIN_JWT_SECRET_LENGTH:
            problems.append(
                f"JWT_SECRET_KEY is missing or shorter than {MIN_JWT_SECRET_LENGTH} characters "
                "(generate one with: openssl rand -hex 32)"
            )
        if self.debug_mode:
            problems.append(
                "DEBUG_MODE is on; production never starts in debug mode (an administrator can "
                "switch it on at run time for a set time: POST /api/v1/admin/debug/toggle)"
            )
        if not self.https_only:
            problems.append("HTTPS_ONLY is off")
        if not self.secure_cookies:
            problems.append("SECURE_COOKIES is off")
        if self.admin_password is not None and self.secret("admin_password") in WEAK_PASSWORDS:
            problems.append("ADMIN_PASSWORD is a well-known default; choose a strong one")
        if self.db_url.startswith("sqlite"):
            path = sqlite_path(self.db_url)
            if path is not None and not _inside(path, self.data_dir):
                problems.append(
                    f"DATABASE_URL points at {path}, outside the data volume ({self.data_dir})"
                )
        return problems


WEAK_PASSWORDS = {"admin", "password", "changeme", "admin123", "12345678", "memoai"}


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (None for in-memory)."""
    rest = url.split("://", 1)[1] if "://" in url else url
    rest = rest.split("?", 1)[0]
    if rest in ("", "/", "/:memory:"):
        return None
    return Path(rest[1:]) if rest.startswith("/") else Path(rest)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


class SettingsError(Exception):
    """Raised with a readable, per-variable message when the environment is invalid."""


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into messages that name the variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            shown = "***" if field in SECRET_FIELDS else repr(err.get("input"))
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            lines.append(f"{name}: {err['msg']} (got {shown})")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from None
    except ValueError as exc:
        raise SettingsError(f"Invalid settings: {exc}") from None
    if settings.is_production:
        problems = settings.production_problems()
        if problems:
            raise SettingsError(
                "Production refuses to start with insecure settings:\n  - "
                + "\n  - ".join(problems)
            )
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the process environment, built once."""
    return load_settings()
