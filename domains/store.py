"""The event store every context writes to, and the one way to retry a conflicting write.

One store for the whole backend (an order's reservation touches Order and Inventory and must be
ONE atomic save). The contexts' use cases (domains/<context>/application.py) receive it by
constructor; none of them knows which persistence module is behind it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition
from domains.orders.backorders import BackorderQueue
from domains.orders.model import Order
from domains.ports import Clock
from domains.reference.model import Dealer, Registry
from domains.settlement.model import CarrierBill
from domains.warehouse.model import Inventory
from domains.warehouse.picking import PickList

T = TypeVar("T")
MAX_CONFLICT_RETRIES = 30
Touched = dict[UUID, Any]


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def retry_on_conflict(
    attempt: Callable[[int], T],
    *,
    tries: int = MAX_CONFLICT_RETRIES,
    on_conflict: Callable[[], None] | None = None,
    backoff_s: float = 0.001,
    gave_up: str = "kept conflicting with concurrent writers; retry",
) -> T:
    """Runs `attempt(n)` until it saves without an optimistic-concurrency conflict.

    A conflict (`IntegrityError`: another writer saved one of the same aggregates first) means
    the attempt decided on stale state, so it is run again from fresh reads, after a short,
    growing pause; `on_conflict` drops whatever the failed attempt changed in memory. After
    `tries` conflicts the caller is told to retry later (409)."""
    for n in range(tries):
        try:
            return attempt(n)
        except IntegrityError:
            if on_conflict is not None:
                on_conflict()
            time.sleep(backoff_s * (1 + n))
    raise InvalidTransition(gave_up)


class Store(Application[UUID]):
    """The eventsourcing application that holds every stream (named Crossdock: its settings may
    be prefixed CROSSDOCK_). Persistence is chosen by environment (adapters/bootstrap.py)."""

    name = "Crossdock"
    snapshotting_intervals = {
        Order: 50,
        Inventory: 200,
        Dealer: 200,
        Registry: 200,
        PickList: 100,
        BackorderQueue: 200,
        CarrierBill: 100,  # one event per discrepancy: a bill's page reads a snapshot
    }
    REFERENCE_TTL_S = 2.0

    def __init__(self, env: dict[str, str] | None = None, *, clock: Clock | None = None) -> None:
        super().__init__(env)
        self.clock: Clock = clock or UtcClock()
        ttl = self.env.get("REFERENCE_TTL_S")
        if ttl:  # how stale cached reference data may get when nothing asks for what it lacks
            self.REFERENCE_TTL_S = float(ttl)

    # ------------------------------------------------------------------ reads
    def get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def read_fresh(self, aggregate_id: UUID) -> Any:
        """Like `get_or_none`, but rebuilt from the store (snapshot and events) past the
        repository's cache: for an aggregate that is only compared and answered with, the
        cache's defensive deep copy costs more than the read, and the cached object itself may
        be fast-forwarded by another thread while it is being answered with."""
        try:
            return self.repository.get(aggregate_id, version=sys.maxsize)
        except AggregateNotFoundError:
            return None

    def registry(self) -> Registry:
        registry = self.get_or_none(Registry.create_id())
        return registry if registry is not None else Registry()

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    def changed_since(self, position: int, topics: list[str]) -> bool:
        """Whether any event of these topics was recorded after `position` (one indexed look at
        the notification log): how cached reference data notices other processes' changes."""
        return bool(
            self.recorder.select_notifications(
                start=position, limit=1, topics=topics, inclusive_of_start=False
            )
        )

    # ------------------------------------------------------------------ writes
    def commit(self, *aggregates: Aggregate | None) -> int:
        """Records the aggregates' pending events in one transaction; returns the highest
        notification id."""
        return max(self.commit_ids(*aggregates), default=0)

    def commit_ids(self, *aggregates: Aggregate | None) -> list[int]:
        """Like `Application.save` for our own aggregates, without its runtime Protocol checks
        per object (a measurable share of batched intake); returns the notification ids."""
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            if aggregate is None:
                continue
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return [r.notification.id for r in recordings]

    def retry(self, step: Callable[[Touched], T]) -> tuple[T, int]:
        """A command that reads, decides and records: `step` loads what it needs, changes it
        and lists every aggregate it changed in `touched`; they are saved together. On a
        conflict the step runs again from fresh reads. Answers the step's result and the
        notification id (0 when nothing changed)."""

        def attempt(_: int) -> tuple[T, int]:
            touched: Touched = {}
            result = step(touched)
            return result, (self.commit(*touched.values()) if touched else 0)

        return retry_on_conflict(attempt)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots the saved aggregates whose new events crossed a snapshotting interval.
        The aggregate in memory IS the recorded state (its events were just saved), so it is
        snapshotted as it stands instead of being read back from the store."""
        if not (self.snapshots and self.snapshotting_intervals):
            return
        first: dict[UUID, int] = {}
        for e in processing_event.events:
            if e.originator_id not in first:
                first[e.originator_id] = e.originator_version
        snapshots = []
        for aggregate_id, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or aggregate_id not in first:
                continue
            if aggregate.version // interval * interval >= first[aggregate_id]:
                snapshot_class: Any = type(aggregate).Snapshot  # type: ignore[attr-defined]
                snapshots.append(snapshot_class.take(aggregate))
        if snapshots:
            self.snapshots.put(snapshots)
