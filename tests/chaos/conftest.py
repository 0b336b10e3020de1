"""The chaos test's fake model server."""

from tests.fakes.fixtures import anthropic_fake, anthropic_server

__all__ = ["anthropic_fake", "anthropic_server"]
