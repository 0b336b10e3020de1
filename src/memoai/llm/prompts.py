"""Turning the active configuration and a memo into the messages a model receives."""

from __future__ import annotations

import json
import re
from typing import Any

from memoai.configs.loader import ConfigError
from memoai.configs.schemas import ActiveConfig
from memoai.configs.templates import TemplateProblem, render_template, static_variables
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


def build_evaluation_prompt(config: ActiveConfig, memo: str, title: str | None) -> EvaluationPrompt:
    """Static system part (cacheable, no memo) plus the memo as delimited data."""
    static_system, schema = _static_parts(config)
    data = {"memo": neutralise(memo), "title": neutralise(title) if title else None}
    return EvaluationPrompt(
        static_system=static_system,
        user=_render(config, "evaluation", {**static_variables(config), **data}),
        schema=schema,
        memo=memo,
        rubric=config.rubric,
    )


def build_repair_message(config: ActiveConfig, problems: list[str], previous_output: str) -> str:
    """The follow-up that asks for corrected JSON after an answer failed validation."""
    variables = {"problems": problems, "previous_output": previous_output}
    return _render(config, "repair", {**static_variables(config), **variables})


def build_chat_system(
    config: ActiveConfig, memo: str, evaluation: dict[str, Any], earlier_versions: list[str]
) -> str:
    """The chat's system prompt: configuration plus the memo and its evaluation as data."""
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
