"""Which mode is in force: anonymous sessions or login required.

`authentication.enabled` in auth.yaml decides, read from the active configuration on every
request, so a changed file (or, later, an admin's edit) takes effect in every replica without
a restart. `${AUTH_ENABLED}` in that file expands to the APP_ENV profile's default when the
variable is unset: production and staging require login unless an operator says otherwise.
"""

from __future__ import annotations

import os

from memoai.configs.schemas import ActiveConfig
from memoai.settings import Settings

AUTH_OFF_IN_PRODUCTION = (
    "AUTHENTICATION IS OFF IN PRODUCTION: anyone who can reach this server gets an anonymous "
    "session and can spend the model budget. Set AUTH_ENABLED=true (or authentication.enabled "
    "in auth.yaml) unless this is intended."
)


def config_env(settings: Settings) -> dict[str, str]:
    """The environment the YAML files expand against, with the profile's AUTH_ENABLED."""
    return {**os.environ, "AUTH_ENABLED": "true" if settings.auth_enabled else "false"}


def login_required(config: ActiveConfig) -> bool:
    """True when every caller but the public routes' must be signed in."""
    return config.auth.authentication.enabled


def mode_warning(settings: Settings, config: ActiveConfig) -> str | None:
    """The loud warning for production without login, else None."""
    if settings.is_production and not login_required(config):
        return AUTH_OFF_IN_PRODUCTION
    return None
