"""The arithmetic of the health metrics. Pure: rows from the views and a period in, values out;
no clock (the period and its end are passed in), no I/O.

Every metric is a list of samples, each dated by the day it belongs to (a parcel's dispatch or
delivery day, a declaration's submission day), folded by one of three aggregators: the median
of durations (with p90), the share of samples that are true, or a ratio of sums. The value is
the fold over the period's samples; the trend is the same fold over each week or month.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
PLACES = {"hours": 2, "days": 2, "ratio": 4, "times": 2, "money": 2}
CUSTOMS_DELAY_OVER = timedelta(hours=48)


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included, and how the trend is bucketed ("week": ISO
    weeks, Monday first; "month": calendar months)."""

    start: date
    end: date
    bucket: str = "week"

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def closes_at(self) -> datetime:
        """The instant the period ends (midnight after its last day, UTC)."""
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time(), UTC)

    def bucket_of(self, day: date) -> str:
        if self.bucket == "month":
            return f"{day.year:04d}-{day.month:02d}"
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"

    def buckets(self) -> list[tuple[str, date, date]]:
        """(label, first day, last day) of each bucket, clipped to the period."""
        out: list[tuple[str, date, date]] = []
        day = self.start
        while day <= self.end:
            label = self.bucket_of(day)
            last = day
            while (
                last + timedelta(days=1) <= self.end
                and self.bucket_of(last + timedelta(days=1)) == label
            ):
                last += timedelta(days=1)
            out.append((label, day, last))
            day = last + timedelta(days=1)
        return out


@dataclass
class Result:
    value: Decimal | None
    stats: dict[str, Any] = field(default_factory=dict)
    trend: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers
def when(text: str | None) -> datetime | None:
    """A view's ISO timestamp as an aware UTC datetime (naive text is UTC)."""
    if not text:
        return None
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def rounded(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-PLACES[unit]), ROUND_HALF_UP)


def matches(row: Mapping[str, Any], filters: Mapping[str, str | None], dims: Sequence[str]) -> bool:
    """The row passes every filter given for the dimensions the metric has (warehouse,
    channel, carrier, destination: the row's `warehouse_id`, `channel`, ...)."""
    column = {"warehouse": "warehouse_id"}
    for dim in dims:
        wanted = filters.get(dim)
        if wanted and row.get(column.get(dim, dim)) != wanted:
            return False
    return True


def hours_between(a: datetime, b: datetime) -> Decimal:
    return Decimal((b - a).total_seconds()) / 3600


# --------------------------------------------------------------------------- aggregators
def median_and_p90(samples: Sequence[Decimal]) -> tuple[Decimal | None, dict[str, Any]]:
    """The median (mean of the two middle values for an even count) and the p90 by nearest
    rank (the value at rank ceil(0.9 n) in ascending order)."""
    if not samples:
        return None, {"count": 0, "p90": None}
    xs = sorted(samples)
    n = len(xs)
    mid = n // 2
    median = xs[mid] if n % 2 else (xs[mid - 1] + xs[mid]) / 2
    return median, {"count": n, "p90": xs[math.ceil(0.9 * n) - 1]}


def share(samples: Sequence[bool]) -> tuple[Decimal | None, dict[str, Any]]:
    hits = sum(1 for s in samples if s)
    value = Decimal(hits) / len(samples) if samples else None
    return value, {"count": len(samples), "hits": hits}


def ratio(samples: Sequence[tuple[Decimal, Decimal]]) -> tuple[Decimal | None, dict[str, Any]]:
    num = sum((n for n, _ in samples), ZERO)
    den = sum((d for _, d in samples), ZERO)
    value = num / den if den else None
    return value, {"numerator": str(num), "denominator": str(den)}


Aggregator = Callable[[Sequence[Any]], tuple[Decimal | None, dict[str, Any]]]


def fold(dated: Iterable[tuple[date, Any]], period: Period, agg: Aggregator, unit: str) -> Result:
    """The value over the period's samples and the trend per bucket (None where a bucket has
    no sample); p90 and numerators keep their own precision."""
    inside = [(d, s) for d, s in dated if period.holds(d)]
    value, stats = agg([s for _, s in inside])
    if "p90" in stats:
        stats["p90"] = rounded(stats["p90"], unit)
    trend = []
    for label, first, last in period.buckets():
        v, _ = agg([s for d, s in inside if first <= d <= last])
        trend.append({"period": label, "from": first, "to": last, "value": rounded(v, unit)})
    return Result(rounded(value, unit), stats, trend)


# --------------------------------------------------------------------------- the metrics
def processing_hours(shipments: Iterable[Mapping[str, Any]]) -> list[tuple[date, Decimal]]:
    """Per dispatched parcel: its dispatch day and hours from the order's receipt."""
    out = []
    for s in shipments:
        sent, got = when(s.get("dispatched_at")), when(s.get("received_at"))
        if sent and got:
            out.append((sent.date(), hours_between(got, sent)))
    return out


def transit_days(shipments: Iterable[Mapping[str, Any]]) -> list[tuple[date, Decimal]]:
    out = []
    for s in shipments:
        sent, done = when(s.get("dispatched_at")), when(s.get("delivered_at"))
        if sent and done:
            out.append((done.date(), hours_between(sent, done) / 24))
    return out


def on_time(shipments: Iterable[Mapping[str, Any]]) -> list[tuple[date, bool]]:
    """Per delivered parcel: delivered on or before its ETA (no ETA: not on time)."""
    out = []
    for s in shipments:
        done, eta = when(s.get("delivered_at")), when(s.get("eta"))
        if done:
            out.append((done.date(), eta is not None and done <= eta))
    return out


# Tracking statuses that make a parcel an exception, as the carrier scorecards count them
# (adapters/transport/scorecards.py reads this list).
TROUBLE = ("delivery_failed", "return_to_sender", "on_hold", "delivery_delayed")


def exceptions(shipments: Iterable[Mapping[str, Any]]) -> list[tuple[date, bool]]:
    out = []
    for s in shipments:
        sent = when(s.get("dispatched_at"))
        if sent:
            trouble = bool(s.get("alerts")) or bool(s.get("hold_reason"))
            out.append((sent.date(), trouble or s.get("tracking_status") in TROUBLE))
    return out


def lost(shipments: Iterable[Mapping[str, Any]], lost_ids: set[str]) -> list[tuple[date, bool]]:
    out = []
    for s in shipments:
        sent = when(s.get("dispatched_at"))
        if sent:
            out.append((sent.date(), s["shipment_id"] in lost_ids))
    return out


def returns_per_delivery(
    shipments: Iterable[Mapping[str, Any]], returns_by_shipment: Mapping[str, int]
) -> list[tuple[date, tuple[Decimal, Decimal]]]:
    out = []
    for s in shipments:
        done = when(s.get("delivered_at"))
        if done:
            n = Decimal(returns_by_shipment.get(s["shipment_id"], 0))
            out.append((done.date(), (n, Decimal(1))))
    return out


def customs_delays(
    declarations: Iterable[Mapping[str, Any]], period: Period
) -> list[tuple[date, bool]]:
    """Per declaration submitted to customs: held, cleared more than 48 h after submission, or
    still not cleared 48 h after it when the period closes."""
    out = []
    for d in declarations:
        sent = when(d.get("submitted_at"))
        if sent is None:
            continue
        cleared = when(d.get("cleared_at"))
        waited = (cleared or period.closes_at) - sent
        out.append((sent.date(), bool(d.get("held_at")) or waited > CUSTOMS_DELAY_OVER))
    return out


def parcel_costs(ledger: Iterable[Mapping[str, Any]]) -> list[tuple[date, tuple[Decimal, Decimal]]]:
    return [(date.fromisoformat(r["date"]), (Decimal(r["cost_base"]), Decimal(1))) for r in ledger]


def cost_share(
    ledger: Sequence[Mapping[str, Any]], entries: Iterable[Mapping[str, Any]]
) -> list[tuple[date, tuple[Decimal, Decimal]]]:
    """Parcel costs and the orders' value (each order once, on the day of its first costed
    parcel), and ledger entries (return costs, claim credits) of those orders on their days."""
    out: list[tuple[date, tuple[Decimal, Decimal]]] = []
    seen: set[str] = set()
    for r in sorted(ledger, key=lambda r: r["date"]):
        day = date.fromisoformat(r["date"])
        value = ZERO
        if r["order_id"] not in seen:
            seen.add(r["order_id"])
            value = Decimal(r["order_value_base"])
        out.append((day, (Decimal(r["cost_base"]), value)))
    for e in entries:
        if e["order_id"] in seen:
            out.append((date.fromisoformat(e["day"][:10]), (Decimal(e["amount_base"]), ZERO)))
    return out


def average_on_hand(opening: int, moves: Mapping[date, int], first: date, last: date) -> Decimal:
    """The mean of the end-of-day balances from `first` to `last`, starting from `opening`
    (the balance before `first`) and applying each day's net movement."""
    balance, total, days = opening, 0, 0
    day = first
    while day <= last:
        balance += moves.get(day, 0)
        total += balance
        days += 1
        day += timedelta(days=1)
    return Decimal(total) / days if days else ZERO


def turnover(
    shipped: Iterable[tuple[date, int]], moves: Mapping[date, int], opening: int, period: Period
) -> Result:
    """Units shipped / average units on hand, over the period and over each bucket. `moves`
    are the net on-hand movements per day; `opening` the balance before the period."""
    units: dict[date, int] = {}
    for day, n in shipped:
        if period.holds(day):
            units[day] = units.get(day, 0) + n

    def over(first: date, last: date, before: int) -> tuple[Decimal | None, int, Decimal]:
        out_units = sum(n for d, n in units.items() if first <= d <= last)
        avg = average_on_hand(before, moves, first, last)
        return (Decimal(out_units) / avg if avg > 0 else None), out_units, avg

    value, out_units, avg = over(period.start, period.end, opening)
    trend, before = [], opening
    for label, first, last in period.buckets():
        v, _, _ = over(first, last, before)
        trend.append({"period": label, "from": first, "to": last, "value": rounded(v, "times")})
        before += sum(n for d, n in moves.items() if first <= d <= last)
    stats = {"units_shipped": out_units, "average_on_hand": str(rounded(avg, "times"))}
    return Result(rounded(value, "times"), stats, trend)
