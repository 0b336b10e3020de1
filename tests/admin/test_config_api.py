"""The configuration administration API: read, edit, refuse bad edits, history, preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from memoai.auth.models import AuditEvent
from memoai.configs.validate import MAX_ALIASES
from tests.admin.accounts import Admin, error
from tests.auth.support import bearer

BASE = "/api/v1/admin/config"
MEMO = (
    "To: Leadership team\nSubject: Funding a discharge coordinator\n\n"
    "I request $80,000 to hire a discharge coordinator for the medical ward. Delayed "
    "discharges cost us 310 bed-days last quarter. A coordinator would cut that by a third, "
    "saving about $120,000 a year. I will report the bed-days each month. Please approve by "
    "Friday so the post can be advertised."
)
NEW_CRITERION = """\
  - id: brevity
    name: Brevity
    description: Says it in as few words as the reader needs.
    weight: 10
    guidance:
      1: Rambling.
      2: Long-winded.
      3: Acceptable.
      4: Tight.
      5: Every word counts.
"""


async def text_of(admin: Admin, config_type: str) -> str:
    data = await admin.ok("GET", f"{BASE}/{config_type}")
    content: str = data["content"]
    return content


async def refused(admin: Admin, config_type: str, content: str) -> dict[str, Any]:
    """The error of an edit that must be refused, after checking nothing was stored."""
    before = await admin.ok("GET", f"{BASE}/{config_type}/versions")
    response = await admin.call("PUT", f"{BASE}/{config_type}", json={"content": content})
    assert response.status_code == 422, response.text
    found = error(response)
    assert found["code"] == "CONFIG_INVALID"
    assert found["message"].endswith("nothing was saved; fix it and save again.")
    assert await admin.ok("GET", f"{BASE}/{config_type}/versions") == before
    return found


async def test_the_list_shows_every_type_with_its_version_and_validity(
    admin: Admin, config_dir: Path
) -> None:
    data = await admin.ok("GET", BASE)
    assert [item["type"] for item in data["items"]] == [
        "rubric", "frameworks", "context", "prompt", "llm", "auth",
    ]  # fmt: skip
    assert all(i["version"] == 1 and i["source"] == "file" and i["valid"] for i in data["items"])
    assert data["writable"] is True

    (config_dir / "frameworks.yaml").write_text("frameworks: [unclosed\n")
    await admin.auth.app.state.configs.reload()
    item = (await admin.ok("GET", BASE))["items"][1]
    assert item["valid"] is False and item["version"] == 1
    [problem] = item["problems"]
    assert problem["file"] == "frameworks.yaml" and problem["line"] == 2
    assert problem["message"]
    ready = await admin.auth.client.get("/health/ready")  # advisory: still ready
    assert ready.status_code == 200, ready.text
    configuration = ready.json()["data"]["checks"]["configuration"]
    assert configuration["ok"] is False
    assert configuration["problems"][0].startswith("frameworks.yaml line 2")


async def test_one_type_shows_text_with_variables_and_effective_values(admin: Admin) -> None:
    data = await admin.ok("GET", f"{BASE}/context")
    assert "${MEMOAI_ORGANISATION:-Northbridge Health}" in data["content"]
    assert data["effective"]["organisation"] == "Northbridge Health"
    assert (data["type"], data["version"], data["author"], data["writable"]) == (
        "context", 1, "file", True,
    )  # fmt: skip
    auth = await admin.ok("GET", f"{BASE}/auth")
    assert auth["effective"]["authentication"]["jwt"]["secret_key"] in ("(set)", "(unset)")


async def test_an_edit_becomes_the_active_version_and_lands_in_file_and_audit_log(
    admin: Admin, config_dir: Path
) -> None:
    text = (await text_of(admin, "rubric")).replace("criteria:\n", "criteria:\n" + NEW_CRITERION, 1)
    saved = await admin.ok(
        "PUT", f"{BASE}/rubric", json={"content": text, "comment": "brevity", "base_version": 1}
    )
    assert (saved["version"], saved["source"], saved["author"]) == (2, "admin", "root")
    assert saved["comment"] == "brevity"
    assert any("summed to 110" in w for w in saved["warnings"])  # normalised, text kept
    assert saved["content"] == text
    assert (config_dir / "rubric.yaml").read_text(encoding="utf-8") == text
    rubric = (await admin.ok("GET", "/api/v1/config/rubric"))["criteria"]
    assert "brevity" in [c["id"] for c in rubric]

    again = await admin.ok("PUT", f"{BASE}/rubric", json={"content": text})
    assert again["version"] == 2  # identical content: no new version
    stale = await admin.call(
        "PUT", f"{BASE}/rubric", json={"content": text + "\n# later\n", "base_version": 1}
    )
    assert (stale.status_code, error(stale)["code"]) == (409, "CONFLICT")

    async with admin.auth.app.state.db.sessions() as db:
        rows = await db.execute(select(AuditEvent).where(AuditEvent.event == "config_changed"))
        [row] = rows.scalars().all()
    assert row.details == {"config_type": "rubric", "version": 2}
    assert str(row.actor_id) == admin.id


@pytest.mark.parametrize(
    ("config_type", "breaks", "line", "says"),
    [
        ("rubric", lambda t: t.replace("criteria:\n", "criteria: [\n", 1), None, "expected"),
        ("rubric", lambda t: t.replace("    weight: 10", "    weight: heavy", 1), 85, "number"),
        ("rubric", lambda t: t.replace("criteria:\n", "criteria:\n" + NEW_CRITERION * 2, 1),
         None, "unique"),
        ("rubric", lambda t: t.replace("  max: 5", "  max: 1", 1), None, "below max"),
        ("rubric", lambda t: t.replace("      5:", "      50:", 1), None, "guidance"),
        ("rubric", lambda t: "name: Nothing to judge\ncriteria: []\n", None, "at least one"),
        ("prompt", lambda t: t.replace("{{ memo }}", "the memo"), None, "{{ memo }}"),
        ("context", lambda t: t + "audiance: typo\n", None, "Extra inputs"),
    ],
)  # fmt: skip
async def test_every_kind_of_bad_edit_is_refused_with_where_and_why(
    admin: Admin, config_type: str, breaks: Any, line: int | None, says: str
) -> None:
    found = await refused(admin, config_type, breaks(await text_of(admin, config_type)))
    details = found["details"]
    assert says in details["problem"] and says in found["message"]
    assert set(details) >= {"line", "column", "problem"}
    if line is not None:
        assert details["line"] == line
    if config_type == "rubric" and says != "at least one":
        assert details["line"] is not None


async def test_a_huge_text_and_an_alias_bomb_are_refused(admin: Admin) -> None:
    huge = await refused(admin, "context", "template: |\n" + "  words words words\n" * 8000)
    assert "KiB" in huge["message"]
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n"
        for i in range(MAX_ALIASES)
    )
    found = await refused(admin, "context", bomb)
    assert "aliases" in found["message"] and found["details"]["line"] is not None


async def test_versions_diff_and_rollback(admin: Admin, config_dir: Path) -> None:
    original = await text_of(admin, "context")
    edited = original.replace("Northbridge Health", "Southbridge Care")
    await admin.ok("PUT", f"{BASE}/context", json={"content": edited})
    page = await admin.ok("GET", f"{BASE}/context/versions", params={"limit": 1})
    assert page["total"] == 2 and [v["version"] for v in page["items"]] == [2]
    assert len(page["items"][0]["hash"]) == 64
    first = await admin.ok("GET", f"{BASE}/context/versions/1")
    assert first["content"] == original and first["effective"]["organisation"]

    diff = await admin.ok(
        "GET", f"{BASE}/context/diff", params={"from_version": 1, "to_version": 2}
    )
    assert {"op": "-", "text": "organisation: ${MEMOAI_ORGANISATION:-Northbridge Health}"} in (
        diff["lines"]
    )
    assert "+organisation: ${MEMOAI_ORGANISATION:-Southbridge Care}" in diff["unified"]

    back = await admin.ok("POST", f"{BASE}/context/rollback", json={"version": 1})
    assert back["version"] == 3 and back["content"] == original
    assert (config_dir / "context.yaml").read_text(encoding="utf-8") == original
    assert (await admin.ok("GET", "/api/v1/config/client"))["config_version"]
    missing = await admin.call("POST", f"{BASE}/context/rollback", json={"version": 9})
    assert (missing.status_code, error(missing)["code"]) == (404, "NOT_FOUND")
    unknown = await admin.call("GET", f"{BASE}/secrets")
    assert unknown.status_code == 422


async def test_a_preview_evaluates_with_the_draft_and_stores_nothing(admin: Admin) -> None:
    text = (await text_of(admin, "rubric")).replace("criteria:\n", "criteria:\n" + NEW_CRITERION, 1)
    data = await admin.ok(
        "POST", f"{BASE}/rubric/preview", json={"content": text, "text_content": MEMO}
    )
    assert data["provider"] == "offline"
    ids = [c["id"] for c in data["evaluation"]["criteria"]]
    assert "brevity" in ids
    assert (await admin.ok("GET", f"{BASE}/rubric"))["version"] == 1
    bad = await admin.call(
        "POST", f"{BASE}/rubric/preview", json={"content": "criteria: []\n", "text_content": MEMO}
    )
    assert (bad.status_code, error(bad)["code"]) == (422, "CONFIG_INVALID")


async def test_the_authentication_switch(admin: Admin) -> None:
    data = await admin.ok("GET", "/api/v1/admin/auth/config")
    assert data["enabled"] is True and data["version"]["type"] == "auth"
    off = data["version"]["content"].replace("enabled: ${AUTH_ENABLED}", "enabled: false")
    switched = await admin.ok("PUT", "/api/v1/admin/auth/config", json={"content": off})
    assert switched["enabled"] is False and switched["version"]["version"] == 2
    started = await admin.auth.client.post("/api/v1/sessions")  # anonymous sessions again
    assert started.status_code == 201, started.text


async def test_only_administrators(admin: Admin) -> None:
    _, token = await admin.user("ursula")
    for method, path in (("GET", BASE), ("PUT", f"{BASE}/rubric"), ("GET", f"{BASE}/rubric")):
        as_user = await admin.call(method, path, headers=bearer(token), json={"content": "x"})
        assert (as_user.status_code, error(as_user)["code"]) == (403, "FORBIDDEN"), path
        nobody = await admin.call(method, path, headers={"X-Nobody": "1"}, json={"content": "x"})
        assert nobody.status_code == 401, path
