"""create_app(settings): the JSON API with its middleware, error handlers and lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from memoai import errors, migrations
from memoai.admin.audit_router import router as admin_audit_router
from memoai.admin.cohort_router import router as admin_cohort_router
from memoai.admin.config_router import router as admin_config_router
from memoai.admin.debug_router import router as debug_router
from memoai.admin.sessions_router import router as admin_sessions_router
from memoai.admin.status_router import router as admin_status_router
from memoai.admin.users_router import router as admin_users_router
from memoai.auth.mode import config_env
from memoai.auth.router import router as auth_router
from memoai.auth.runtime import start_auth, stop_auth
from memoai.chat import service as chat_service
from memoai.chat.router import router as chat_router
from memoai.configs.loader import ConfigRegistry
from memoai.configs.router import router as configs_router
from memoai.db import Database, is_sqlite, utcnow
from memoai.debugging.redact import remember_secrets
from memoai.debugging.switch import DebugSwitch
from memoai.deps import PUBLIC
from memoai.evaluations import service as evaluations_service
from memoai.evaluations.comments_router import router as comments_router
from memoai.evaluations.flow import EvaluationFlow
from memoai.evaluations.router import router as evaluations_router
from memoai.export.router import router as export_router
from memoai.feedback import described
from memoai.llm.registry import make_provider
from memoai.memos.router import router as memos_router
from memoai.ops.health import router as health_router
from memoai.ops.http import BodyLimitMiddleware, RequestContextMiddleware
from memoai.ops.ratelimit import install_rate_limits
from memoai.progress.router import router as progress_router
from memoai.runtime import Runtime
from memoai.sessions.router import router as sessions_router
from memoai.settings import Settings, get_settings
from memoai.translations import LanguageMiddleware

log = logging.getLogger("memoai")
DRAIN_SECONDS = 30.0


def max_run_seconds(settings: Settings) -> float:
    """The longest an evaluation can legitimately run (all attempts and back-offs)."""
    attempts = settings.llm_max_retries + 2  # retries plus the repair call
    return attempts * (settings.llm_timeout_seconds + settings.llm_retry_max_delay) + 30


async def start(app: FastAPI, settings: Settings) -> None:
    """Open the database, migrate, load configuration, pick the provider, recover crashes."""
    remember_secrets(settings)  # masked in logs, debug data and error messages from now on
    db = Database(settings.db_url, settings.database_pool_size)
    if settings.run_migrations_on_start:
        await migrations.upgrade(db.engine)
    configs = ConfigRegistry(settings.config_dir, config_env(settings), db)
    await configs.start()
    provider = make_provider(settings)
    runtime = Runtime(debug_mode=bool(settings.debug_mode))
    app.state.settings = settings
    app.state.db = db
    app.state.configs = configs
    app.state.runtime = runtime
    app.state.debug = DebugSwitch(db, runtime, default=bool(settings.debug_mode))
    await app.state.debug.start()
    app.state.auth = await start_auth(settings, db, configs)
    app.state.flow = EvaluationFlow(db, settings, configs, provider, runtime, describe=described)
    # One process owns an SQLite file, so whatever it left running died with it; with a shared
    # server database other replicas may still be working, so only long-dead runs are failed.
    grace = (
        timedelta(0) if is_sqlite(settings.db_url) else timedelta(seconds=max_run_seconds(settings))
    )
    async with db.sessions() as session:
        recovered = await evaluations_service.recover_interrupted(session, utcnow() - grace)
        replies = await chat_service.recover_interrupted(session, utcnow() - grace)
    if recovered:
        log.warning("interrupted evaluations marked failed", extra={"count": recovered})
    if replies:
        log.warning("interrupted chat replies marked failed", extra={"count": replies})
    if provider.name == "offline":
        log.warning("no LLM key configured: using the offline analysis (rule-based, no AI model)")
    log.info(
        "memoai API ready",
        extra={"env": settings.app_env, "provider": provider.name, "model": provider.model},
    )


async def stop(app: FastAPI) -> None:
    await app.state.runtime.drain(DRAIN_SECONDS)
    await app.state.debug.stop()
    await stop_auth(app.state.auth)
    await app.state.configs.stop()
    await app.state.db.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API application; `memoai serve` mounts the web interface beside it."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start(app, settings)
        yield
        await stop(app)

    docs = bool(settings.openapi_docs)
    app = FastAPI(
        title="Memo AI Coach API",
        version="1.0",
        description="Coaching feedback on business memos against your organisation's rubric. "
        "Every response uses the envelope {data, meta, errors}.",
        lifespan=lifespan,
        docs_url="/api/docs" if docs else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if docs else None,
    )
    errors.install(app)
    install_rate_limits(app, settings)  # inside the request context: 429s get request ids
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        RequestContextMiddleware,
        hsts=bool(settings.https_only),
        trusted_proxies=settings.forwarded_allow_ips,
    )
    app.add_middleware(LanguageMiddleware)  # outermost: every answer in the reader's language
    app.include_router(health_router)
    app.include_router(sessions_router)
    app.include_router(auth_router)
    app.include_router(evaluations_router)
    app.include_router(comments_router)
    app.include_router(chat_router)
    app.include_router(configs_router)
    app.include_router(progress_router)
    app.include_router(export_router)
    app.include_router(memos_router)
    app.include_router(admin_users_router)
    app.include_router(admin_sessions_router)
    app.include_router(admin_audit_router)
    app.include_router(admin_config_router)
    app.include_router(debug_router)
    app.include_router(admin_status_router)
    app.include_router(admin_cohort_router)
    if docs:

        @app.get("/", include_in_schema=False, dependencies=PUBLIC)
        async def root() -> RedirectResponse:
            return RedirectResponse("/api/docs")

    return app
