"""Every route declares who may call it and what it answers (issue 9: typed and declared)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from memoai.api import Envelope
from memoai.app import create_app
from memoai.deps import POLICIES, PUBLIC, UserDep
from memoai.server import create_combined_app
from memoai.settings import load_settings

JSON = "application/json"


def calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    """Every dependency callable in a route's tree, the route's own `dependencies=` included."""
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from calls(sub)


def policies(route: APIRoute) -> list[str]:
    return [POLICIES[call] for call in calls(route.dependant) if call in POLICIES]


def success_media(route: APIRoute) -> list[str]:
    """The non-JSON media types a route declares for its success statuses."""
    declared = [
        media
        for status, item in route.responses.items()
        if str(status).startswith("2")
        for media in item.get("content", {})
        if media != JSON
    ]
    return declared


def api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    """Every APIRoute, those of included routers too (FastAPI keeps included routers lazily)."""
    found = (context.original_route for context in iter_route_contexts(routes))
    return [r for r in found if isinstance(r, APIRoute)]


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[BaseRoute]]:
    """The API app of `memoai api` and the one-process app of `memoai serve`."""
    tmp: Path = tmp_path_factory.mktemp("contract")
    settings = load_settings(
        database_url=f"sqlite:///{tmp / 'memoai.db'}", data_dir=tmp, openapi_docs=True
    )
    combined = create_combined_app(settings)
    return {
        "api": create_app(settings).routes,
        "serve (API)": combined.api.routes,
        "serve (web)": combined.web.routes,
    }


def test_every_route_declares_a_policy(apps: dict[str, list[BaseRoute]]) -> None:
    """One policy per route (a user policy resolves the caller first); public is never mixed."""
    problems = []
    for name, routes in apps.items():
        for route in api_routes(routes):
            found = policies(route)
            if not found or ("public" in found and len(set(found)) > 1):
                what = f"{sorted(route.methods)} {route.path} in {name}"
                problems.append(f"{what}: policies {found or 'none'}")
    assert not problems, "routes need one of PUBLIC, CallerDep, UserDep, AdminDep:\n" + "\n".join(
        problems
    )


def test_every_documented_route_declares_its_answer(apps: dict[str, list[BaseRoute]]) -> None:
    problems = []
    for name, routes in apps.items():
        for route in api_routes(routes):
            if not route.include_in_schema:
                continue
            model = route.response_model
            typed = isinstance(model, type) and issubclass(model, Envelope)
            if not typed and not success_media(route):
                what = f"{sorted(route.methods)} {route.path} in {name}"
                problems.append(f"{what}: response_model {model!r} and no declared media type")
    assert not problems, "declare response_model=Envelope[...] or media(...):\n" + "\n".join(
        problems
    )


def test_every_route_declares_its_error_statuses(apps: dict[str, list[BaseRoute]]) -> None:
    """Routes with a caller can answer 401; those taking JSON 400, 413, 415 and 422."""
    problems = []
    for route in api_routes(apps["api"]):
        if not route.include_in_schema:
            continue
        declared = {int(s) for s in route.responses if str(s).isdigit()}
        needed: set[int] = set()
        if route.path.startswith("/api/"):
            needed |= {429}
        if set(policies(route)) - {"public"}:
            needed |= {401}
        if route.body_field is not None:
            needed |= {400, 413, 415, 422}
        if route.dependant.path_params or route.dependant.query_params:
            needed |= {422}
        if missing := needed - declared:
            problems.append(f"{sorted(route.methods)} {route.path}: {sorted(missing)} undeclared")
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_route_without_a_policy() -> None:
    """The walk finds a policy the route itself declares, and none where there is none."""
    app = FastAPI()

    @app.get("/bare")
    async def bare() -> None: ...

    @app.get("/public", dependencies=PUBLIC)
    async def public() -> None: ...

    @app.get("/user")
    async def user(caller: UserDep) -> None: ...

    found = {r.path: policies(r) for r in api_routes(app.routes)}
    assert len(api_routes(create_app(load_settings()).routes)) > 20  # included routers seen
    assert found == {"/bare": [], "/public": ["public"], "/user": ["user", "session"]}
