"""Deleting a memo leaves nothing behind: every table that points at a submission or an
evaluation goes with it (CASCADE), so a table added later cannot keep what a writer deleted."""

from __future__ import annotations

import memoai.models  # noqa: F401  (every table registered)
from memoai.db import Base

MEMO_TABLES = {"submissions", "evaluations"}
# The one link that outlives its target on purpose: a revision of a deleted earlier text.
KEPT = {("submissions", "revision_of_id")}


def test_every_reference_to_a_memo_is_deleted_with_it() -> None:
    references = [
        (table.name, fk.parent.name, fk.ondelete)
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name in MEMO_TABLES
    ]
    assert len(references) >= 4  # evaluations, chats, debug records at least
    wrong = [
        (table, column, ondelete)
        for table, column, ondelete in references
        if (table, column) not in KEPT and (ondelete or "").upper() != "CASCADE"
    ]
    assert wrong == [], "point these at memos with ondelete='CASCADE' (or delete them in memos)"
