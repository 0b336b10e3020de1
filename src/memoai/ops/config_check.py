"""`memoai config check`: the effective configuration, secrets redacted, and what is wrong with it.

Prints every setting with where its value comes from, validates the YAML files (line and
column), and warns about insecure choices — the ones production refuses to start with, plus a
few that are merely unwise. Secrets never reach the output: fields are redacted by name, URL
passwords are masked, and every secret value is scrubbed from the final text as a last guard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from memoai.auth.mode import config_env, mode_warning
from memoai.configs.loader import ConfigError, config_filename, load_active_config, validate_config
from memoai.configs.schemas import CONFIG_TYPES
from memoai.debugging.redact import (
    REDACTED,
    URL_FIELDS,
    is_secret,
    redact_url,
    scrub,
    secret_values,
)
from memoai.debugging.redact import (
    url_passwords as url_passwords,  # the CLI's scrubbing takes them from here
)
from memoai.settings import PROFILES, Settings, SettingsError, load_settings
from memoai.translations import gettext as _


@dataclass
class CheckResult:
    """Everything `config check` found; `exit_code` is what the command returns."""

    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": not self.errors,
            "settings": self.settings,
            "files": self.files,
            "warnings": self.warnings,
            "errors": self.errors,
        }


def display_value(name: str, value: Any) -> str:
    """How one setting is shown: secrets as *** (or 'not set'), URL passwords masked."""
    if value is None or value == "":
        return "(not set)"
    if is_secret(name):
        return REDACTED
    plain = value.get_secret_value() if isinstance(value, SecretStr) else value
    if name in URL_FIELDS:
        return redact_url(str(plain))
    if isinstance(plain, Path):
        return str(plain)
    return json.dumps(plain) if not isinstance(plain, str) else plain


def redacted_settings(settings: Settings) -> dict[str, str]:
    """Every setting by its environment name, safe to print or store in a backup manifest."""
    return {
        name.upper(): display_value(name, getattr(settings, name))
        for name in type(settings).model_fields
    }


def _source(settings: Settings, name: str) -> str:
    if name in settings.model_fields_set:
        return "set"
    if name in PROFILES[settings.app_env]:
        return f"{settings.app_env} profile"
    return "default"


def check_settings(settings: Settings, result: CheckResult) -> None:
    """Fill in the settings table and the insecure-choice warnings (errors in production)."""
    result.settings = {
        name.upper(): {"value": value, "source": _source(settings, name.lower())}
        for name, value in redacted_settings(settings).items()
    }
    result.secrets = secret_values(settings)
    problems = settings.production_problems()
    if settings.is_production:
        refused = _("production refuses to start: %(problem)s")
        result.errors += [refused % {"problem": p} for p in problems]
    else:
        unwise = _("%(problem)s (production would refuse this)")
        result.warnings += [unwise % {"problem": p} for p in problems]
    result.warnings += _unwise_choices(settings)


def _unwise_choices(settings: Settings) -> list[str]:
    warnings = []
    if not settings.csrf_protection:
        warnings.append(
            _("CSRF_PROTECTION is off: cookie-authenticated requests are not protected")
        )
    if settings.database_backup_enabled and not settings.backup_encryption_key:
        if settings.is_production and not settings.backup_allow_unencrypted:
            warnings.append(
                _(
                    "BACKUP_ENCRYPTION_KEY is not set: production refuses to make backups "
                    "(set the key, or BACKUP_ALLOW_UNENCRYPTED=true to store them unencrypted)"
                )
            )
        else:
            warnings.append(_("BACKUP_ENCRYPTION_KEY is not set: backups are stored unencrypted"))
    if not settings.database_backup_enabled:
        warnings.append(_("DATABASE_BACKUP_ENABLED is off: no scheduled backups"))
    if settings.is_production and settings.openapi_docs:
        warnings.append(_("OPENAPI_DOCS is on in production: the API description is public"))
    return warnings


def check_files(config_dir: Path, result: CheckResult) -> None:
    """Validate each YAML file on its own, then all of them together."""
    for config_type in CONFIG_TYPES:
        name = config_filename(config_type)
        try:
            text = (config_dir / name).read_text(encoding="utf-8")
            _config, warnings = validate_config(config_type, text)
        except OSError as exc:
            result.files[name] = "error"
            unreadable = {"file": name, "path": config_dir / name, "reason": exc.strerror}
            result.errors.append(_("%(file)s: cannot read %(path)s: %(reason)s") % unreadable)
            continue
        except ConfigError as exc:
            result.files[name] = "error"
            result.errors.append(str(exc))
            continue
        result.files[name] = "ok"
        result.warnings += [f"{name}: {w}" for w in warnings]
    if all(status == "ok" for status in result.files.values()):
        try:
            load_active_config(config_dir)
        except ConfigError as exc:
            result.errors.append(str(exc))


def check_mode(settings: Settings, result: CheckResult) -> None:
    """Production without login starts, but the check says so first and loudly."""
    try:
        config = load_active_config(settings.config_dir, config_env(settings))
    except ConfigError:
        return  # reported by check_files
    warning = mode_warning(settings, config)
    if warning:
        result.warnings.insert(0, warning)


def load_for_check() -> tuple[Settings | None, str | None]:
    """Settings from the environment without production's refusal (we report it instead)."""
    try:
        return Settings(), None
    except (ValidationError, ValueError):
        try:
            load_settings()  # the same failure, worded per variable
        except SettingsError as exc:
            return None, str(exc)
        raise


def render_text(result: CheckResult) -> str:
    lines = ["Settings (value, where it comes from):"]
    width = max((len(n) for n in result.settings), default=10)
    for name, entry in result.settings.items():
        lines.append(f"  {name:<{width}}  {entry['value']}  [{entry['source']}]")
    lines.append("Configuration files:")
    lines += [f"  {status:<5}  {name}" for name, status in result.files.items()]
    lines += ["Warnings:", *(f"  - {w}" for w in result.warnings)] if result.warnings else []
    lines += ["Errors:", *(f"  - {e}" for e in result.errors)] if result.errors else []
    lines.append("Configuration is " + ("invalid." if result.errors else "valid."))
    return "\n".join(lines)


def run_check(as_json: bool = False) -> tuple[int, str]:
    """The whole check: (exit code, output). 2 = settings unusable, 1 = invalid, 0 = valid."""
    settings, failure = load_for_check()
    if settings is None:
        return 2, str(failure)
    result = CheckResult()
    check_settings(settings, result)
    check_files(settings.config_dir, result)
    check_mode(settings, result)
    output = json.dumps(result.as_dict(), indent=2) if as_json else render_text(result)
    return result.exit_code, scrub(output, result.secrets)
