"""Helpers shared by test modules: settings for a test, an API client on an in-process app."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from memoai.app import create_app, start
from memoai.settings import Settings, load_settings


def make_settings(db_url: str, tmp_path: Path, config_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "config_dir": config_dir,
        "data_dir": tmp_path,
        "backup_dir": tmp_path / "backups",
        "llm_provider": "offline",
        "llm_retry_base_delay": 0.01,
        "llm_retry_max_delay": 0.05,
        "csrf_protection": False,
        "debug_mode": False,
    }
    values.update(overrides)
    return load_settings(**values)


class ApiClient(httpx.AsyncClient):
    """An httpx client on the in-process app that knows how to start a session."""

    async def start_session(self) -> dict[str, Any]:
        response = await self.post("/api/v1/sessions")
        assert response.status_code in (200, 201), response.text
        data: dict[str, Any] = response.json()["data"]
        return data


async def open_client(settings: Settings) -> tuple[Any, ApiClient]:
    app = create_app(settings)
    await start(app, settings)
    client = ApiClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return app, client


def stop_process(process: subprocess.Popen[Any], timeout: float = 10) -> None:
    """Ask a server process to stop; kill it if it does not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
