"""Choosing the provider from settings, and what a call costs."""

from __future__ import annotations

import pytest

from memoai.api import ErrorCode
from memoai.configs.schemas import ModelPrice
from memoai.llm.base import LLMError, Usage
from memoai.llm.registry import estimate_cost, make_provider
from memoai.settings import load_settings

PRICES = {
    "claude-test": ModelPrice(
        input_per_mtok=3.0,
        output_per_mtok=15.0,
        cached_input_per_mtok=0.3,
        cache_write_per_mtok=3.75,
    ),
    "plain": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0),
}


def test_claude_without_a_key_is_not_configured() -> None:
    with pytest.raises(LLMError) as caught:
        make_provider(load_settings(llm_provider="claude", claude_api_key=None))
    assert caught.value.code == ErrorCode.LLM_NOT_CONFIGURED


def test_remote_providers_are_chosen_by_settings() -> None:
    claude = make_provider(load_settings(llm_provider="claude", claude_api_key="k"))
    assert (claude.name, claude.label) == ("claude", "Claude (claude-sonnet-4-5)")
    local = make_provider(
        load_settings(llm_provider="openai", llm_base_url="http://127.0.0.1:9/v1", llm_model="qwen")
    )
    assert (local.name, local.label) == ("openai", "qwen (OpenAI-compatible)")


def test_offline_is_the_default_without_a_key() -> None:
    pytest.importorskip("memoai.llm.offline")
    provider = make_provider(load_settings(llm_provider=None, claude_api_key=None))
    assert provider.name == "offline"


def test_cached_and_written_tokens_have_their_own_prices() -> None:
    usage = Usage(
        prompt_tokens=1_000_000,
        completion_tokens=100_000,
        cached_tokens=600_000,
        cache_write_tokens=200_000,
    )
    # 200k fresh at $3, 600k cached at $0.30, 200k written at $3.75, 100k output at $15
    assert estimate_cost(usage, "claude-test", PRICES) == pytest.approx(0.6 + 0.18 + 0.75 + 1.5)


def test_without_cache_prices_everything_is_input() -> None:
    usage = Usage(prompt_tokens=2_000, completion_tokens=1_000, cached_tokens=1_000)
    assert estimate_cost(usage, "plain", PRICES) == pytest.approx(0.004)


def test_an_unknown_model_has_no_cost() -> None:
    assert estimate_cost(Usage(prompt_tokens=10), "mystery", PRICES) is None
