"""Export domain."""
