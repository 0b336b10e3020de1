"""Ops domain."""
