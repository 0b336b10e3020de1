"""What every command shares: settings, or a clean exit naming the bad variable."""

from __future__ import annotations

from typing import Any

import typer

from memoai.settings import Settings, SettingsError, load_settings


def settings_or_exit(**overrides: Any) -> Settings:
    """Settings from the environment; an invalid value ends the command naming the variable."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
