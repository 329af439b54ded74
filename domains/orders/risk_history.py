"""What the risk rules (domains/orders/risk.py) compare an order with, and their settings.

`RiskHistory` is the intake process's memory of recent orders: per customer (pseudonymous
subject id) their order values and times, per address (blind index) its orders and customers,
per channel running statistics of log order value and log largest line quantity (Welford).
Bounded per key; an order is remembered once (by id) and never compared with itself, so a
re-review after a release sees the same history. A batch adds its orders to a `pending` overlay
that reaches the shared history only once the batch is saved.

`RiskSettings` is versioned reference data: the weights, thresholds and hold score an admin
publishes (`PUT /v1/admin/risk-settings`); each review cites the version it was decided under.

Pure: standard library and the event-sourcing domain only.
"""

from __future__ import annotations

import copy
import itertools
import math
import statistics
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import stable_id

PER_KEY = 50  # orders remembered per customer and per address
MAX_KEYS = 200_000  # customers, addresses and order ids remembered (the oldest half forgotten)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class HistoryFacts:
    customer_orders: int = 0
    customer_median_eur: float = 0.0
    customer_last_hour: int = 0
    customer_before_today: int = 0  # orders placed more than a day before this one
    address_orders: int = 0  # within the settings' address_days
    address_customers: int = 0  # other customers to this address within address_days
    address_last_hour: int = 0
    channel_value: tuple[int, float, float] | None = None  # (n, mean, sd) of log1p(EUR)
    channel_quantity: tuple[int, float, float] | None = None  # of log(largest line qty)


@dataclass(frozen=True)
class Seen:
    order_id: UUID
    at: datetime
    customer: str | None
    address: str | None
    channel: str
    value_eur: float
    max_quantity: int


class _Running:
    """Welford's running mean and variance."""

    __slots__ = ("n", "mean", "m2")

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, x: float) -> None:
        self.n += 1
        d = x - self.mean
        self.mean += d / self.n
        self.m2 += d * (x - self.mean)

    def stats(self) -> tuple[int, float, float] | None:
        if self.n < 2:
            return None
        return self.n, self.mean, math.sqrt(self.m2 / (self.n - 1))


class RiskHistory:
    def __init__(self) -> None:
        self.customers: dict[str, deque[Seen]] = {}
        self.addresses: dict[str, deque[Seen]] = {}
        self.values: dict[str, _Running] = {}
        self.quantities: dict[str, _Running] = {}
        self.seen: dict[UUID, None] = {}

    def remember(self, entries: list[Seen]) -> None:
        for s in entries:
            if s.order_id in self.seen:
                continue
            self.seen[s.order_id] = None
            if s.customer:
                self.customers.setdefault(s.customer, deque(maxlen=PER_KEY)).append(s)
            if s.address:
                self.addresses.setdefault(s.address, deque(maxlen=PER_KEY)).append(s)
            self.values.setdefault(s.channel, _Running()).add(math.log1p(s.value_eur))
            self.quantities.setdefault(s.channel, _Running()).add(math.log(max(s.max_quantity, 1)))
        indexes: tuple[dict[Any, Any], ...] = (self.customers, self.addresses, self.seen)
        for index in indexes:
            if len(index) > MAX_KEYS:  # dicts keep insertion order: the oldest go first
                for key in list(itertools.islice(index, len(index) // 2)):
                    del index[key]

    def facts(self, me: Seen, pending: list[Seen], address_days: int) -> HistoryFacts:
        """`me` against the history and the batch's `pending` orders (not itself)."""

        def others(key: str | None, index: dict[str, deque[Seen]], attr: str) -> list[Seen]:
            if not key:
                return []
            stored = [s for s in index.get(key, ()) if s.order_id != me.order_id]
            return stored + [
                s for s in pending if getattr(s, attr) == key and s.order_id != me.order_id
            ]

        mine = others(me.customer, self.customers, "customer")
        there = others(me.address, self.addresses, "address")
        window = me.at - timedelta(days=address_days)
        recent = [s for s in there if window <= s.at <= me.at]
        return HistoryFacts(
            customer_orders=len(mine),
            customer_median_eur=statistics.median(s.value_eur for s in mine) if mine else 0.0,
            customer_last_hour=sum(me.at - HOUR <= s.at <= me.at for s in mine),
            customer_before_today=sum(s.at < me.at - DAY for s in mine),
            address_orders=len(recent),
            address_customers=len({s.customer for s in recent if s.customer != me.customer}),
            address_last_hour=sum(me.at - HOUR <= s.at <= me.at for s in there),
            channel_value=(r.stats() if (r := self.values.get(me.channel)) else None),
            channel_quantity=(r.stats() if (r := self.quantities.get(me.channel)) else None),
        )


class RiskSettings(Aggregate):
    """The risk rules' weights and thresholds as published (version 0: the defaults)."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("risk-settings")

    @event("Created")
    def __init__(self, defaults: dict[str, Any]) -> None:
        self.settings = copy.deepcopy(defaults)

    @event("Published")
    def publish(self, settings: dict[str, Any], published_by: str, note: str) -> None:
        self.settings = settings

    @property
    def published_version(self) -> int:
        return 0 if self.pending_events and self.version == 1 else self.version - 1

    def details(self) -> dict[str, Any]:
        return {"version": self.published_version, **self.settings}


RISK_TOPICS = [f"domains.orders.risk_history:RiskSettings.{n}" for n in ("Created", "Published")]


def merged_settings(defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """An admin's settings over the defaults: unknown weights or thresholds are refused."""
    out = copy.deepcopy(defaults)
    for key in ("hold_at", "exempt_channels"):
        if key in given:
            out[key] = given[key]
    for group in ("weights", "thresholds"):
        unknown = set(given.get(group) or {}) - set(defaults[group])
        if unknown:
            raise ValueError(f"unknown {group}: {', '.join(sorted(unknown))}")
        out[group].update(given.get(group) or {})
    return out
