"""Progress domain."""
