"""The evaluation pipeline: store the memo, call the model outside any transaction, store it.

Crosses domains (configuration, analysis, LLM providers, storage), so it lives here once
instead of in routers or the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import replace
from typing import Any

from memoai.analysis.metrics import compute_metrics
from memoai.api import AppError, ErrorCode
from memoai.configs.loader import ConfigRegistry
from memoai.configs.schemas import ActiveConfig, Rubric
from memoai.db import Database, Executor, utcnow
from memoai.deps import Caller
from memoai.evaluations import service
from memoai.evaluations.models import Evaluation, Status
from memoai.evaluations.schemas import EvaluationCreate
from memoai.llm.base import (
    EvaluationPrompt,
    LLMError,
    PartialCallback,
    Provider,
    ProviderResult,
    Usage,
)
from memoai.llm.output import OutputInvalid, ValidatedEvaluation, completed_items, validate_output
from memoai.llm.prompts import build_evaluation_prompt, build_repair_message
from memoai.llm.registry import estimate_cost
from memoai.ops import metrics as prom
from memoai.progress.summary import described
from memoai.runtime import Runtime
from memoai.settings import Settings
from memoai.streaming import Emit

log = logging.getLogger("memoai.evaluations")


async def _no_emit(event: str, data: dict[str, Any]) -> None:
    return None


class EvaluationFlow:
    """Submits, runs and retries evaluations; shared by the API and the CLI."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        configs: ConfigRegistry,
        provider: Provider,
        runtime: Runtime,
    ) -> None:
        self.db = db
        self.settings = settings
        self.configs = configs
        self.provider = provider
        self.runtime = runtime

    async def submit(self, caller: Caller, payload: EvaluationCreate) -> tuple[Evaluation, bool]:
        """Store the memo (or find an identical finished request); returns (evaluation, reused)."""
        service.check_request(payload, self.settings)
        config = self.configs.current()
        key = service.request_key(
            payload.text_content, config.version, self.provider.name, self.provider.model
        )
        async with self.db.engine.connect() as conn:
            revision_id = await service.resolve_revision(conn, caller, payload.revision_of)
            found = None if payload.fresh else await service.find_reusable(conn, caller, key)
            if found is None:
                await self._check_budget(conn, caller)
                evaluation = await service.create_pending(
                    conn,
                    caller,
                    payload,
                    revision_id=revision_id,
                    key=key,
                    scale=(config.rubric.scale.min, config.rubric.scale.max),
                    **self._provenance(config),
                )
                return evaluation, False
        async with self.db.sessions() as db:
            return await service.get(db, found), True

    def _provenance(self, config: ActiveConfig) -> dict[str, str]:
        """Who evaluates and against which configuration: stored with every run."""
        return {
            "provider": self.provider.name,
            "model": self.provider.model,
            "config_version": config.version,
            "rubric_version": config.rubric_version,
        }

    async def _check_budget(self, db: Executor, caller: Caller) -> None:
        budget = self.settings.llm_daily_budget_usd
        if budget is None or self.provider.name == "offline":
            return
        spent = await service.spent_today(db, caller)
        if spent >= budget:
            raise AppError(
                429,
                ErrorCode.BUDGET_EXCEEDED,
                f"Today's evaluation budget (${budget:.2f}) is spent. Try again tomorrow.",
                details={"spent_usd": round(spent, 4), "budget_usd": budget},
            )

    async def retry(self, caller: Caller, evaluation_id: uuid.UUID) -> Evaluation:
        """Put a failed evaluation back to running so the same text is evaluated again."""
        config = self.configs.current()
        async with self.db.sessions() as db:
            evaluation = await service.get_owned(db, caller, evaluation_id)
            if evaluation.status != Status.FAILED:
                raise AppError(
                    409,
                    ErrorCode.NOT_RETRYABLE,
                    f"Only a failed evaluation can be retried; this one is {evaluation.status}.",
                )
            await _apply(
                db,
                evaluation,
                status=Status.RUNNING,
                started_at=utcnow(),
                completed_at=None,
                error_code=None,
                error_message=None,
                **self._provenance(config),
                request_key=service.request_key(
                    evaluation.submission.text_content,
                    config.version,
                    self.provider.name,
                    self.provider.model,
                ),
            )
        return evaluation

    async def run(self, evaluation: Evaluation, emit: Emit = _no_emit) -> Evaluation:
        """Evaluate a stored, running submission; ends completed or failed, never lost.

        Takes the evaluation as `submit` or `retry` left it, so the only database work here is
        the final write: under load every statement saved is latency saved for everyone.
        """
        config = self.configs.current()
        memo, title = evaluation.submission.text_content, evaluation.submission.title
        await emit("started", {"evaluation_id": str(evaluation.id), "status": Status.RUNNING})
        started = time.perf_counter()
        try:
            values = await self._evaluate(config, memo, title, emit)
            status = Status.COMPLETED
        except LLMError as exc:
            values = self._failure(exc.code, exc.message, exc.raw_text, exc.usage, config)
            status = Status.FAILED
        except Exception:
            log.exception("evaluation crashed", extra={"evaluation_id": str(evaluation.id)})
            values = self._failure(
                ErrorCode.LLM_UNAVAILABLE,
                "Something went wrong while evaluating. Your memo is saved; retry in a moment.",
                "",
                Usage(),
                config,
            )
            status = Status.FAILED
        values["latency_ms"] = int((time.perf_counter() - started) * 1000)
        prom.observe_evaluation(self.provider.name, status, values["latency_ms"] / 1000)
        async with self.db.engine.connect() as conn:
            await _apply(conn, evaluation, status=status, completed_at=utcnow(), **values)
        if emit is not _no_emit:  # callers without a stream describe what they return
            out = await self.describe(evaluation)
            await emit("completed" if status == Status.COMPLETED else "failed", out)
        return evaluation

    async def describe(self, evaluation: Evaluation, *, reused: bool = False) -> dict[str, Any]:
        """The API view of an evaluation with its owner's progress summary."""
        async with self.db.engine.connect() as conn:
            return (await described(conn, evaluation, reused=reused)).model_dump(mode="json")

    async def _evaluate(
        self, config: ActiveConfig, memo: str, title: str | None, emit: Emit
    ) -> dict[str, Any]:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        prompt = build_evaluation_prompt(config, memo, title)
        timings["prepare_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        t1 = time.perf_counter()
        call = asyncio.ensure_future(self._call_model(prompt, config.rubric, config, memo, emit))
        # The writing metrics are computed while the request is on its way to the model, so
        # their CPU time overlaps the model's latency instead of adding to it.
        await asyncio.sleep(0)
        writing = compute_metrics(memo).to_dict()
        result, validated = await call
        timings["model_ms"] = round((time.perf_counter() - t1) * 1000, 2)
        usage = result.usage
        values: dict[str, Any] = {
            "overall_score": validated.overall_score,
            "strengths": validated.strengths,
            "opportunities": validated.opportunities,
            "rubric_scores": [s.to_dict() for s in validated.rubric_scores],
            "segment_feedback": [s.to_dict() for s in validated.segment_feedback],
            "warnings": validated.warnings,
            "metrics": writing,
            **self._usage_values(usage, config, result.attempts),
        }
        prom.observe_tokens(self.provider.name, usage, values["cost_usd"])
        if self.runtime.debug_mode:
            values.update(
                raw_prompt=f"[system]\n{prompt.static_system}\n\n[user]\n{prompt.user}",
                raw_response=result.raw_text,
                debug_timings=timings,
            )
        return values

    def _usage_values(self, usage: Usage, config: ActiveConfig, attempts: int) -> dict[str, Any]:
        return {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "cached_tokens": usage.cached_tokens,
            "cost_usd": estimate_cost(usage, self.provider.model, config.llm.prices),
            "attempts": attempts,
            "error_code": None,
            "error_message": None,
        }

    def _failure(
        self, code: str, message: str, raw: str, usage: Usage, config: ActiveConfig
    ) -> dict[str, Any]:
        values = self._usage_values(usage, config, 1)
        values.update(error_code=str(code), error_message=_friendly(code, message))
        if self.runtime.debug_mode and raw:
            values["raw_response"] = raw
        log.warning("evaluation failed", extra={"error_code": str(code)})
        return values

    async def _call_model(
        self, prompt: EvaluationPrompt, rubric: Rubric, config: ActiveConfig, memo: str, emit: Emit
    ) -> tuple[ProviderResult, ValidatedEvaluation]:
        """One call, and one repair attempt when the answer does not fit the rubric."""
        offline = self.provider.name == "offline"
        on_partial = None if emit is _no_emit else _partial_emitter(emit, rubric)
        try:
            result = await self.provider.evaluate(prompt, on_partial)
            return result, validate_output(result.data, rubric, memo, allow_unassessed=offline)
        except OutputInvalid as exc:
            problems, previous, first_usage = exc.problems, result.raw_text, result.usage
        except LLMError as exc:
            if exc.code != ErrorCode.LLM_BAD_OUTPUT:
                raise
            problems, previous, first_usage = [exc.message], exc.raw_text, exc.usage
        repair = getattr(self.provider, "repair", None)
        if offline or repair is None:
            raise LLMError(ErrorCode.LLM_BAD_OUTPUT, "; ".join(problems), raw_text=previous)
        message = build_repair_message(config, problems, previous)
        repaired: ProviderResult = await repair(prompt, previous, message)
        repaired.usage = _add(first_usage, repaired.usage)
        repaired.attempts += 1
        try:
            return repaired, validate_output(repaired.data, rubric, memo)
        except OutputInvalid as exc:
            raise LLMError(
                ErrorCode.LLM_BAD_OUTPUT,
                "; ".join(exc.problems),
                raw_text=repaired.raw_text,
                usage=repaired.usage,
            ) from None


async def _apply(db: Executor, evaluation: Evaluation, **values: Any) -> None:
    """Write the values and mirror them on the (detached) object, saving a read-back."""
    await service.update_fields(db, evaluation.id, **values)
    for name, value in values.items():
        setattr(evaluation, name, value)


def _add(a: Usage, b: Usage) -> Usage:
    return replace(
        b,
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
        cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
    )


FRIENDLY = {
    ErrorCode.LLM_TIMEOUT: "The AI model took too long to answer. Your memo is saved; retry.",
    ErrorCode.LLM_UNAVAILABLE: "The AI model is unavailable or overloaded right now. "
    "Your memo is saved; retry in a minute.",
    ErrorCode.LLM_BAD_OUTPUT: "The AI model's answer could not be used, even after asking it "
    "to correct itself. Your memo is saved; retry.",
    ErrorCode.LLM_NOT_CONFIGURED: "No AI model is configured (missing or refused API key). "
    "Ask an administrator; your memo is saved.",
}


def _friendly(code: str, detail: str) -> str:
    """A message for people, with the technical detail kept short at the end."""
    base = FRIENDLY.get(code, "The evaluation failed. Your memo is saved; retry.")  # type: ignore[call-overload]
    detail = " ".join(detail.split())[:300]
    return f"{base} ({detail})" if detail and detail not in base else base


def _partial_emitter(emit: Emit, rubric: Rubric) -> PartialCallback:
    """Turn partial model output into `partial` events, only when something new is complete."""
    names = {c.id: c.name for c in rubric.criteria}
    last: dict[str, int] = {}

    async def on_partial(partial: dict[str, Any]) -> None:
        items = completed_items(partial)
        counts = {k: len(v) for k, v in items.items()}
        if counts == last or not any(counts.values()):
            return
        last.clear()
        last.update(counts)
        scores = [
            {**s, "name": names.get(str(s.get("criterion_id")), s.get("criterion_id"))}
            for s in items.get("rubric_scores", [])
        ]
        await emit("partial", {**items, "rubric_scores": scores})

    return on_partial
