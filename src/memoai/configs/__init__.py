"""Configs domain."""
