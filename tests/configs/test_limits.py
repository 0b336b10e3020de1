"""What validation refuses before schemas: huge texts and alias bombs; secrets never shown."""

from __future__ import annotations

import pytest

from memoai.configs.loader import ConfigError, validate_config
from memoai.configs.validate import MAX_ALIASES, MAX_CONFIG_BYTES, effective_values


def test_a_text_over_the_size_limit_is_refused_before_parsing() -> None:
    text = "template: '" + "x" * MAX_CONFIG_BYTES + "'\n"
    with pytest.raises(ConfigError, match="over the limit of 128 KiB"):
        validate_config("context", text, {})


def test_a_few_aliases_are_fine_and_a_bomb_is_refused_at_its_line() -> None:
    validate_config("context", "organisation: &o Acme\naudience: *o\ntemplate: x\n", {})
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"l{i}: &l{i} [{', '.join(['*a' if i == 0 else f'*l{i - 1}'] * 9)}]" for i in range(4)
    ]
    with pytest.raises(ConfigError, match=f"more than {MAX_ALIASES} aliases") as info:
        validate_config("context", "\n".join(lines) + "\ntemplate: x\n", {})
    assert info.value.line == 3  # the 17th alias is on the third line
    assert info.value.as_details()["problem"].startswith("more than")


def test_effective_values_show_secrets_only_as_set() -> None:
    text = "authentication:\n  jwt:\n    secret_key: ${JWT_SECRET_KEY}\n"
    model, _ = validate_config("auth", text, {"JWT_SECRET_KEY": "s3cr3t-" + "x" * 40})
    shown = effective_values(model)
    assert shown["authentication"]["jwt"]["secret_key"] == "(set)"
    assert "s3cr3t" not in str(shown)
    unset, _ = validate_config("auth", text, {})
    assert effective_values(unset)["authentication"]["jwt"]["secret_key"] == "(unset)"


def test_effective_values_keep_token_counts() -> None:
    model, _ = validate_config("llm", "context_window_tokens:\n  m: 1000\n", {})
    assert effective_values(model)["context_window_tokens"] == {"m": 1000}
