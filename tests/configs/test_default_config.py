"""The configuration shipped in config/ works out of the box and says what the seed says."""

from __future__ import annotations

from pathlib import Path

import pytest

from memoai.configs.loader import load_active_config, validate_config
from memoai.configs.schemas import CONFIG_TYPES
from memoai.settings import DEFAULT_MODELS

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config"


@pytest.mark.parametrize("config_type", CONFIG_TYPES)
def test_each_default_file_validates_without_warnings(config_type: str) -> None:
    text = (DEFAULT_CONFIG / f"{config_type}.yaml").read_text(encoding="utf-8")
    _, warnings = validate_config(config_type, text, {})
    assert warnings == []


def test_default_rubric_is_complete() -> None:
    rubric = load_active_config(DEFAULT_CONFIG, {}).rubric
    ids = [c.id for c in rubric.criteria]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert {"purpose_and_ask", "business_case", "audience_and_tone"} <= set(ids)
    assert rubric.total_weight == 100
    assert (rubric.scale.min, rubric.scale.max) == (1, 5)
    for criterion in rubric.criteria:
        texts = [criterion.guidance[level] for level in range(1, 6)]
        assert len(set(texts)) == 5, criterion.id
        assert all(len(text) > 30 for text in texts), criterion.id
    assert "healthcare" in rubric.description


def test_default_frameworks_cover_the_classics() -> None:
    frameworks = load_active_config(DEFAULT_CONFIG, {}).frameworks.frameworks
    ids = {f.id for f in frameworks}
    assert {"pyramid_principle", "scqa", "bluf", "mece"} <= ids
    assert all(f.elements and f.when_to_use for f in frameworks)


def test_default_auth_matches_the_seed() -> None:
    auth = load_active_config(DEFAULT_CONFIG, {}).auth.authentication
    assert auth.enabled is False
    assert auth.mode == "jwt_session"
    assert auth.jwt.expiration_hours == 24 and auth.jwt.algorithm == "HS256"
    assert not auth.jwt.secret_key
    assert (auth.session.timeout, auth.session.secure_cookies) == (3600, False)
    assert auth.session.csrf_protection is True
    assert auth.security.bcrypt_rounds == 12
    assert (auth.security.max_login_attempts, auth.security.lockout_duration) == (5, 900)
    assert auth.security.rate_limit_per_minute == 60


def test_environment_overrides_auth_and_context() -> None:
    env = {
        "AUTH_ENABLED": "true",
        "JWT_SECRET_KEY": "s" * 64,
        "SESSION_TIMEOUT": "7200",
        "SECURE_COOKIES": "true",
        "MEMOAI_ORGANISATION": "Riverside Care",
    }
    config = load_active_config(DEFAULT_CONFIG, env)
    auth = config.auth.authentication
    assert auth.enabled is True and auth.jwt.secret_key == "s" * 64
    assert auth.session.timeout == 7200 and auth.session.secure_cookies is True
    assert config.context.organisation == "Riverside Care"


def test_prices_and_context_windows_cover_the_default_models() -> None:
    llm = load_active_config(DEFAULT_CONFIG, {}).llm
    for model in DEFAULT_MODELS.values():
        assert model in llm.prices and model in llm.context_window_tokens
    sonnet = llm.prices["claude-sonnet-4-5"]
    assert (sonnet.input_per_mtok, sonnet.output_per_mtok) == (3, 15)
    assert (sonnet.cached_input_per_mtok, sonnet.cache_write_per_mtok) == (0.30, 3.75)
    assert llm.prices["gpt-4o-mini"].output_per_mtok == 0.60
    assert llm.prices[DEFAULT_MODELS["offline"]].input_per_mtok == 0


def test_default_version_is_stable() -> None:
    first = load_active_config(DEFAULT_CONFIG, {})
    again = load_active_config(DEFAULT_CONFIG, {})
    assert first.version == again.version
    assert first.rubric_version.startswith("1.0:")
