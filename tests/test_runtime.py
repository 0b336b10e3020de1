"""The server process's collector settings (memoai serve/api/web call tune_collector), and
the pause the PDF report renders under."""

from __future__ import annotations

import gc
import threading

import pytest

from memoai.runtime import GC_THRESHOLDS, collector_paused, tune_collector


def test_tune_collector_freezes_the_heap_and_collects_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 10_000  # the imported heap, out of the collector's sight
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_collector_is_paused_while_any_block_runs_and_resumes_after_the_last() -> None:
    assert gc.isenabled()
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_thread() -> None:
        with collector_paused():
            inner_started.set()
            outer_may_end.wait(5)
            seen.append(gc.isenabled())

    with collector_paused():
        assert not gc.isenabled()
        worker = threading.Thread(target=other_thread)
        worker.start()
        assert inner_started.wait(5)
    assert not gc.isenabled()  # the other thread's block still runs
    outer_may_end.set()
    worker.join(5)
    assert seen == [False] and gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failing block")
    assert gc.isenabled()
