"""`${VAR}` and `${VAR:-default}` expansion, applied after parsing so YAML positions stay right."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.scalarbool import ScalarBoolean

_TOKEN = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SYNTAX_HELP = "use ${VAR} or ${VAR:-default}, and $${ for a literal ${"


class ExpansionError(ValueError):
    """A malformed `${…}` expression, with the path of the scalar that holds it."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def expand(value: str, env: Mapping[str, str]) -> str:
    """Shell-like: an unset or empty VAR takes the default; without one it becomes ''."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        found = env.get(name) or ""
        return default if default is not None and not found else found

    if "${" in _TOKEN.sub("", value):
        raise ValueError(f"malformed expression in {value!r}; {_SYNTAX_HELP}")
    return _TOKEN.sub(replace, value)


def to_plain(node: Any, env: Mapping[str, str], path: tuple[str | int, ...] = ()) -> Any:
    """Plain dicts, lists and scalars with every string expanded, ready for pydantic."""
    if isinstance(node, Mapping):
        return {_plain_key(key): to_plain(value, env, (*path, key)) for key, value in node.items()}
    if isinstance(node, list):
        return [to_plain(item, env, (*path, index)) for index, item in enumerate(node)]
    if isinstance(node, str):
        try:
            return expand(str(node), env)
        except ValueError as exc:
            raise ExpansionError(path, str(exc)) from exc
    return _plain_scalar(node)


def _plain_key(key: Any) -> Any:
    return str(key) if isinstance(key, str) else _plain_scalar(key)


def _plain_scalar(value: Any) -> Any:
    """ruamel's round-trip scalars subclass int/float; hand pydantic the builtin types."""
    if isinstance(value, ScalarBoolean | bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value
