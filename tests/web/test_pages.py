"""The web app's routes on a real API in-process: sessions, streaming, errors, headers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from memoai.db import utcnow
from memoai.evaluations import service
from memoai.evaluations.schemas import EvaluationCreate
from memoai.ops.http import CSP
from memoai.sessions.caller import Caller
from memoai.web.pages import create_web_app
from tests.web.conftest import Site, site_settings
from tests.web.dom import parse
from tests.web.samples import XSS_MEMO, XSS_TITLE

MEMO = (
    "To: Leadership Team\nFrom: Ann Lee\nSubject: Scheduling pilot\n\n"
    "We request $250,000 to fund a patient scheduling pilot. It was decided that the current "
    "system is inefficient. The pilot will reduce no-shows by 20% according to our 2024 data. "
    "Please approve by 30 June."
)


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of a /ui stream."""
    found = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


async def submit(site: Site, text: str = MEMO, title: str = "Pilot") -> dict[str, Any]:
    response = await site.evaluate(text, title)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    kind, done = events(response)[-1]
    assert kind == "done", events(response)
    return done


async def test_first_visit_starts_a_session_and_sends_security_headers(site: Site) -> None:
    response = await site.open()
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("memoai_session=") and "HttpOnly" in c for c in cookies)
    assert any(c.startswith("memoai_csrf=") for c in cookies)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    root = parse(response.text)
    assert [t.attrs["data-tab"] for t in root.select(role="tab")] == [
        "write",
        "overall",
        "detailed",
        "progress",
        "chat",
        "memos",
        "help",
    ]  # debug mode is off and there are no admins
    # Only the active tab (and Write) is rendered; Help is filled when first shown.
    assert root.select(data_tab_src="/ui/tabs/help")
    help_tab = await site.browser.get("/ui/tabs/help")
    assert "Purpose and explicit ask" in help_tab.text
    token = site.browser.cookies.get("memoai_session")
    again = await site.open()  # the same session; its cookie outlives the sliding expiry
    renewed = [c for c in again.headers.get_list("set-cookie") if c.startswith("memoai_session=")]
    assert renewed and renewed[0].startswith(f"memoai_session={token};")
    max_age = int(renewed[0].split("Max-Age=")[1].split(";")[0])
    assert max_age >= site.settings.session_timeout


async def test_submit_streams_progress_then_the_result_shows_everywhere(site: Site) -> None:
    await site.open()
    response = await site.evaluate(XSS_MEMO + " " + MEMO, XSS_TITLE)
    stream = events(response)
    kinds = [kind for kind, _ in stream]
    assert kinds[0] == "progress" and kinds[-1] == "done"
    assert "saved" in stream[0][1]["status"]
    partial = [data for kind, data in stream if "criteria so far" in data.get("status", "")]
    assert partial and "Scored 6 of 6" in partial[-1]["status"]
    assert "stage-current" in partial[0]["html"]
    done = stream[-1][1]
    assert done["status"] == "completed" and done["message"].startswith("Feedback ready")

    panels = await site.browser.get(f"/ui/evaluations/{done['evaluation_id']}/panels")
    assert panels.status_code == 200
    root = parse(panels.text)
    assert root.select("p", "eval-title")[0].text == XSS_TITLE
    assert "<script>alert" not in panels.text
    assert root.by_id("revision-field").select("option")[1].attrs["value"] == done["evaluation_id"]

    page = parse((await site.open("/?tab=overall")).text)  # a reload shows the latest
    assert not page.by_id("panel-overall").has("hidden")
    assert page.by_id("panel-write").has("hidden")
    assert XSS_TITLE in page.by_id("panel-overall").text
    assert page.select(data_tab_src="/ui/tabs/detailed")  # filled when first shown
    detailed = await site.browser.get("/ui/tabs/detailed")
    assert "offline analysis" in detailed.text and "<script>alert" not in detailed.text


async def test_an_identical_memo_gets_its_earlier_feedback_and_can_be_evaluated_afresh(
    site: Site,
) -> None:
    await site.open()
    first = await submit(site)
    again = await submit(site)
    assert (again["evaluation_id"], again["reused"]) == (first["evaluation_id"], True)
    panels = await site.browser.get(f"/ui/evaluations/{first['evaluation_id']}/panels?reused=1")
    assert "evaluated before" in panels.text and "data-fresh" in panels.text
    fresh = await site.evaluate(MEMO, "Pilot", fresh=True)
    done = events(fresh)[-1][1]
    assert done["reused"] is False and done["evaluation_id"] != first["evaluation_id"]


async def test_invalid_memos_are_refused_with_their_codes(site: Site) -> None:
    await site.open()
    empty = await site.evaluate("   ")
    assert empty.status_code == 422
    assert empty.json()["errors"][0] | {"message": ""} == {
        "code": "TEXT_EMPTY",
        "field": "text_content",
        "message": "",
        "details": {},
    }
    long = await site.evaluate("x" * (site.settings.memo_max_chars + 1))
    assert long.json()["errors"][0]["code"] == "TEXT_TOO_LONG"
    bad_revision = await site.evaluate(MEMO, revision_of="not-an-id")
    assert bad_revision.json()["errors"][0]["field"] == "revision_of"
    headers = {"X-CSRF-Token": site.csrf(), "content-type": "application/json"}
    broken = await site.browser.post("/ui/evaluate", content=b"{nope", headers=headers)
    assert broken.status_code == 400 and broken.json()["errors"][0]["code"] == "INVALID_JSON"
    huge = await site.browser.post(
        "/ui/evaluate", content=b"x" * (site.settings.max_body_bytes + 1), headers=headers
    )
    assert huge.status_code == 413


async def test_a_stale_csrf_token_is_refused_and_the_page_may_send_again(site: Site) -> None:
    await site.open()
    refused = await site.browser.post("/ui/evaluate", json={"text_content": MEMO})
    assert refused.status_code == 403
    assert refused.json() == {"errors": [refused.json()["errors"][0]], "retry": True}
    assert refused.json()["errors"][0]["code"] == "CSRF_FAILED"
    assert (await site.evaluate(MEMO)).status_code == 200


async def test_an_expired_session_is_replaced(site: Site) -> None:
    site.browser.cookies.set("memoai_session", "forged-or-expired", domain="testserver.local")
    site.browser.cookies.set("memoai_csrf", "abc", domain="testserver.local")
    refused = await site.evaluate(MEMO)
    assert refused.status_code == 401 and refused.json()["retry"] is True
    assert "memoai_session=" in refused.headers.get("set-cookie", "")
    assert (await site.evaluate(MEMO)).status_code == 200
    assert (await site.open()).status_code == 200


async def test_someone_elses_evaluation_is_not_found(site: Site) -> None:
    await site.open()
    missing = await site.browser.get(f"/ui/evaluations/{uuid.uuid4()}/panels")
    assert missing.status_code == 404 and "not found" in missing.text
    assert (await site.browser.get("/ui/evaluations/not-a-uuid/panels")).status_code == 404


async def test_a_failed_evaluation_can_be_retried_from_the_page(site: Site) -> None:
    await site.open()
    token = site.browser.cookies.get("memoai_session")
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.api), base_url="http://api")
    session = await api.get("/api/v1/sessions/current", headers={"x-session-token": token})
    caller = Caller(session_id=uuid.UUID(session.json()["data"]["session_id"]))
    pending, _ = await site.api.state.flow.submit(caller, EvaluationCreate(text_content=MEMO))
    async with site.api.state.db.sessions() as db:  # as if the server had crashed mid-way
        assert await service.recover_interrupted(db, utcnow()) == 1
    await api.aclose()

    page = parse((await site.open("/?tab=overall")).text)
    retry = page.by_id("panel-overall").select("button", data_retry=str(pending.id))
    assert retry and "EVALUATION_INTERRUPTED" in page.by_id("panel-overall").text
    response = await site.browser.post(
        f"/ui/evaluations/{pending.id}/retry", headers={"X-CSRF-Token": site.csrf()}
    )
    kind, done = events(response)[-1]
    assert (kind, done["status"], done["evaluation_id"]) == ("done", "completed", str(pending.id))


async def test_tab_fragments_render_alone(site: Site) -> None:
    await site.open()
    help_tab = await site.browser.get("/ui/tabs/help")
    assert help_tab.status_code == 200 and "<html" not in help_tab.text
    assert "Pyramid Principle" in help_tab.text
    await submit(site, title="Fragment memo")
    overall = await site.browser.get("/ui/tabs/overall")
    assert "Fragment memo" in overall.text
    assert (await site.browser.get("/ui/tabs/nothing")).status_code == 404


async def test_static_files_are_versioned_and_cached(site: Site) -> None:
    page = parse((await site.open()).text)
    css = page.select("link", rel="stylesheet")[0].attrs["href"] or ""
    assert css.startswith("/static/app.css?v=")
    response = await site.browser.get(css)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-security-policy"] == CSP
    htmx = await site.browser.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200 and "max-age=3600" in htmx.headers["cache-control"]
    assert (await site.browser.get("/static/nothing.js")).status_code == 404


async def test_unknown_pages_are_friendly_html(site: Site) -> None:
    response = await site.browser.get("/nowhere")
    assert response.status_code == 404 and "Page not found" in response.text
    assert response.headers["content-type"].startswith("text/html")


async def test_an_unreachable_backend_gets_a_friendly_answer(tmp_path: Path) -> None:
    settings = site_settings(tmp_path, backend_url="http://127.0.0.1:9")
    web = create_web_app(settings)
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://t")
    page = await browser.get("/")
    assert page.status_code == 503 and "not reachable" in page.text
    assert (await browser.get("/health")).json()["data"] == {"status": "ok"}  # alive anyway
    post = await browser.post("/ui/evaluate", json={"text_content": MEMO})
    assert post.status_code == 503 and post.json()["errors"][0]["code"] == "BACKEND_UNAVAILABLE"
    await browser.aclose()
    await web.state.web.api.aclose()


async def test_config_endpoints_are_public(site: Site) -> None:
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.api), base_url="http://api")
    rubric = (await api.get("/api/v1/config/rubric")).json()["data"]
    assert rubric["criteria"][0]["guidance"]["1"] and rubric["config_version"]
    frameworks = (await api.get("/api/v1/config/frameworks")).json()["data"]
    assert any(f["id"] == "pyramid_principle" for f in frameworks["frameworks"])
    client = (await api.get("/api/v1/config/client")).json()["data"]
    assert client["memo_max_chars"] == site.settings.memo_max_chars
    assert client["provider_label"] == "offline analysis" and client["debug_mode"] is False
    await api.aclose()
