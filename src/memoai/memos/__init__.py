"""A writer's memos: each memo is a revision chain of submissions, listed, searched and deleted."""
