"""Which provider the settings ask for, and what its tokens cost."""

from __future__ import annotations

from memoai.configs.schemas import ModelPrice
from memoai.llm.base import Provider, Usage
from memoai.settings import Settings

PER_MILLION = 1_000_000


def make_provider(settings: Settings) -> Provider:
    """Build the configured provider (raises LLMError LLM_NOT_CONFIGURED without a key).

    SDK clients are imported lazily so the offline default never loads them; build one provider
    per process and reuse it, since each remote provider owns a connection pool.
    """
    if settings.provider == "claude":
        from memoai.llm.anthropic import ClaudeProvider

        return ClaudeProvider(settings)
    if settings.provider == "openai":
        from memoai.llm.openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(settings)
    from memoai.llm.offline import OfflineProvider

    return OfflineProvider()


def estimate_cost(usage: Usage, model: str, prices: dict[str, ModelPrice]) -> float | None:
    """US dollars for one call, or None for a model without a price (never a guess).

    `usage.prompt_tokens` is the whole prompt; the cached and cache-written parts of it are
    billed at their own prices when the model has them, else at the input price.
    """
    price = prices.get(model)
    if price is None:
        return None
    cached = usage.cached_tokens
    written = usage.cache_write_tokens
    fresh = max(0, usage.prompt_tokens - cached - written)
    cached_price = price.cached_input_per_mtok
    write_price = price.cache_write_per_mtok
    dollars = (
        fresh * price.input_per_mtok
        + cached * (price.input_per_mtok if cached_price is None else cached_price)
        + written * (price.input_per_mtok if write_price is None else write_price)
        + usage.completion_tokens * price.output_per_mtok
    )
    return round(dollars / PER_MILLION, 6)
