"""Evaluations domain."""
