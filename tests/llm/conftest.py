"""The fake provider servers and sample prompts for the provider tests."""

from tests.fakes.fixtures import (
    anthropic_fake,
    anthropic_server,
    openai_fake,
    openai_server,
    sample_prompt,
    sample_rubric,
)

__all__ = [
    "anthropic_fake",
    "anthropic_server",
    "openai_fake",
    "openai_server",
    "sample_prompt",
    "sample_rubric",
]
