"""The metrics use cases: every health metric for a period and filters, read from the views
(never by replaying streams), and the targets an admin sets (events with who and when)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domains.common import NotFound, ValidationFailed
from domains.metrics import calc
from domains.metrics.definitions import BY_KEY, METRICS, Metric
from domains.metrics.model import MetricTarget
from domains.metrics.ports import MetricReads
from domains.settlement.application import SettlementUseCases
from domains.store import Store, retry_on_conflict

DEFAULT_WEEKS = 12
LONGEST_PERIOD_DAYS = 3 * 366  # a trend over more is a report, not a dashboard
LARGEST_TARGET = Decimal(10) ** 9
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


class MetricsUseCases:
    def __init__(self, store: Store, views: MetricReads, settlement: SettlementUseCases) -> None:
        self.store = store
        self.views = views
        self.settlement = settlement

    # ------------------------------------------------------------------ the period
    def period(self, start: date | None, end: date | None, bucket: str | None) -> calc.Period:
        """The period asked for; by default the twelve weeks up to today (the clock's day),
        by week up to 16 weeks and by month beyond."""
        end = end or self.store.clock.now().date()
        if not EARLIEST <= end <= LATEST or not EARLIEST <= (start or end) <= LATEST:
            msg = f"a day from {EARLIEST} to {LATEST}"
            raise ValidationFailed([{"loc": "from" if start else "to", "msg": msg}])
        start = start or end - timedelta(days=7 * DEFAULT_WEEKS - 1)
        if start > end:
            raise ValidationFailed([{"loc": "from", "msg": "from is after to"}])
        if (end - start).days >= LONGEST_PERIOD_DAYS:
            msg = f"a period of at most {LONGEST_PERIOD_DAYS} days"
            raise ValidationFailed([{"loc": "from", "msg": msg}])
        if bucket is None:
            bucket = "week" if (end - start).days < 16 * 7 else "month"
        return calc.Period(start, end, bucket)

    # ------------------------------------------------------------------ the values
    def health(self, filters: Mapping[str, str | None], period: calc.Period) -> dict[str, Any]:
        """Every metric with its definition, value, trend and target for the period; filters
        by warehouse, channel, carrier and destination (each metric uses those it has)."""
        shipments = self.views.shipments()
        results = self._results(shipments, filters, period)
        targets = self.views.targets()
        base = self.settlement.base_currency
        return {
            "period": {"from": period.start, "to": period.end, "bucket": period.bucket},
            "filters": dict(filters),
            "base_currency": base,
            "metrics": [self._card(m, results.get(m.key), targets, filters, base) for m in METRICS],
        }

    def _results(
        self,
        shipments: list[dict[str, Any]],
        filters: Mapping[str, str | None],
        period: calc.Period,
    ) -> dict[str, calc.Result]:
        def chosen(m: str) -> list[dict[str, Any]]:
            return [s for s in shipments if calc.matches(s, filters, BY_KEY[m].filters)]

        ships = chosen("order_processing_time")  # all four filters, like every parcel metric
        ledger = self._ledger(shipments, filters)
        declarations = [
            d
            for d in self.views.declarations()
            if calc.matches(d, filters, BY_KEY["customs_delay_rate"].filters)
        ]
        warehouse = filters.get("warehouse")
        moves = self.views.stock_moves(warehouse)
        opening = sum(n for d, n in moves.items() if d < period.start)
        in_period = {d: n for d, n in moves.items() if d >= period.start}
        shipped = [
            (s_day.date(), int(s["units"]))
            for s in chosen("inventory_turnover")
            if (s_day := calc.when(s.get("dispatched_at"))) is not None
        ]
        costed = {r["order_id"] for r in ledger}
        entries = [e for e in self.settlement.ledger_entries()["items"] if e["order_id"] in costed]
        median, share, ratio = calc.median_and_p90, calc.share, calc.ratio
        return {
            "order_processing_time": calc.fold(
                calc.processing_hours(ships), period, median, "hours"
            ),
            "time_in_transit": calc.fold(calc.transit_days(ships), period, median, "days"),
            "inventory_turnover": calc.turnover(shipped, in_period, opening, period),
            "cost_per_parcel": calc.fold(calc.parcel_costs(ledger), period, ratio, "money"),
            "logistics_cost_share": calc.fold(
                calc.cost_share(ledger, entries), period, ratio, "ratio"
            ),
            "customs_delay_rate": calc.fold(
                calc.customs_delays(declarations, period), period, share, "ratio"
            ),
            "loss_rate": calc.fold(
                calc.lost(ships, self.views.lost_claims()), period, share, "ratio"
            ),
            "return_rate": calc.fold(
                calc.returns_per_delivery(ships, self.views.returns_by_shipment()),
                period,
                ratio,
                "ratio",
            ),
            "carrier_on_time_rate": calc.fold(calc.on_time(ships), period, share, "ratio"),
            "carrier_exception_rate": calc.fold(calc.exceptions(ships), period, share, "ratio"),
        }

    def _ledger(
        self, shipments: list[dict[str, Any]], filters: Mapping[str, str | None]
    ) -> list[dict[str, Any]]:
        """The cost ledger's rows of the shipments that pass the filters (the shipment's own
        warehouse, channel, carrier and destination)."""
        dims = BY_KEY["cost_per_parcel"].filters
        wanted = {s["shipment_id"] for s in shipments if calc.matches(s, filters, dims)}
        return [r for r in self.settlement.cost_ledger() if r["shipment_id"] in wanted]

    @staticmethod
    def _card(
        m: Metric,
        result: calc.Result | None,
        targets: Mapping[str, dict[str, Any]],
        filters: Mapping[str, str | None],
        base: str,
    ) -> dict[str, Any]:
        target = targets.get(m.key)
        value = result.value if result else None
        on_target = None
        if target is not None and value is not None:
            goal = Decimal(target["value"])
            on_target = value <= goal if m.better == "lower" else value >= goal
        return {
            "key": m.key,
            "name": m.name,
            "definition": m.definition,
            "formula": m.formula,
            "unit": m.unit,
            "currency": base if m.unit == "money" else None,
            "better": m.better,
            "source": m.source,
            "available": m.available,
            "filters": list(m.filters),
            "ignored_filters": sorted(k for k, v in filters.items() if v and k not in m.filters),
            "value": value,
            "stats": result.stats if result else {},
            "trend": result.trend if result else [],
            "target": target,
            "on_target": on_target,
        }

    def filter_choices(self) -> dict[str, list[str]]:
        """What each filter can be set to: the values the shipments have had."""
        return self.views.filter_choices()

    # ------------------------------------------------------------------ targets
    def set_target(self, metric: str, value: str, by: str, note: str = "") -> MetricTarget:
        """Records the metric's new target with who set it and when (the clock's time)."""
        m = BY_KEY.get(metric)
        if m is None:
            raise NotFound("metric", metric)
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationFailed([{"loc": "value", "msg": "not a number"}]) from None
        top = Decimal(1) if m.unit == "ratio" else LARGEST_TARGET
        if not amount.is_finite() or not 0 <= amount <= top:
            msg = "a ratio between 0 and 1" if m.unit == "ratio" else f"between 0 and {top}"
            raise ValidationFailed([{"loc": "value", "msg": f"must be {msg}"}])

        def attempt(_: int) -> MetricTarget:
            target = self.store.get_or_none(MetricTarget.create_id(metric))
            if target is None:
                target = MetricTarget(metric)
            at = self.store.clock.now().isoformat()
            target.set_target(str(amount), m.unit, by, at, note)
            self.store.save(target)
            return target

        return retry_on_conflict(attempt)
