"""A metric's target, as an admin sets it: one stream per metric, each change an event with
the value, who set it and when (the time is the use case's clock, passed in)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import stable_id


class MetricTarget(Aggregate):
    @staticmethod
    def create_id(metric: str) -> UUID:
        return stable_id("metric-target", metric)

    @event("Created")
    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.value: str | None = None
        self.set_by: str | None = None
        self.set_at: str | None = None

    def set_target(self, value: str, unit: str, set_by: str, set_at: str, note: str) -> None:
        """`value` is a decimal string in the metric's unit (a ratio as 0.05, not 5 %)."""
        Decimal(value)  # a decimal, or the event is not recorded
        self._target_set(self.metric, value, unit, set_by, set_at, note)

    @event("TargetSet")
    def _target_set(
        self, metric: str, value: str, unit: str, set_by: str, set_at: str, note: str
    ) -> None:
        self.value = value
        self.set_by = set_by
        self.set_at = set_at
