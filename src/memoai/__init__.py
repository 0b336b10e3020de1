"""Memo AI Coach."""
