"""This process's read side: the view database, the one projection runner that fills it, and
read-your-writes for whoever reads the views (the use cases' view ports, the API's list reads).

One runner per process: its lock keeps two threads from projecting the same batch twice. It is
built on first use, because building it creates the view tables: an application that never
reads a view (a Kafka consumer, a test on the event store alone) leaves the database as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from projections import spine_projectors
from projections.db import ViewDB
from projections.runner import ProjectionRunner, Projector


class LiveViews:
    def __init__(
        self,
        log: Any,
        db: ViewDB,
        *,
        inline: bool = True,
        projectors: Callable[[], list[Projector]] = spine_projectors,
    ) -> None:
        """`log` is the event store (its notification log is read); `inline` False leaves the
        views to separate `crossdock project` workers, so reads do not catch up themselves."""
        self.db = db
        self.inline = inline
        self._log = log
        self._projectors = projectors
        self._runner: ProjectionRunner | None = None
        self._lock = threading.Lock()

    @property
    def runner(self) -> ProjectionRunner:
        with self._lock:
            if self._runner is None:
                self._runner = ProjectionRunner(self._log, self.db, self._projectors())
            return self._runner

    def fresh(self, until: int | None = None) -> None:
        """Read-your-writes: bring the views up to the log's end (or a given position)."""
        if self.inline or until is not None:
            self.runner.catch_up(until=until)

    def close(self) -> None:
        self.db.close()
