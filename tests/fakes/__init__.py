"""Fake provider servers (Anthropic Messages, OpenAI Chat Completions) for tests and benchmarks."""
