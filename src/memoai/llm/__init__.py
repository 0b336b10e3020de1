"""Llm domain."""
