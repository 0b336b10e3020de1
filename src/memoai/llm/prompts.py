"""Turning the active configuration and a memo into the messages a model receives."""

from __future__ import annotations

import json
import re
from typing import Any

from memoai.configs.loader import ConfigError
from memoai.configs.schemas import ActiveConfig
from memoai.configs.templates import TemplateProblem, render_template, static_variables
from memoai.language import NAMES, Language
from memoai.llm.base import EvaluationPrompt

# `<` of any tag that could open or close one of the prompt's data blocks.
_DATA_TAG = re.compile(r"<(?=\s*/?\s*(?:memo|evaluation|earlier_version))", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Escape tags that could close a data block, so user text cannot pose as instructions."""
    return _DATA_TAG.sub("&lt;", text)


_STATIC_CACHE: dict[str, tuple[str, dict[str, Any]]] = {}
_STATIC_CACHE_SIZE = 8


def _static_parts(config: ActiveConfig) -> tuple[str, dict[str, Any]]:
    """The rendered system prompt and the output schema, once per configuration version."""
    from memoai.llm.output import evaluation_schema

    parts = _STATIC_CACHE.get(config.version)
    if parts is None:
        parts = (
            _render(config, "system", static_variables(config)),
            evaluation_schema(config.rubric),
        )
        if len(_STATIC_CACHE) >= _STATIC_CACHE_SIZE:
            _STATIC_CACHE.pop(next(iter(_STATIC_CACHE)))
        _STATIC_CACHE[config.version] = parts
    return parts


def language_instruction(language: str) -> str:
    """Asks the model to write its feedback in the writer's language, whatever the language of
    the rubric (the administrator's choice, kept as written) or of the prompt."""
    name = NAMES.get(language, NAMES["en"])  # type: ignore[call-overload]
    return (
        f"Write every piece of feedback (strengths, opportunities, justifications, comments, "
        f"questions and suggestions) in {name}, the writer's language, even where the rubric "
        "or these instructions are in another language. Quote the memo exactly as written; "
        "keep criterion ids and JSON keys as they are."
    )


def build_evaluation_prompt(
    config: ActiveConfig, memo: str, title: str | None, language: Language | str = "en"
) -> EvaluationPrompt:
    """Static system part (cacheable, no memo) plus the memo as delimited data, and the
    writer's language (in the user part, so the cached system part is shared by both)."""
    static_system, schema = _static_parts(config)
    data = {"memo": neutralise(memo), "title": neutralise(title) if title else None}
    user = _render(config, "evaluation", {**static_variables(config), **data})
    return EvaluationPrompt(
        static_system=static_system,
        user=f"{user.rstrip()}\n\n{language_instruction(language)}",
        schema=schema,
        memo=memo,
        rubric=config.rubric,
        language=language,
    )


def build_repair_message(config: ActiveConfig, problems: list[str], previous_output: str) -> str:
    """The follow-up that asks for corrected JSON after an answer failed validation."""
    variables = {"problems": problems, "previous_output": previous_output}
    return _render(config, "repair", {**static_variables(config), **variables})


def build_chat_system(
    config: ActiveConfig,
    memo: str,
    evaluation: dict[str, Any],
    earlier_versions: list[str],
    language: Language | str = "en",
) -> str:
    """The chat's system prompt: configuration plus the memo and its evaluation as data, and
    the writer's language to answer in."""
    return f"{_chat_system(config, memo, evaluation, earlier_versions).rstrip()}\n\n" + (
        _chat_language(language)
    )


def _chat_language(language: str) -> str:
    name = NAMES.get(language, NAMES["en"])  # type: ignore[call-overload]
    return (
        f"Answer in {name}, the writer's language, unless the writer asks in another "
        "language; quote the memo exactly as written.\n"
    )


def _chat_system(
    config: ActiveConfig, memo: str, evaluation: dict[str, Any], earlier_versions: list[str]
) -> str:
    safe_evaluation = _neutralise_all(evaluation)
    data = {
        "memo": neutralise(memo),
        "evaluation": safe_evaluation,
        "evaluation_json": json.dumps(safe_evaluation, ensure_ascii=False, indent=2),
        "earlier_versions": [neutralise(version) for version in earlier_versions],
    }
    static = static_variables(config)
    if config.prompt.chat_system.strip():
        return _render(config, "chat_system", {**static, **data})
    return (
        f"{_render(config, 'system', static).rstrip()}\n\n"
        f"<memo>\n{data['memo']}\n</memo>\n\n"
        f"<evaluation>\n{data['evaluation_json']}\n</evaluation>\n"
    )


def _render(config: ActiveConfig, field: str, variables: dict[str, Any]) -> str:
    try:
        return render_template(config.prompt, field, variables)
    except TemplateProblem as exc:
        raise ConfigError("prompt", exc.message, path=exc.field) from exc


def _neutralise_all(value: Any) -> Any:
    """Every string of a JSON-like value, since model output quotes the memo."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dict):
        return {key: _neutralise_all(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_neutralise_all(item) for item in value]
    return value
