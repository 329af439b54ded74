"""The projection runner over a log longer than its batch, the way a worker follows a live
store: in small batches, in its background loop (through a failing step), and giving up when the
log never reaches what it waits for. The log is the legacy store's (tests/fixtures/README.md),
and every view must come out row for row as the old code built it.

(tests/integration/test_legacy_store.py rebuilds the same views in one batch of 1,000 per view;
the runner's defaults.)
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from projections import ProjectionRunner, ViewDB, spine_projectors
from tests.integration.test_legacy_store import (  # noqa: F401 - fixtures
    app,
    as_old_columns,
    pristine,
    sqlite_env,
    view_tables,
)

BATCH = 7  # divides no view's share of the log evenly


def assert_views_as_the_old_code_built_them(old_file: Path, fresh: Path) -> None:
    old, new = view_tables(old_file), view_tables(fresh)
    assert len(old) >= 10 and set(old) <= set(new)
    for name, rows in old.items():
        rebuilt = as_old_columns(name, rows[0], new[name])
        assert rebuilt == rows, f"{name} differs from the view the old code built"


def test_a_runner_reading_small_batches_builds_every_view_as_the_old_code_did(
    app: Any,  # noqa: F811
    pristine: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    end = app.recorder.max_notification_id()
    assert end > 100 * BATCH  # many batches per view
    db = ViewDB(sqlite_env(tmp_path / "views.db"))
    try:
        runner = ProjectionRunner(app, db, spine_projectors(), batch=BATCH)
        views = len(runner.projectors)
        # One step reads one batch per view, from the start of the log, and moves each on by it.
        assert runner.run_once() == views * BATCH
        assert set(runner.positions().values()) == {BATCH}
        assert runner.run_once() == views * BATCH
        assert set(runner.positions().values()) == {2 * BATCH}
        runner.catch_up()
        assert set(runner.positions().values()) == {end}
        assert runner.run_once() == 0  # nothing left to read: nothing is read again
    finally:
        db.close()
    assert_views_as_the_old_code_built_them(pristine, tmp_path / "views.db")


def test_catch_up_gives_up_on_a_notification_the_log_never_reaches(
    app: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    end = app.recorder.max_notification_id()
    db = ViewDB(sqlite_env(tmp_path / "views.db"))
    try:
        runner = ProjectionRunner(app, db, spine_projectors())
        runner.catch_up()  # every view at the log's end: nothing more will come
        assert set(runner.positions().values()) == {end}
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=f"^views did not reach notification {end + 5}$"):
            runner.catch_up(until=end + 5, timeout=0.3)
        waited = time.monotonic() - started
        assert 0.3 <= waited < 5, waited  # it waited out its time-out, polling, then gave up
    finally:
        db.close()


class FailsOnce:
    """A view whose first event fails to apply, as a transient database error would."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.failed = False
        for attr in ("name", "schema_version", "ddl", "tables", "topic_prefixes"):
            setattr(self, attr, getattr(view, attr))

    def handle(self, db: Any, event: Any, notification_id: int) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("connection reset")
        self.view.handle(db, event, notification_id)


def test_the_worker_loop_survives_a_failing_step_and_stops_when_asked(
    app: Any,  # noqa: F811
    pristine: Path,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    end = app.recorder.max_notification_id()
    db = ViewDB(sqlite_env(tmp_path / "views.db"))
    projectors = spine_projectors()
    projectors[0] = FailsOnce(projectors[0])  # type: ignore[call-overload]
    stop = threading.Event()
    try:
        runner = ProjectionRunner(app, db, projectors, batch=500)
        worker = threading.Thread(target=runner.run_forever, args=(stop, 0.01), daemon=True)
        with caplog.at_level(logging.ERROR, logger="projections.runner"):
            worker.start()
            deadline = time.monotonic() + 30
            while min(runner.positions().values()) < end and time.monotonic() < deadline:
                time.sleep(0.02)
            assert set(runner.positions().values()) == {end}, "the worker stopped following"
            stop.set()
            worker.join(5)
        assert not worker.is_alive(), "the worker did not stop when asked"
        assert projectors[0].failed  # type: ignore[attr-defined]
        failures = [r for r in caplog.records if r.name == "projections.runner"]
        assert [r.getMessage() for r in failures] == ["projection step failed; retrying"]
        assert failures[0].exc_info and "connection reset" in str(failures[0].exc_info[1])
    finally:
        stop.set()
        db.close()
    # The failed step wrote nothing (its batch and position roll back together), and the
    # retry applied it once.
    assert_views_as_the_old_code_built_them(pristine, tmp_path / "views.db")


def test_an_idle_worker_wakes_up_for_what_is_written_later(sqlite_app: Any, tmp_path: Path) -> None:
    """The worker loop sleeps between empty polls and must still see events written after it
    went idle (it waits its interval, not until it is stopped)."""
    db = ViewDB(sqlite_env(tmp_path / "views.db"))
    stop = threading.Event()
    try:
        runner = ProjectionRunner(sqlite_app, db, spine_projectors())
        worker = threading.Thread(target=runner.run_forever, args=(stop, 0.01), daemon=True)
        worker.start()

        def reached(target: int) -> bool:
            deadline = time.monotonic() + 10
            while min(runner.positions().values()) < target and time.monotonic() < deadline:
                time.sleep(0.02)
            return min(runner.positions().values()) >= target

        assert reached(sqlite_app.max_notification_id())
        time.sleep(0.1)  # idle: several empty polls
        sqlite_app.warehouse.receive_stock("LAX", "SKU-TEA-001", 7, "late-receipt")
        assert reached(sqlite_app.max_notification_id()), "the idle worker never woke up"
        stock = db.query(
            "SELECT on_hand FROM view_stock WHERE warehouse_id = ? AND sku = ?",
            ("LAX", "SKU-TEA-001"),
        )
        assert [r["on_hand"] for r in stock] == [7]
        stop.set()
        worker.join(5)
        assert not worker.is_alive()
    finally:
        stop.set()
        db.close()
