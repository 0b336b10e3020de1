"""The Chat tab's routes on a real API in-process: the conversation fragment, a streamed
answer relayed as rendered messages, markup shown as text, refusals as JSON."""

from __future__ import annotations

import httpx

from tests.chat.support import MEMO, SCRIPT
from tests.web.conftest import Site
from tests.web.dom import parse
from tests.web.test_pages import events

XSS = f"{SCRIPT}<img src=x onerror=alert(2)>"


async def evaluated(site: Site, text: str = MEMO) -> str:
    await site.open()
    response = await site.evaluate(text, "Intake pilot")
    kind, done = events(response)[-1]
    assert kind == "done" and done["status"] == "completed", response.text
    return str(done["evaluation_id"])


async def ask(site: Site, evaluation_id: str, text: str) -> httpx.Response:
    return await site.browser.post(
        f"/ui/chat/{evaluation_id}/messages",
        json={"message_content": text},
        headers={"X-CSRF-Token": site.csrf()},
    )


async def test_without_feedback_the_tab_points_to_the_write_tab(site: Site) -> None:
    page = parse((await site.open("/?tab=chat")).text)
    assert page.by_id("chat-body").attrs["data-chat-src"] == "/ui/chat"
    fragment = parse((await site.open("/ui/chat")).text)
    assert "No feedback yet" in fragment.text
    assert not fragment.select("form")


async def test_conversation_offers_the_weakest_criterion_and_the_opening(site: Site) -> None:
    evaluation_id = await evaluated(site)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=site.api),
        base_url="http://testserver",
        cookies=site.browser.cookies,
    ) as api:
        evaluation = (await api.get(f"/api/v1/evaluations/{evaluation_id}")).json()
    scores = [s for s in evaluation["data"]["rubric_scores"] if s["score"] is not None]
    weakest = min(scores, key=lambda s: s["score"])
    fragment = parse((await site.open("/ui/chat")).text)
    starters = [b.attrs["data-chat-ask"] for b in fragment.select("button", cls="chip")]
    assert starters == [
        f"Why did I get {weakest['score']} on {weakest['name']}?",
        "How do I rewrite my opening?",
    ]
    form = fragment.by_id("chat-form")
    assert form.attrs["data-evaluation"] == evaluation_id
    assert form.attrs["data-max-chars"] == "2000"
    assert fragment.select("label", **{"for": "chat-input"})
    assert fragment.by_id("chat-log").attrs["aria-live"] == "polite"
    assert "offline analysis" in fragment.text and "not from an AI model" in fragment.text


async def test_a_question_streams_back_as_escaped_messages_and_stays(site: Site) -> None:
    evaluation_id = await evaluated(site, f"{MEMO}\n{XSS}")
    response = await ask(site, evaluation_id, f"Is {XSS} hurting my opening?")
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = events(response)
    kinds = [kind for kind, _ in stream]
    assert kinds[0] == "question" and kinds[-1] == "done" and "delta" in kinds
    question_html = stream[0][1]["html"]
    assert SCRIPT not in question_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in question_html
    done = stream[-1][1]
    assert done["status"] == "completed" and done["message"] == "The coach answered."
    reply = parse(done["html"])
    assert "not an AI model" in reply.text and "offline analysis" in reply.text
    assert "".join(d["text"] for k, d in stream if k == "delta") in reply.text

    page = await site.open("/ui/chat")
    assert SCRIPT not in page.text and "<img src=x" not in page.text
    shown = parse(page.text).by_id("chat-messages").select("li", cls="chat-message")
    assert [str(m.attrs["class"]).split()[1] for m in shown] == ["chat-user", "chat-assistant"]
    assert f"Is {XSS} hurting my opening?" in shown[0].text


async def test_refusals_come_back_as_json_errors(site: Site) -> None:
    evaluation_id = await evaluated(site)
    too_long = await ask(site, evaluation_id, "x" * 2001)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["code"] == "TEXT_TOO_LONG"
    malformed = await site.browser.post(
        f"/ui/chat/{evaluation_id}/messages", content=b"[]", headers={"X-CSRF-Token": site.csrf()}
    )
    assert malformed.status_code == 400
    no_csrf = await site.browser.post(
        f"/ui/chat/{evaluation_id}/messages", json={"message_content": "Hi"}
    )
    assert no_csrf.status_code == 403 and no_csrf.json()["errors"][0]["code"] == "CSRF_FAILED"
    unknown = await ask(site, "00000000-0000-4000-8000-000000000000", "Hello?")
    assert unknown.status_code == 404
