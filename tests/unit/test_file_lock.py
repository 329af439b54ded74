"""The intake lock for SQLite stores holds across processes, not only threads."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

from adapters.file_lock import ProcessLock


def _hold(path: str, held: mp.Event, release: mp.Event) -> None:  # type: ignore[type-arg]
    with ProcessLock(Path(path)):
        held.set()
        release.wait(10)


def test_a_second_process_waits_until_the_first_releases(tmp_path):
    path = tmp_path / "events.db.intake-lock"
    ctx = mp.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    other = ctx.Process(target=_hold, args=(str(path), held, release))
    other.start()
    try:
        assert held.wait(30), "the other process never took the lock"
        lock = ProcessLock(path)
        started = time.monotonic()
        ctx_release = ctx.Process(target=_release_later, args=(release,))
        ctx_release.start()
        with lock:
            waited = time.monotonic() - started
        ctx_release.join(10)
        assert waited >= 0.25, f"took the lock after {waited:.3f}s while another process held it"
    finally:
        release.set()
        other.join(10)
    with ProcessLock(path):  # free again, and re-entrant use after release works
        pass


def _release_later(release: mp.Event) -> None:  # type: ignore[type-arg]
    time.sleep(0.3)
    release.set()
