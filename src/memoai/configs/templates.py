"""The prompt templates' sandbox and variables, shared by validation and prompt building."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from memoai.configs.schemas import ActiveConfig, Context, Prompt

# Variables every template may use: the static part of the configuration.
STATIC_VARIABLES = frozenset({"rubric", "criteria", "scale", "frameworks", "context"})

# Per template: (variables it must use, extra variables it may use).
TEMPLATE_VARIABLES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "system": (frozenset({"rubric"}), frozenset()),
    "evaluation": (frozenset({"memo"}), frozenset({"memo", "title"})),
    "repair": (frozenset({"problems"}), frozenset({"problems", "previous_output"})),
    "chat_system": (
        frozenset(),
        frozenset({"memo", "evaluation", "evaluation_json", "earlier_versions"}),
    ),
}

# Values for a trial render at load time, so a template that cannot render is refused then.
SAMPLE_VARIABLES: dict[str, dict[str, Any]] = {
    "evaluation": {
        "memo": "To: Leadership team\nSubject: Sample\n\nPlease fund it.",
        "title": None,
    },
    "repair": {"problems": ["rubric_scores is missing"], "previous_output": "{}"},
}


class TemplateProblem(Exception):
    """A template that cannot be used, with the line inside the template when known."""

    def __init__(self, field: str, message: str, lineno: int | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.lineno = lineno


@lru_cache(maxsize=1)
def template_environment() -> ImmutableSandboxedEnvironment:
    """Sandboxed because admins write the templates; strict so a typo fails loudly."""
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=64)
def compile_template(source: str) -> Template:
    """Compile once per template text, so a new config version compiles only what changed."""
    return template_environment().from_string(source)


def format_context(context: Context) -> str:
    """Only the two documented placeholders, so other braces in the text stay as written."""
    return context.template.replace("{organisation}", context.organisation).replace(
        "{audience}", context.audience
    )


def static_variables(config: ActiveConfig) -> dict[str, Any]:
    """The variables that do not depend on the memo, hence identical across evaluations."""
    rubric = config.rubric
    return {
        "rubric": rubric,
        "criteria": rubric.criteria,
        "scale": rubric.scale,
        "frameworks": config.frameworks.frameworks,
        "context": config.context.model_copy(update={"template": format_context(config.context)}),
    }


def render_template(prompt: Prompt, field: str, variables: dict[str, Any]) -> str:
    """Render one template of prompt.yaml; any failure becomes a TemplateProblem."""
    try:
        return compile_template(getattr(prompt, field)).render(variables)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(field, exc.message or str(exc), exc.lineno) from exc
    except TemplateError as exc:
        raise TemplateProblem(field, f"cannot render: {exc}") from exc


def check_prompt(prompt: Prompt) -> tuple[list[TemplateProblem], list[str]]:
    """Syntax and variables of every template: (problems, warnings)."""
    problems: list[TemplateProblem] = []
    for field, (required, extra) in TEMPLATE_VARIABLES.items():
        source: str = getattr(prompt, field)
        if field == "chat_system" and not source.strip():
            continue
        try:
            used = _used_variables(source)
        except TemplateSyntaxError as exc:
            problems.append(TemplateProblem(field, exc.message or str(exc), exc.lineno))
            continue
        problems.extend(_variable_problems(field, used, required, STATIC_VARIABLES | extra))
    return problems, _prompt_warnings(prompt)


def trial_render(config: ActiveConfig) -> None:
    """Render the evaluation templates once with sample data (raises TemplateProblem)."""
    static = static_variables(config)
    render_template(config.prompt, "system", static)
    for title in (None, "Sample title"):
        sample = {**SAMPLE_VARIABLES["evaluation"], "title": title}
        render_template(config.prompt, "evaluation", {**static, **sample})
    render_template(config.prompt, "repair", {**static, **SAMPLE_VARIABLES["repair"]})


def _used_variables(source: str) -> set[str]:
    """Names the template reads from its context, minus the environment's globals."""
    env = template_environment()
    return meta.find_undeclared_variables(env.parse(source)) - set(env.globals)


def _variable_problems(
    field: str, used: set[str], required: frozenset[str], allowed: frozenset[str]
) -> list[TemplateProblem]:
    problems = [
        TemplateProblem(field, f"the template must use {{{{ {name} }}}}")
        for name in sorted(required - used)
    ]
    for name in sorted(used - allowed):
        hint = " (the system part is cached across memos; use it in 'evaluation')"
        message = f"unknown variable '{name}'; available: {', '.join(sorted(allowed))}"
        problems.append(TemplateProblem(field, message + (hint if name == "memo" else "")))
    return problems


def _prompt_warnings(prompt: Prompt) -> list[str]:
    """Legal but probably unintended: configuration that would never reach the model."""
    warnings = []
    try:
        used = _used_variables(prompt.system)
    except TemplateSyntaxError:
        return []
    for name in ("frameworks", "context"):
        if name not in used:
            warnings.append(f"system does not use {{{{ {name} }}}}; it will not reach the model")
    if not prompt.chat_system.strip():
        warnings.append("chat_system is empty; chat uses the system template instead")
    return warnings
