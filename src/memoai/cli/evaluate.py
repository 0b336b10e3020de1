"""`memoai evaluate`: the same flow as the API, printed for a terminal."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from fastapi import FastAPI

from memoai.api import AppError, envelope
from memoai.app import start, stop
from memoai.evaluations import service
from memoai.evaluations.schemas import EvaluationCreate
from memoai.sessions.caller import Caller
from memoai.sessions.service import create_session
from memoai.settings import Settings

WIDTH = 88


async def evaluate_text(
    settings: Settings, text: str, title: str | None, *, fresh: bool, as_json: bool
) -> tuple[int, str]:
    """Evaluate text in a fresh CLI session; returns (exit code, what to print)."""
    app = FastAPI()
    await start(app, settings)
    try:
        flow = app.state.flow
        async with app.state.db.sessions() as db:
            session, _ = await create_session(db, settings.session_timeout, user_agent="memoai-cli")
        caller = Caller(session_id=session.id)
        try:
            payload = EvaluationCreate(text_content=text, title=title, fresh=fresh)
            evaluation, reused = await flow.submit(caller, payload)
            if not reused:
                evaluation = await flow.run(evaluation)
        except AppError as exc:
            if as_json:
                return 1, json.dumps(envelope(None, [exc.as_error()]), indent=2)
            return 1, f"error {exc.code}: {exc.message}"
        out = service.to_out(evaluation, reused=reused).model_dump(mode="json")
    finally:
        await stop(app)
    code = 0 if out["status"] == "completed" else 1
    if as_json:
        return code, json.dumps(envelope(out), indent=2, ensure_ascii=False)
    return code, render_text(out)


def render_text(out: dict[str, Any]) -> str:
    """A readable evaluation for a terminal."""
    prov = out["provenance"]
    lines = [f"Memo AI Coach — {out.get('title') or 'untitled memo'}", "=" * WIDTH]
    if out["status"] != "completed":
        err = out.get("error") or {}
        return "\n".join([*lines, f"FAILED ({err.get('code')}): {err.get('message')}"])
    scale = out["scale"]
    lines.append(f"Overall: {out['overall_score']} / {scale['max']}   ({prov['label']})")
    lines += ["", "Strengths:"] + [_bullet(s) for s in out["strengths"]]
    lines += ["", "Opportunities:"] + [_bullet(s) for s in out["opportunities"]]
    lines += ["", "Rubric:"]
    width = max((len(s["name"]) for s in out["rubric_scores"]), default=0)
    for score in out["rubric_scores"]:
        value = score["score"] if score.get("score") is not None else "n/a"
        lines.append(f"  {score['name']:<{width}} {value:>3}  (weight {score['weight']:g})")
        lines.append(textwrap.indent(textwrap.fill(score["justification"], WIDTH - 6), "      "))
    if out["segment_feedback"]:
        lines += ["", "Comments on your text:"]
        for seg in out["segment_feedback"]:
            lines.append(_bullet(f"“{_clip(seg['segment'])}” — {seg['comment']}"))
            lines += [f"      ? {q}" for q in seg.get("questions", [])]
    m = out.get("metrics") or {}
    if m:
        lines += [
            "",
            f"Metrics: {m.get('words')} words, {m.get('sentences')} sentences, "
            f"grade {m.get('readability_grade')}, passive {m.get('passive_share')}, "
            f"figures {m.get('numbers_count')}, headers {m.get('has_headers')}, "
            f"explicit ask {m.get('has_explicit_ask')}",
        ]
    cost = f", ${prov['cost_usd']:.4f}" if prov.get("cost_usd") else ""
    lines.append(
        f"Provenance: {prov['label']}, rubric {prov['rubric_version']}, "
        f"{prov['prompt_tokens']}+{prov['completion_tokens']} tokens{cost}, {prov['latency_ms']} ms"
    )
    return "\n".join(lines)


def _bullet(text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent="  • ", subsequent_indent="    ")


def _clip(text: str, length: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
