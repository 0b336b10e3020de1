"""Validating configuration files, with line and column in every error an admin sees."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from memoai.configs.expand import ExpansionError, to_plain
from memoai.configs.schemas import CONFIG_TYPES, SCHEMAS, ActiveConfig, Prompt, Rubric
from memoai.configs.templates import TemplateProblem, check_prompt, trial_render

Loc = tuple[str | int, ...]

# A configuration file is a few KiB; the limits refuse what could only be a mistake or an
# attack: a huge text, or anchors and aliases that expand a small file into a huge one.
MAX_CONFIG_BYTES = 128 * 1024  # under the API body limit, so the API can say why
MAX_ALIASES = 16


def config_filename(config_type: str) -> str:
    return f"{config_type}.yaml"


class ConfigError(Exception):
    """An invalid configuration file, located precisely enough for an admin to fix it."""

    def __init__(
        self,
        config_type: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> None:
        self.config_type = config_type
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = config_filename(self.config_type)
        if self.line is not None:
            where += f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        prefix = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{self.message}"

    def as_details(self) -> dict[str, Any]:
        """The fields an API error or the admin page shows next to the editor."""
        return {
            "config_type": self.config_type,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "problem": f"{self.path}: {self.message}" if self.path else self.message,
        }

    def as_problem(self) -> dict[str, Any]:
        """What the admin page and readiness show for an invalid file."""
        return {
            "file": config_filename(self.config_type),
            "line": self.line,
            "column": self.column,
            "message": self.as_details()["problem"],
        }


def validate_config(
    config_type: str,
    text: str,
    env: Mapping[str, str] | None = None,
    *,
    active: ActiveConfig | None = None,
) -> tuple[BaseModel, list[str]]:
    """Validate one file's text; with `active`, also check it works with the other files."""
    if config_type not in SCHEMAS:
        raise ConfigError(config_type, f"unknown configuration type; one of {CONFIG_TYPES}")
    root = _parse(config_type, text)
    data = _expanded(config_type, root, os.environ if env is None else env)
    model = _validated(config_type, root, data)
    warnings: list[str] = []
    if isinstance(model, Rubric):
        model = normalise_weights(model)
        warnings = list(model.warnings)
    elif isinstance(model, Prompt):
        warnings = _check_templates(root, model)
    if active is not None:
        models: dict[str, BaseModel] = {name: getattr(active, name) for name in CONFIG_TYPES}
        build_active_config({**models, config_type: model})
    return model, warnings


def build_active_config(
    models: Mapping[str, BaseModel], versions: Mapping[str, int] | None = None
) -> ActiveConfig:
    """Assemble validated models with their hashes, refusing prompts that cannot render."""
    canonical = {name: _canonical_json(name, models[name]) for name in CONFIG_TYPES}
    hashes: dict[str, str] = {name: _sha16(text) for name, text in canonical.items()}
    version = _sha16("\n".join(canonical[name] for name in CONFIG_TYPES))
    fields = {name: models[name] for name in CONFIG_TYPES}
    config = ActiveConfig.model_validate(
        {**fields, "version": version, "hashes": hashes, "versions": dict(versions or {})}
    )
    try:
        trial_render(config)
    except TemplateProblem as exc:
        raise ConfigError("prompt", exc.message, path=exc.field) from exc
    return config


def normalise_weights(rubric: Rubric) -> Rubric:
    """Scale weights to sum to 100, recording a warning, so scores stay comparable."""
    total = rubric.total_weight
    if math.isclose(total, 100.0, abs_tol=1e-6):
        return rubric.model_copy(update={"warnings": ()})
    scaled = [c.weight * 100.0 / total for c in rubric.criteria]
    largest = scaled.index(max(scaled))
    rounded = [round(w, 2) or w for w in scaled]
    rounded[largest] = round(100.0 - sum(rounded) + rounded[largest], 2)
    criteria = [
        c.model_copy(update={"weight": w}) for c, w in zip(rubric.criteria, rounded, strict=True)
    ]
    warning = f"criterion weights summed to {total:g}, not 100; they were scaled to sum to 100"
    return rubric.model_copy(update={"criteria": criteria, "warnings": (warning,)})


# --- parsing ------------------------------------------------------------------------------


def _parse(config_type: str, text: str) -> Any:
    """Round-trip parsing keeps every node's line and column for error messages."""
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            config_type,
            f"the text is {size / 1024:.0f} KiB, over the limit of {MAX_CONFIG_BYTES // 1024} "
            "KiB; a configuration file should be a few KiB, so check that the right file "
            "was pasted",
        )
    try:
        _check_aliases(config_type, text)
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_problem(exc)
        if mark is None:
            raise ConfigError(config_type, message) from None
        raise ConfigError(
            config_type, message, line=mark.line + 1, column=mark.column + 1
        ) from None
    except YAMLError as exc:
        raise ConfigError(config_type, f"invalid YAML: {exc}") from None


def _check_aliases(config_type: str, text: str) -> None:
    """Count aliases before building anything, so an alias bomb is refused cheaply."""
    count = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            count += 1
            if count > MAX_ALIASES:
                mark = event.start_mark
                raise ConfigError(
                    config_type,
                    f"more than {MAX_ALIASES} aliases (*{event.anchor}); write the values out "
                    "instead of repeating anchors, which can expand a small file into a huge one",
                    line=mark.line + 1,
                    column=mark.column + 1,
                )


def _yaml_problem(exc: MarkedYAMLError) -> str:
    problem = (exc.problem or "invalid YAML").strip()
    if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
        return f"{problem} ({exc.context} started on line {exc.context_mark.line + 1})"
    return f"{problem} ({exc.context})" if exc.context else problem


def _expanded(config_type: str, root: Any, env: Mapping[str, str]) -> dict[str, Any]:
    """Plain, expanded data; an empty or non-mapping document is refused with a clear reason."""
    if root is None:
        if config_type == "rubric":
            raise ConfigError(config_type, _NO_CRITERIA + " (the file is empty)")
        raise ConfigError(config_type, "the file is empty")
    if not isinstance(root, CommentedMap):
        kind = "a list" if isinstance(root, list) else "a single value"
        raise ConfigError(config_type, f"the file must be a mapping of settings, not {kind}")
    try:
        data: dict[str, Any] = to_plain(root, env)
    except ExpansionError as exc:
        line, column = _locate(root, exc.path)
        raise ConfigError(
            config_type, exc.message, line=line, column=column, path=_dotted(exc.path)
        ) from None
    if config_type == "rubric" and not data.get("criteria"):
        line, column = _locate(root, ("criteria",))
        raise ConfigError(config_type, _NO_CRITERIA, line=line, column=column)
    return data


_NO_CRITERIA = "rubric.yaml must define at least one criterion"


# --- schema errors ------------------------------------------------------------------------


def _validated(config_type: str, root: CommentedMap, data: dict[str, Any]) -> BaseModel:
    try:
        return SCHEMAS[config_type].model_validate(data)  # type: ignore[index]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc: Loc = tuple(part for part in error["loc"] if part != "[key]")
        message = _message(error["msg"])
        if not loc and config_type == "rubric":
            loc = _criterion_named_in(message, data)
        line, column = _locate(root, loc)
        more = len(exc.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(
            config_type, message, line=line, column=column, path=_dotted(loc) or None
        ) from None


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _criterion_named_in(message: str, data: dict[str, Any]) -> Loc:
    """A rubric-wide error names a criterion id; point at that criterion (its last use)."""
    criteria = data.get("criteria") or []
    for index in range(len(criteria) - 1, -1, -1):
        item = criteria[index]
        criterion_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(criterion_id, str) and re.search(rf"\b{re.escape(criterion_id)}\b", message):
            field = "guidance" if "guidance" in message and "guidance" in item else "id"
            return ("criteria", index, field)
    return ()


def _locate(root: Any, loc: Loc) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node on `loc` that exists in the document."""
    node, position = root, None
    for part in loc:
        if isinstance(node, CommentedMap):
            key = next((k for k in node if str(k) == str(part)), None)
            if key is None:
                break
            position, node = node.lc.key(key), node[key]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            position, node = node.lc.item(part), node[part]
        else:
            break
    if position is None:
        return None, None
    return position[0] + 1, position[1] + 1


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


# --- prompt templates ---------------------------------------------------------------------


def _check_templates(root: CommentedMap, prompt: Prompt) -> list[str]:
    problems, warnings = check_prompt(prompt)
    if problems:
        first = problems[0]
        line, column = _template_position(root, first.field, first.lineno)
        raise ConfigError("prompt", first.message, line=line, column=column, path=first.field)
    return warnings


def _template_position(
    root: CommentedMap, field: str, lineno: int | None
) -> tuple[int | None, int | None]:
    """Map a line inside a template to the file: block scalars start below their `|`."""
    if field not in root:
        return None, None
    if lineno is None:
        return _locate(root, (field,))
    value_line = root.lc.value(field)[0] + 1
    if isinstance(root[field], LiteralScalarString | FoldedScalarString):
        return value_line + lineno, None
    return value_line + lineno - 1, None


# --- hashing ------------------------------------------------------------------------------


def _canonical_json(config_type: str, model: BaseModel) -> str:
    """Expanded, key-sorted JSON; the JWT secret is reduced to set/unset so it never leaks."""
    data = model.model_dump(mode="json")
    if config_type == "auth":
        jwt = data["authentication"]["jwt"]
        jwt["secret_key"] = "set" if jwt.get("secret_key") else ""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_SECRET_KEYS = re.compile(r"(^|_)(secret|password|token|api_key)(_key)?$", re.IGNORECASE)


def effective_values(model: BaseModel) -> dict[str, Any]:
    """The values in force after ${VAR} expansion, with every secret shown only as set/unset."""

    def redact(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: ("(set)" if v else "(unset)")
                if _SECRET_KEYS.search(str(k)) and not isinstance(v, dict)
                else redact(v)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [redact(item) for item in node]
        return node

    values: dict[str, Any] = redact(model.model_dump(mode="json", exclude={"warnings"}))
    return values


def _sha16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
