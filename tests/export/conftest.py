"""The progress tests' API fixture, shared with the export tests."""

from tests.progress.conftest import api

__all__ = ["api"]
