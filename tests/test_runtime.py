"""The server process's collector settings (memoai serve/api/web call tune_collector)."""

from __future__ import annotations

import gc

from memoai.runtime import GC_THRESHOLDS, tune_collector


def test_tune_collector_freezes_the_heap_and_collects_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 10_000  # the imported heap, out of the collector's sight
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
