"""Validation and loading of configuration files, as an admin or operator meets them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from memoai.configs.loader import ConfigError, load_active_config, validate_config
from memoai.configs.schemas import AuthConfig, Context, Rubric

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config"

CRITERION = """\
  - id: {id}
    name: {name}
    description: What the criterion judges.
    weight: {weight}
    guidance:
      1: Poor.
      2: Weak.
      3: Adequate.
"""


def rubric_yaml(*criteria: tuple[str, float], scale: str = "  min: 1\n  max: 3\n") -> str:
    """A small rubric: one line per criterion id and weight."""
    body = "".join(
        CRITERION.format(id=cid, name=cid.title(), weight=weight) for cid, weight in criteria
    )
    return f"name: Test rubric\nscale:\n{scale}criteria:\n{body}"


def error_of(config_type: str, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        validate_config(config_type, text, env or {})
    return info.value


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, target)
    return target


# --- ${VAR} expansion ----------------------------------------------------------------------


def test_expansion_uses_value_default_and_empty_for_unset() -> None:
    text = (
        "organisation: ${ORG}\n"
        "audience: ${AUDIENCE:-the board}\n"
        "template: '[${MISSING}] costs $${PRICE} for {audience}'\n"
    )
    context, _ = validate_config("context", text, {"ORG": "Acme Health"})
    assert isinstance(context, Context)
    assert context.organisation == "Acme Health"
    assert context.audience == "the board"
    assert context.template == "[] costs ${PRICE} for {audience}"


def test_empty_variable_takes_the_default() -> None:
    context, _ = validate_config("context", "template: ${T:-fallback}\n", {"T": ""})
    assert isinstance(context, Context)
    assert context.template == "fallback"


def test_whole_value_expressions_are_coerced_by_the_schema() -> None:
    text = (
        "authentication:\n"
        "  enabled: ${AUTH_ENABLED:-false}\n"
        "  jwt:\n"
        "    expiration_hours: ${HOURS:-24}\n"
    )
    off, _ = validate_config("auth", text, {})
    on, _ = validate_config("auth", text, {"AUTH_ENABLED": "true", "HOURS": "8"})
    assert isinstance(off, AuthConfig) and isinstance(on, AuthConfig)
    assert off.authentication.enabled is False
    assert off.authentication.jwt.expiration_hours == 24
    assert on.authentication.enabled is True
    assert on.authentication.jwt.expiration_hours == 8


def test_bad_value_from_the_environment_is_reported_at_its_line() -> None:
    text = "authentication:\n  jwt:\n    expiration_hours: ${HOURS:-24}\n"
    error = error_of("auth", text, {"HOURS": "a day"})
    assert error.line == 3
    assert error.path == "authentication.jwt.expiration_hours"
    assert "valid integer" in error.message


def test_malformed_expression_is_refused_with_its_line() -> None:
    error = error_of("context", "organisation: x\ntemplate: ${AUDIENCE:none}\n")
    assert error.line == 2
    assert error.path == "template"
    assert "${VAR:-default}" in error.message


# --- YAML and schema errors ----------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column() -> None:
    error = error_of("frameworks", "frameworks:\n  - id: bluf\n    name: [BLUF\n")
    assert error.line == 4
    assert error.column is not None
    assert str(error).startswith("frameworks.yaml line 4, column")


def test_duplicate_yaml_key_is_a_syntax_error() -> None:
    error = error_of("context", "template: a\norganisation: x\ntemplate: b\n")
    assert error.line == 3
    assert "duplicate key" in error.message


def test_schema_error_names_path_line_and_column() -> None:
    text = rubric_yaml(("clarity", 50), ("evidence", -5))
    error = error_of("rubric", text)
    # The second criterion starts on line 14; its weight is the fourth line of it.
    assert (error.line, error.column) == (17, 5)
    assert error.path == "criteria.1.weight"
    assert str(error) == (
        "rubric.yaml line 17, column 5: criteria.1.weight: Input should be greater than 0"
    )


def test_unknown_field_is_refused() -> None:
    error = error_of("context", "template: x\naudiance: typo\n")
    assert (error.line, error.path) == (2, "audiance")
    assert "Extra inputs are not permitted" in error.message


def test_duplicate_criterion_ids_point_at_the_repeat() -> None:
    error = error_of("rubric", rubric_yaml(("clarity", 50), ("clarity", 50)))
    assert "unique" in error.message and "clarity" in error.message
    assert (error.line, error.path) == (14, "criteria.1.id")


def test_scale_min_must_be_below_max() -> None:
    error = error_of("rubric", rubric_yaml(("clarity", 100), scale="  min: 5\n  max: 5\n"))
    assert error.path == "scale"
    assert error.line == 2
    assert "must be below max" in error.message


def test_missing_guidance_level_is_named() -> None:
    text = rubric_yaml(("clarity", 60), ("evidence", 40)).replace("      3: Adequate.\n", "", 1)
    error = error_of("rubric", text)
    assert "'clarity'" in error.message and "[3]" in error.message
    assert (error.line, error.path) == (10, "criteria.0.guidance")


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "name: Empty\ncriteria: []\n", "name: No criteria\n"]
)
def test_rubric_without_criteria_is_refused_clearly(text: str) -> None:
    error = error_of("rubric", text)
    assert "rubric.yaml must define at least one criterion" in error.message


def test_file_that_is_not_a_mapping_is_refused() -> None:
    assert "mapping" in error_of("llm", "- a\n- b\n").message


def test_unknown_config_type_is_refused() -> None:
    assert "unknown configuration type" in error_of("secrets", "a: 1\n").message


def test_weights_are_normalised_with_a_warning() -> None:
    rubric, warnings = validate_config("rubric", rubric_yaml(("a", 1), ("b", 1), ("c", 2)), {})
    assert isinstance(rubric, Rubric)
    assert [c.weight for c in rubric.criteria] == [25, 25, 50]
    assert warnings == list(rubric.warnings)
    assert "summed to 4" in warnings[0]


def test_uneven_weights_still_sum_to_100() -> None:
    rubric, _ = validate_config("rubric", rubric_yaml(("a", 1), ("b", 1), ("c", 1)), {})
    assert isinstance(rubric, Rubric)
    assert sum(c.weight for c in rubric.criteria) == pytest.approx(100)
    assert all(c.weight == pytest.approx(33.33, abs=0.011) for c in rubric.criteria)


def test_weights_summing_to_100_give_no_warning() -> None:
    rubric, warnings = validate_config("rubric", rubric_yaml(("a", 40), ("b", 60)), {})
    assert warnings == [] and isinstance(rubric, Rubric) and rubric.warnings == ()


# --- prompt templates ----------------------------------------------------------------------

PROMPT = """\
system: |
  Rubric {{ rubric.name }}
  {% for c in criteria %}{{ c.id }}{% endfor %}
  {{ frameworks | length }} {{ context.template }}
evaluation: |
  <memo>{{ memo }}</memo>
repair: |
  Fix: {{ problems | join(", ") }}
"""


def test_minimal_prompt_is_valid() -> None:
    _, warnings = validate_config("prompt", PROMPT, {})
    assert warnings == ["chat_system is empty; chat uses the system template instead"]


def test_missing_required_variable_is_named() -> None:
    text = PROMPT.replace("<memo>{{ memo }}</memo>", "Evaluate the memo.")
    error = error_of("prompt", text)
    assert error.path == "evaluation"
    assert error.line == 5
    assert "must use {{ memo }}" in error.message


def test_memo_in_the_cached_system_part_is_refused() -> None:
    error = error_of("prompt", PROMPT.replace("Rubric {{", "{{ memo }} {{"))
    assert error.path == "system"
    assert "unknown variable 'memo'" in error.message


def test_template_syntax_error_gives_the_file_line() -> None:
    error = error_of("prompt", PROMPT.replace("{{ frameworks | length }}", "{{ frameworks ! }}"))
    assert (error.path, error.line) == ("system", 4)
    assert "unexpected char '!'" in error.message


def test_unclosed_block_is_reported() -> None:
    error = error_of("prompt", PROMPT.replace("{{ frameworks | length }}", "{% if x %}"))
    assert error.path == "system"
    assert "'endif'" in error.message


def test_unrenderable_template_is_caught_with_the_active_config(config_dir: Path) -> None:
    active = load_active_config(config_dir, {})
    text = PROMPT.replace("{{ rubric.name }}", "{{ rubric.nmae }}")
    validate_config("prompt", text, {})  # syntax and variables are fine on their own
    with pytest.raises(ConfigError, match="cannot render") as info:
        validate_config("prompt", text, {}, active=active)
    assert info.value.path == "system"


# --- loading all files ---------------------------------------------------------------------


def test_missing_file_is_named(config_dir: Path) -> None:
    (config_dir / "frameworks.yaml").unlink()
    with pytest.raises(ConfigError, match=r"frameworks\.yaml.*missing"):
        load_active_config(config_dir, {})


def test_version_follows_content_not_secrets(config_dir: Path) -> None:
    first = load_active_config(config_dir, {"JWT_SECRET_KEY": "a" * 40})
    rotated = load_active_config(config_dir, {"JWT_SECRET_KEY": "b" * 40})
    assert rotated.version == first.version
    assert len(first.version) == 16 and set(first.hashes) == {
        "rubric", "frameworks", "context", "prompt", "llm", "auth",
    }  # fmt: skip
    rubric = config_dir / "rubric.yaml"
    rubric.write_text(rubric.read_text().replace("weight: 10", "weight: 11"))
    changed = load_active_config(config_dir, {})
    assert changed.version != first.version
    assert changed.hashes["rubric"] != first.hashes["rubric"]
    assert changed.hashes["prompt"] == first.hashes["prompt"]
