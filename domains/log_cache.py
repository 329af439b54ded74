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
    every `store.REFERENCE_TTL_S` seconds. The log position is read BEFORE building, so a change
    recorded while building is seen at the next look."""

    def __init__(self, app: Any, topics: list[str], build: Callable[[], T]) -> None:
        self.app = app
        self.topics = topics
        self.build = build
        self._value: T | None = None
        self._position = 0
        self._checked_at = 0.0

    def get(self) -> T:
        if self._value is not None:
            now = time.monotonic()
            if now - self._checked_at < self.app.REFERENCE_TTL_S:
                return self._value
            if not self.app.changed_since(self._position, self.topics):
                self._checked_at = now
                return self._value
        position = self.app.max_notification_id()
        value = self.build()
        self._value, self._position, self._checked_at = value, position, time.monotonic()
        return value

    def invalidate(self) -> None:
        self._value = None
