"""Follows the notification log and keeps the views up to date, exactly once.

Polling `select_notifications` works on every store (the SQLite recorder has no subscriptions).
Each batch of events and the view's new position commit together; a crash re-reads at most the
uncommitted batch. Dropping a view resets its position, and replay rebuilds it identically.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from projections.db import ViewDB

TRACKING_DDL = """CREATE TABLE IF NOT EXISTS projection_tracking (
    name TEXT PRIMARY KEY, position BIGINT NOT NULL)"""


SCHEMA_DDL = """CREATE TABLE IF NOT EXISTS projection_schema (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL)"""


class Projector:
    """A view: its tables, the event topics it cares about, and how each event changes it."""

    name = ""
    schema_version = 1
    ddl: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    topic_prefixes: tuple[str, ...] = ()

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        raise NotImplementedError


class ProjectionRunner:
    def __init__(self, app: Any, db: ViewDB, projectors: list[Projector], batch: int = 1000):
        """`app` is what holds the notification log: the event store, or the Crossdock over
        it (either has `recorder`, `mapper` and `max_notification_id()`)."""
        self.app = app
        self.db = db
        self.projectors = projectors
        self.batch = batch
        self._lock = threading.Lock()
        self.setup()

    def setup(self) -> None:
        """Create the views; a view whose shape changed (schema_version) is dropped and rebuilt
        from the log, which is always possible because views hold nothing of their own.
        Several processes may start at once: on PostgreSQL the DDL runs under an advisory
        lock (concurrent CREATE ... IF NOT EXISTS can fail there)."""
        if self.db.dialect == "postgres":
            with self.db.transaction() as tx:
                tx.execute("SELECT pg_advisory_xact_lock(7164212002)")
                self._setup()
        else:
            self._setup()

    def _setup(self) -> None:
        self.db.execute(TRACKING_DDL)
        self.db.execute(SCHEMA_DDL)
        for p in self.projectors:
            rows = self.db.query("SELECT version FROM projection_schema WHERE name = ?", (p.name,))
            if rows and int(rows[0]["version"]) != p.schema_version:
                with self.db.transaction() as tx:
                    for table in p.tables:
                        tx.execute(f"DROP TABLE IF EXISTS {table}")
                    tx.execute("DELETE FROM projection_tracking WHERE name = ?", (p.name,))
            for ddl in p.ddl:
                self.db.execute(ddl)
            self.db.execute(
                "INSERT INTO projection_schema (name, version) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                (p.name, p.schema_version),
            )

    def position(self, name: str) -> int:
        rows = self.db.query("SELECT position FROM projection_tracking WHERE name = ?", (name,))
        return int(rows[0]["position"]) if rows else 0

    def positions(self) -> dict[str, int]:
        return {p.name: self.position(p.name) for p in self.projectors}

    def run_once(self) -> int:
        """Process up to one batch per projector; returns the number of notifications read."""
        with self._lock:
            return sum(self._step(p) for p in self.projectors)

    def _step(self, projector: Projector) -> int:
        start = self.position(projector.name)
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.batch, inclusive_of_start=False
        )
        if not notifications:
            return 0
        mapper = self.app.mapper
        with self.db.transaction() as tx:
            for n in notifications:
                if n.topic.startswith(projector.topic_prefixes):
                    projector.handle(tx, mapper.to_domain_event(n), n.id)
            tx.execute(
                "INSERT INTO projection_tracking (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (projector.name, notifications[-1].id),
            )
        return len(notifications)

    def catch_up(self, until: int | None = None, timeout: float = 30.0) -> None:
        """Run until every view has read the log up to `until` (default: its current end)."""
        target = self.app.max_notification_id() if until is None else until
        deadline = time.monotonic() + timeout
        while min(self.positions().values(), default=target) < target:
            if self.run_once() == 0:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"views did not reach notification {target}")
                time.sleep(0.01)

    def rebuild(self, name: str | None = None) -> None:
        """Drop a view (or all) and replay the whole log into it from zero."""
        with self._lock:
            for p in self.projectors:
                if name is not None and p.name != name:
                    continue
                with self.db.transaction() as tx:
                    for table in p.tables:
                        tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
                    tx.execute("DELETE FROM projection_tracking WHERE name = ?", (p.name,))
        self.catch_up()

    def run_forever(self, stop: threading.Event, interval: float = 0.2) -> None:
        while not stop.is_set():
            try:
                if self.run_once() == 0:
                    stop.wait(interval)
            except Exception:  # a transient DB error must not kill the worker
                import logging

                logging.getLogger(__name__).exception("projection step failed; retrying")
                stop.wait(1.0)
