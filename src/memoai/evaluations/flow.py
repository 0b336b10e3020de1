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
from typing import Any, Protocol

from memoai.analysis.metrics import compute_metrics
from memoai.api import AppError, ErrorCode
from memoai.configs.loader import ConfigRegistry
from memoai.configs.schemas import ActiveConfig, Rubric
from memoai.db import Database, Executor, utcnow
from memoai.debugging import capture as debug
from memoai.debugging.models import RecordKind
from memoai.debugging.redact import redact
from memoai.evaluations import budgets, checks, service
from memoai.evaluations.models import Evaluation, Status
from memoai.evaluations.outcome import apply as _apply
from memoai.evaluations.outcome import not_stored, store_capture
from memoai.evaluations.schemas import EvaluationCreate, EvaluationOut
from memoai.language import DEFAULT as DEFAULT_LANGUAGE
from memoai.language import Language
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
from memoai.runtime import Runtime
from memoai.sessions.caller import Caller
from memoai.settings import Settings
from memoai.streaming import Emit
from memoai.translations import N_, gettext

log = logging.getLogger("memoai.evaluations")


async def _no_emit(event: str, data: dict[str, Any]) -> None:
    return None


class Describe(Protocol):
    """Composes the API view of an evaluation: memoai.feedback.described, which sits above
    this package (it adds the owner's progress summary), is handed in by the app."""

    async def __call__(
        self, db: Executor, evaluation: Evaluation, *, reused: bool = False
    ) -> EvaluationOut: ...


class EvaluationFlow:
    """Submits, runs and retries evaluations; shared by the API and the CLI."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        configs: ConfigRegistry,
        provider: Provider,
        runtime: Runtime,
        *,
        describe: Describe,
    ) -> None:
        self.db = db
        self._described = describe
        self.settings = settings
        self.configs = configs
        self.provider = provider
        self.runtime = runtime

    async def submit(
        self, caller: Caller, payload: EvaluationCreate, language: Language = DEFAULT_LANGUAGE
    ) -> tuple[Evaluation, bool]:
        """Store the memo (or find an identical finished request); returns (evaluation, reused).

        `language` is the writer's (the body's field, else Accept-Language, chosen by the
        router); the body's field wins when given."""
        checks.check_request(payload, self.settings)
        config = self.configs.current()
        language = payload.language or language
        key = service.request_key(
            payload.text_content, config.version, self.provider.name, self.provider.model, language
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
                    language=language,
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
        if self.provider.name != "offline":  # the offline analysis costs nothing
            await budgets.check(db, caller, self.settings.llm_daily_budget_usd)

    async def retry(self, caller: Caller, evaluation_id: uuid.UUID) -> Evaluation:
        """Put a failed evaluation back to running so the same text is evaluated again."""
        config = self.configs.current()
        async with self.db.sessions() as db:
            evaluation = await service.get_owned(db, caller, evaluation_id)
            if evaluation.status != Status.FAILED:
                raise AppError(
                    409,
                    ErrorCode.NOT_RETRYABLE,
                    N_("Only a failed evaluation can be retried; this one is %(status)s."),
                    values={"status": str(evaluation.status)},
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
                    evaluation.language,
                ),
            )
        return evaluation

    async def run(self, evaluation: Evaluation, emit: Emit = _no_emit) -> Evaluation:
        """Evaluate a stored, running submission; ends completed or failed, never lost.

        Takes the evaluation as `submit` or `retry` left it, so the only database work here is
        the final write: under load every statement saved is latency saved for everyone.
        A stream (`emit`) ends with the described evaluation, read on the final write's
        connection.
        """
        out = await self._tracked(evaluation, emit, describe=emit is not _no_emit)
        if out is not None:
            await emit("completed" if evaluation.status == Status.COMPLETED else "failed", out)
        return evaluation

    async def run_described(self, evaluation: Evaluation) -> dict[str, Any]:
        """`run`, answering the API view of the finished evaluation (read on the connection
        that stored it: one checkout of the pool instead of two)."""
        out = await self._tracked(evaluation, _no_emit, describe=True)
        assert out is not None
        return out

    async def _tracked(
        self, evaluation: Evaluation, emit: Emit, *, describe: bool
    ) -> dict[str, Any] | None:
        with (
            prom.EVALUATIONS_IN_FLIGHT.track_inprogress(),
            debug.capturing(self.runtime.debug_mode, RecordKind.EVALUATION) as capture,
        ):
            return await self._run(evaluation, emit, capture, describe)

    async def _run(
        self, evaluation: Evaluation, emit: Emit, capture: debug.Capture | None, describe: bool
    ) -> dict[str, Any] | None:
        """Evaluate and store the outcome (and, in debug mode, what the run captured)."""
        config = self.configs.current()
        memo, title = evaluation.submission.text_content, evaluation.submission.title
        await emit("started", {"evaluation_id": str(evaluation.id), "status": Status.RUNNING})
        started = time.perf_counter()
        if capture is not None and evaluation.started_at is not None:
            capture.add_time("queue", (utcnow() - evaluation.started_at).total_seconds() * 1000)
        try:
            values = await self._evaluate(config, memo, title, emit, evaluation.language)
            status = Status.COMPLETED
        except LLMError as exc:
            values = self._failure(exc.code, exc.message, exc.raw_text, exc.usage, config)
            status = Status.FAILED
        except Exception as exc:
            log.exception("evaluation crashed", extra={"evaluation_id": str(evaluation.id)})
            debug.note(exception=f"{type(exc).__name__}: {exc}")
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
            try:
                with debug.timed("database"):
                    await _apply(conn, evaluation, status=status, completed_at=utcnow(), **values)
            except Exception as exc:
                raise await not_stored(conn, evaluation, exc) from exc
            if capture is not None:
                capture.notes.update(provider=self.provider.name, model=self.provider.model)
                await store_capture(conn, capture, evaluation)
            if not describe:
                return None
            out = await self._described(conn, evaluation)
            return out.model_dump(mode="json")

    async def describe(self, evaluation: Evaluation, *, reused: bool = False) -> dict[str, Any]:
        """The API view of an evaluation with its owner's progress summary."""
        async with self.db.engine.connect() as conn:
            out = await self._described(conn, evaluation, reused=reused)
            return out.model_dump(mode="json")

    async def preview(self, config: ActiveConfig, memo: str) -> ValidatedEvaluation:
        """Evaluate a sample memo with a draft configuration (the admin's preview); no storage."""
        prompt = build_evaluation_prompt(config, memo, None)
        _, validated = await self._call_model(prompt, config.rubric, config, memo, _no_emit)
        return validated

    async def _evaluate(
        self, config: ActiveConfig, memo: str, title: str | None, emit: Emit, language: str
    ) -> dict[str, Any]:
        with debug.timed("prepare"):
            prompt = build_evaluation_prompt(config, memo, title, language)
        debug.note(prompt=f"[system]\n{prompt.static_system}\n\n[user]\n{prompt.user}")
        call = asyncio.ensure_future(self._call_model(prompt, config.rubric, config, memo, emit))
        # The writing metrics are computed while the request is on its way to the model, so
        # their CPU time overlaps the model's latency instead of adding to it.
        await asyncio.sleep(0)
        writing = compute_metrics(memo, language).to_dict()
        result, validated = await call
        debug.note(response=result.raw_text)
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
        debug.note(error=f"{code}: {message}", **({"response": raw} if raw else {}))
        log.warning("evaluation failed", extra={"error_code": str(code)})
        return values

    async def _call_model(
        self, prompt: EvaluationPrompt, rubric: Rubric, config: ActiveConfig, memo: str, emit: Emit
    ) -> tuple[ProviderResult, ValidatedEvaluation]:
        """One call, and one repair attempt when the answer does not fit the rubric."""
        offline = self.provider.name == "offline"
        on_partial = None if emit is _no_emit else _partial_emitter(emit, rubric)
        try:
            with debug.timed("model"):
                result = await self.provider.evaluate(prompt, on_partial)
            with debug.timed("validation"):
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
        debug.note(first_response=previous, repair_request=message)
        with debug.timed("model"):
            repaired: ProviderResult = await repair(prompt, previous, message)
        repaired.usage = _add(first_usage, repaired.usage)
        repaired.attempts += 1
        try:
            with debug.timed("validation"):
                return repaired, validate_output(repaired.data, rubric, memo)
        except OutputInvalid as exc:
            raise LLMError(
                ErrorCode.LLM_BAD_OUTPUT,
                "; ".join(exc.problems),
                raw_text=repaired.raw_text,
                usage=repaired.usage,
            ) from None


def _add(a: Usage, b: Usage) -> Usage:
    return replace(
        b,
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
        cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
    )


FRIENDLY = {
    ErrorCode.LLM_TIMEOUT: N_("The AI model took too long to answer. Your memo is saved; retry."),
    ErrorCode.LLM_UNAVAILABLE: N_(
        "The AI model is unavailable or overloaded right now. "
        "Your memo is saved; retry in a minute."
    ),
    ErrorCode.LLM_BAD_OUTPUT: N_(
        "The AI model's answer could not be used, even after asking it "
        "to correct itself. Your memo is saved; retry."
    ),
    ErrorCode.LLM_NOT_CONFIGURED: N_(
        "No AI model is configured (missing or refused API key). "
        "Ask an administrator; your memo is saved."
    ),
}


def _friendly(code: str, detail: str) -> str:
    """A message for people, with the technical detail kept short at the end."""
    # In the language of the request that ran it: the writer reads it later where it is kept.
    fallback = N_("The evaluation failed. Your memo is saved; retry.")
    base = gettext(FRIENDLY.get(code, fallback))  # type: ignore[call-overload]
    detail = " ".join(redact(detail).split())[:300]
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
