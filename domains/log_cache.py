"""Values derived from the event store that change rarely (reference data, rate cards, customs
rules), kept in memory and rebuilt only when the notification log says they changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class LogCached(Generic[T]):
    """`build()`'s value, kept until an event of `topics` is recorded after it was built.

    Changes made through the application call `invalidate()`; changes by other processes are
    noticed by one indexed look at the notification log (`store.changed_since`), taken at most
    every `store.REFERENCE_TTL_S` seconds by `get()`, and at once by `latest()`: what a caller
    asks before it answers that something is unknown (read-your-writes across processes: a
    change another process acknowledged is in the log before its answer). The log position is
    read BEFORE building, so a change recorded while building is seen at the next look."""

    def __init__(self, app: Any, topics: list[str], build: Callable[[], T]) -> None:
        self.app = app
        self.topics = topics
        self.build = build
        self._value: T | None = None
        self._position = 0  # the value holds every event of `topics` up to here
        self._head = -1  # the log's last notification id at the last look
        self._checked_at = 0.0

    def get(self) -> T:
        """The value, looking at the log at most every `REFERENCE_TTL_S` seconds: the fast
        path, for answers that a change a moment old cannot turn into a refusal."""
        if self._value is not None:
            if time.monotonic() - self._checked_at < self.app.REFERENCE_TTL_S:
                return self._value
            return self._look()
        return self._reload(self.app.max_notification_id())

    def latest(self) -> T:
        """The value as of everything recorded by now, by any process: one read of the log's
        head and, only when the log moved since the last look, one indexed look for events of
        `topics` (and a reload if there is one). The miss path: ask it before answering
        "unknown", never per request."""
        if self._value is None:
            return self._reload(self.app.max_notification_id())
        return self._look()

    def held(self) -> T:
        """The value as held, with no look at the log: for a caller that has just read the log
        for events of `topics` itself (and called `latest()` when it found one)."""
        if self._value is not None:
            return self._value
        return self._reload(self.app.max_notification_id())

    def invalidate(self) -> None:
        self._value = None

    def _look(self) -> T:
        head = self.app.max_notification_id()
        value = self._value
        if value is not None and head == self._head:
            self._checked_at = time.monotonic()
            return value
        if value is None or self.app.changed_since(self._position, self.topics):
            return self._reload(head)
        # Nothing of ours up to `head` (notifications become visible in id order): the next
        # look starts there instead of rescanning everything recorded since the build.
        self._position, self._head, self._checked_at = head, head, time.monotonic()
        return value

    def _reload(self, head: int) -> T:
        """Builds the value; `head` was read before, so whatever is recorded meanwhile is
        after the position and seen at the next look."""
        value = self.build()
        self._value, self._position, self._head = value, head, head
        self._checked_at = time.monotonic()
        return value
