"""Schemas of the YAML configuration files in `config/` (the admins' source of truth)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ConfigType = Literal["rubric", "frameworks", "context", "prompt", "llm", "auth"]
CONFIG_TYPES: tuple[ConfigType, ...] = ("rubric", "frameworks", "context", "prompt", "llm", "auth")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(Strict):
    min: int = 1
    max: int = 5

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale min ({self.min}) must be below max ({self.max})")
        return self


class Criterion(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1)
    weight: float = Field(gt=0)
    # Scoring guidance for every level of the scale, keyed by the level.
    guidance: dict[int, str]


class Rubric(Strict):
    name: str
    version: str = "1"
    description: str = ""
    scale: Scale = Scale()
    criteria: list[Criterion] = Field(min_length=1)
    # Filled by validation when the weights did not sum to 100 and were normalised.
    warnings: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"criterion ids must be unique; repeated: {', '.join(dupes)}")
        levels = set(range(self.scale.min, self.scale.max + 1))
        for c in self.criteria:
            missing = sorted(levels - set(c.guidance))
            extra = sorted(set(c.guidance) - levels)
            if missing:
                raise ValueError(f"criterion '{c.id}' has no guidance for level(s) {missing}")
            if extra:
                raise ValueError(f"criterion '{c.id}' has guidance outside the scale: {extra}")
        return self

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.criteria)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


class Framework(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    name: str
    description: str
    elements: list[str] = []
    when_to_use: str = ""


class Frameworks(Strict):
    frameworks: list[Framework] = Field(min_length=1)


class Context(Strict):
    organisation: str = ""
    audience: str = ""
    # Free text put in the prompt; may use {organisation} and {audience}.
    template: str


class Prompt(Strict):
    """Jinja2 templates. Required variables are checked by the loader."""

    system: str
    evaluation: str
    repair: str
    chat_system: str = ""


class ModelPrice(Strict):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)
    cache_write_per_mtok: float | None = Field(None, ge=0)


class LLMConfig(Strict):
    prices: dict[str, ModelPrice] = {}
    context_window_tokens: dict[str, int] = {}


class AuthSecurity(Strict):
    bcrypt_rounds: int = 12
    max_login_attempts: int = Field(5, ge=1)
    lockout_duration: int = Field(900, ge=1)
    max_accounts_per_address: int = Field(10, ge=2)
    rate_limit_per_minute: int = Field(60, ge=1)
    password_min_length: int = Field(12, ge=8)


class AuthJWT(Strict):
    secret_key: str | None = None
    algorithm: Literal["HS256"] = "HS256"
    expiration_hours: int = 24


class AuthSession(Strict):
    timeout: int = 3600
    secure_cookies: bool = False
    csrf_protection: bool = True


class AuthSection(Strict):
    enabled: bool = False
    mode: Literal["jwt_session", "session_only"] = "jwt_session"
    jwt: AuthJWT = AuthJWT()
    session: AuthSession = AuthSession()
    security: AuthSecurity = AuthSecurity()

    @field_validator("enabled", mode="before")
    @classmethod
    def _blank_is_false(cls, value: object) -> object:
        return False if value in ("", None) else value


class AuthConfig(Strict):
    authentication: AuthSection


SCHEMAS: dict[ConfigType, type[BaseModel]] = {
    "rubric": Rubric,
    "frameworks": Frameworks,
    "context": Context,
    "prompt": Prompt,
    "llm": LLMConfig,
    "auth": AuthConfig,
}


class ActiveConfig(BaseModel):
    """The validated configuration in force, with a version hash over all its files."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rubric: Rubric
    frameworks: Frameworks
    context: Context
    prompt: Prompt
    llm: LLMConfig
    auth: AuthConfig
    # sha256 (first 16 hex) of the expanded contents of every file, in CONFIG_TYPES order.
    version: str
    # Per-file hashes, so progress can tell rubric versions apart.
    hashes: dict[str, str] = {}
    # The stored version number of each file (config_versions.version), for admins.
    versions: dict[str, int] = {}

    @property
    def rubric_version(self) -> str:
        return f"{self.rubric.version}:{self.hashes.get('rubric', '')[:8]}"


class RubricOut(Rubric):
    """The active rubric as the API shows it, with the versions it is known by."""

    config_version: str = Field(description="The whole configuration's version")
    rubric_version: str = Field(description="The rubric's own version, as evaluations record it")


class FrameworksOut(Frameworks):
    config_version: str


class ClientSettings(BaseModel):
    """What a client needs to build its forms: limits, modes and who evaluates."""

    memo_min_chars: int
    memo_max_chars: int
    title_max_chars: int
    chat_max_chars: int
    debug_mode: bool
    auth_enabled: bool
    session_timeout: int = Field(description="Seconds of inactivity before a session ends")
    provider: str
    model: str
    provider_label: str = Field(description='Who evaluates, e.g. "offline analysis"')
    config_version: str
