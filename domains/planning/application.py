"""Planning use cases: a pair's forecast with its accuracy, the replenishment run (forecasts
first, then one `ReplenishmentSuggested` event per pair below its reorder point, with every
number and version), and an admin's accept (an inbound shipment booked through the inbound use
cases) or reject (who and why). The slow movers (domains/planning/slow_movers.py) are a read
and, when an admin runs them, one `SlowMoverSuggested` event per (warehouse, SKU, kind),
decided the same way (a transfer accepted is booked through the inbound transfer use cases).

Forecasting is done here, before any event, through the `SeasonalModel` port; the "as of" day
is always passed in by the caller (the entry point reads the clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domains.common import NotFound, ValidationFailed
from domains.inbound.application import InboundUseCases
from domains.inbound.model import InboundShipment
from domains.planning import references, slow_movers
from domains.planning.forecasting import HOLDOUT_DAYS, Accuracy, Forecast, backtest, forecast
from domains.planning.model import (
    Decidable,
    ReplenishmentSuggestion,
    SlowMoverSuggestion,
    slow_mover_id,
    suggestion_id,
)
from domains.planning.ports import DemandHistory, PlanningReads, SeasonalModel
from domains.planning.replenishment import REVIEW_DAYS, figures
from domains.reference.application import ReferenceUseCases
from domains.store import Store, Touched

HISTORY_DAYS = 730  # two years: a yearly season seen twice


def _m3(product: Any) -> Decimal:
    """Cubic metres a unit takes (its dimensions in mm), 0 when unknown."""
    dims = getattr(product, "dimensions_mm", None) or []
    if len(dims) != 3:
        return Decimal(0)
    return Decimal(dims[0]) * Decimal(dims[1]) * Decimal(dims[2]) / Decimal(10**9)


def trimmed(values: list[float]) -> list[float]:
    """The history from its first sale on (a SKU listed last month has no two years)."""
    for i, v in enumerate(values):
        if v > 0:
            return values[i:]
    return []


class PlanningUseCases:
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        inbound: InboundUseCases,
        *,
        history: DemandHistory,
        model: SeasonalModel,
        reads: PlanningReads,
        order_lines: Callable[[], list[dict[str, Any]]],
        association_rules: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    ) -> None:
        """`order_lines` are the baskets co-purchase rules are counted over (order_id, sku)."""
        self.store = store
        self.reference = reference
        self.inbound = inbound
        self.history = history
        self.model = model
        self.reads = reads
        self.order_lines = order_lines
        self.association_rules = association_rules

    # ------------------------------------------------------------------ slow movers, bundles
    def bundles(self) -> list[dict[str, Any]]:
        """Co-purchase rules over the order lines (support, confidence, lift)."""
        return self.association_rules(self.order_lines())

    def slow_movers(self, as_of: date, warehouse_id: str | None = None) -> list[dict[str, Any]]:
        """Slow and ageing stock with suggestions (domains/planning/slow_movers.py); the rate
        is the mean units a day over the eight weeks before `as_of`."""
        products = self.reference.current()["products"]
        stock = [r for r in self.reads.stock() if r["sku"] in products]
        end = as_of - timedelta(days=1)
        # Rates where there is stock, and where the stocked SKUs sell with none on the shelf
        # (a warehouse that sells it and holds none is the first place to transfer to).
        stocked = {r["sku"] for r in stock}
        pairs = {(r["warehouse_id"], r["sku"]) for r in stock}
        pairs |= {(w, s) for w, s in self.history.pairs() if s in stocked}
        rates = {
            (w, s): sum(self.history.daily(w, s, end, HOLDOUT_DAYS)) / HOLDOUT_DAYS
            for w, s in pairs
        }
        m3 = {sku: _m3(p) for sku, p in products.items()}
        found = slow_movers.review(stock, self.reads.lots(), rates, m3, self.bundles(), as_of)
        return [r for r in found if warehouse_id is None or r["warehouse_id"] == warehouse_id]

    def run_slow_movers(
        self, as_of: date, by: str, warehouse_id: str | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Records each slow mover's suggestions as of `as_of`: one per (warehouse, SKU, kind),
        the transfers to every target in one. A repeat run the same day records nothing new
        for a (warehouse, SKU, kind) already suggested and answers the stored suggestion."""
        versions = {"slow_movers": slow_movers.RULES_VERSION,
                    "storage": references.STORAGE_VERSION, "history": self.history.version}  # fmt: skip
        decided = []
        for row in self.slow_movers(as_of, warehouse_id):
            stock = {k: v for k, v in row.items() if k not in ("warehouse_id", "sku", "suggestions")}  # fmt: skip
            moves = [x for x in row["suggestions"] if x["kind"] == "transfer"]
            by_kind = {x["kind"]: x for x in row["suggestions"] if x["kind"] != "transfer"}
            if moves:
                by_kind["transfer"] = {"kind": "transfer", "units": sum(m["units"] for m in moves),
                                       "moves": moves}  # fmt: skip
            for kind in sorted(by_kind):
                decided.append({"warehouse_id": row["warehouse_id"], "sku": row["sku"], "kind": kind,
                                "stock": stock, "figures": by_kind[kind], "versions": versions})  # fmt: skip
        at = self.store.clock.now().isoformat()

        def step(touched: Touched) -> list[SlowMoverSuggestion]:
            out = []
            for d in decided:
                sid = slow_mover_id(as_of.isoformat(), d["warehouse_id"], d["sku"], d["kind"])
                existing = self.store.get_or_none(SlowMoverSuggestion.create_id(sid))
                if isinstance(existing, SlowMoverSuggestion):
                    out.append(existing)
                    continue
                s = SlowMoverSuggestion(suggestion_id=sid, as_of=as_of.isoformat(),
                                        suggested_by=by, at=at, **d)  # fmt: skip
                touched[s.id] = s
                out.append(s)
            return out

        suggestions, nid = self.store.retry(step)
        return [s.summary() for s in suggestions], nid

    def slow_mover(self, sid: str) -> SlowMoverSuggestion:
        s = self.store.get_or_none(SlowMoverSuggestion.create_id(sid))
        if not isinstance(s, SlowMoverSuggestion):
            raise NotFound("slow-mover suggestion", sid)
        return s

    def accept_slow_mover(
        self, sid: str, by: str, reason: str, carrier: str | None = None,
        reference: str | None = None, mode: str = "truck", expected_arrival: date | None = None,
    ) -> tuple[SlowMoverSuggestion, list[Any], int]:  # fmt: skip
        """Accepts a slow-mover suggestion. A transfer books one transfer per target through
        the inbound transfer use cases (id `TR-<suggestion id>-<target>`, the units reserved
        at this warehouse), then the acceptance records their ids; a bundle or a markdown is
        recorded only (Crossdock holds no prices or listings to change)."""
        suggestion = self.slow_mover(sid)
        suggestion._require_pending()
        booked = []
        if suggestion.kind == "transfer":
            if not carrier or not reference:
                raise ValidationFailed([{"loc": "carrier", "msg": "a transfer needs a carrier and a reference"}])  # fmt: skip
            for m in suggestion.figures["moves"]:
                tid = f"TR-{sid}-{m['to']}"
                # a retry after a failure finds the transfer booked (its units already
                # reserved at the source, so it could not be booked again)
                inbound = self.store.get_or_none(InboundShipment.create_id(tid))
                if not isinstance(inbound, InboundShipment):
                    inbound, _, _ = self.inbound.accept_transfer(
                        tid, suggestion.warehouse_id, m["to"], {suggestion.sku: int(m["units"])},
                        mode, carrier, reference, expected_arrival, by,
                    )  # fmt: skip
                booked.append(inbound)
        ids = [str(i.inbound_id) for i in booked]

        accepted, nid = self._record_decision(
            lambda: self.slow_mover(sid), lambda s, at: s.accept(by, reason, ids, at)
        )
        assert isinstance(accepted, SlowMoverSuggestion)
        return accepted, booked, nid

    def reject_slow_mover(self, sid: str, by: str, reason: str) -> tuple[SlowMoverSuggestion, int]:
        s, nid = self._reject(lambda: self.slow_mover(sid), by, reason)
        assert isinstance(s, SlowMoverSuggestion)
        return s, nid

    def _reject(self, load: Callable[[], Decidable], by: str, reason: str) -> tuple[Decidable, int]:
        """Any suggestion rejected: who and why recorded, once."""
        return self._record_decision(load, lambda s, at: s.reject(by, reason, at))

    def _record_decision(
        self, load: Callable[[], Any], decide: Callable[[Any, str], None]
    ) -> tuple[Decidable, int]:
        """A suggestion decided (`decide(suggestion, at)`) and saved, retried on a conflict."""

        def step(touched: Touched) -> Decidable:
            s = load()
            decide(s, self.store.clock.now().isoformat())
            touched[s.id] = s
            return s

        return self.store.retry(step)

    # ------------------------------------------------------------------ forecasts
    def _country(self, warehouse_id: str) -> str:
        warehouses = self.reference.current()["warehouses"]
        if warehouse_id not in warehouses:
            raise NotFound("warehouse", warehouse_id)
        return str(warehouses[warehouse_id].country)

    def history_of(self, warehouse_id: str, sku: str, as_of: date) -> list[float]:
        """Daily units up to the day before `as_of`, from the first sale on."""
        return trimmed(
            self.history.daily(warehouse_id, sku, as_of - timedelta(days=1), HISTORY_DAYS)
        )

    def forecast(
        self, warehouse_id: str, sku: str, as_of: date, horizon: int = 28
    ) -> tuple[Forecast, Accuracy | None]:
        """The daily forecast from `as_of` on and, with enough history, its accuracy on the
        last eight weeks held back (the method against the seasonal naive)."""
        country = self._country(warehouse_id)
        values = self.history_of(warehouse_id, sku, as_of)
        if not values:
            raise NotFound("demand history", f"{warehouse_id}/{sku}")
        end = as_of - timedelta(days=1)
        accuracy = None
        if len(values) > HOLDOUT_DAYS + 14:
            _, accuracy = backtest(values, end, country, self.model)
        return forecast(values, end, horizon, country, self.model), accuracy

    # ------------------------------------------------------------------ replenishment
    def run_replenishment(
        self,
        as_of: date,
        by: str,
        service_level: float = 0.95,
        warehouse_id: str | None = None,
        skus: list[str] | None = None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Suggests a purchase for each (warehouse, SKU) whose stock position is at or below
        its reorder point. A pair already suggested for `as_of` keeps its suggestion (a repeat
        run records nothing new). Answers the suggestions and the notification id."""
        ref = self.reference.current()
        stock = {(r["warehouse_id"], r["sku"]): r for r in self.reads.stock(warehouse_id)}
        pairs = sorted(
            (w, s) for w, s in self.history.pairs()
            if (warehouse_id is None or w == warehouse_id) and (not skus or s in skus)
            and s in ref["products"] and w in ref["warehouses"]
        )  # fmt: skip
        decided = [d for d in (self._decide(w, s, as_of, service_level, stock, ref) for w, s in pairs) if d]  # fmt: skip
        at = self.store.clock.now().isoformat()

        def step(touched: Touched) -> list[ReplenishmentSuggestion]:
            out = []
            for d in decided:
                sid = suggestion_id(as_of.isoformat(), d["warehouse_id"], d["sku"])
                existing = self.store.get_or_none(ReplenishmentSuggestion.create_id(sid))
                if isinstance(existing, ReplenishmentSuggestion):
                    out.append(existing)
                    continue
                s = ReplenishmentSuggestion(suggestion_id=sid, as_of=as_of.isoformat(),
                                            suggested_by=by, at=at, **d)  # fmt: skip
                touched[s.id] = s
                out.append(s)
            return out

        suggestions, nid = self.store.retry(step)
        return [s.summary() for s in suggestions], nid

    def _decide(
        self, warehouse_id: str, sku: str, as_of: date, service_level: float,
        stock: dict[tuple[str, str], dict[str, Any]], ref: dict[str, Any],
    ) -> dict[str, Any] | None:  # fmt: skip
        product = ref["products"][sku]
        country = str(ref["warehouses"][warehouse_id].country)
        values = self.history_of(warehouse_id, sku, as_of)
        if len(values) <= HOLDOUT_DAYS + 14:
            return None  # too little history to measure the forecast's error
        supplier = references.supplier_of(product.origin_country)
        mode = references.default_mode(product.origin_country, country)
        days, source = references.lead_time(supplier, mode)
        end = as_of - timedelta(days=1)
        _, accuracy = backtest(values, end, country, self.model)
        fc = forecast(values, end, days + REVIEW_DAYS, country, self.model)
        numbers = figures(
            fc.values, accuracy.rmse_daily, days, service_level,
            stock.get((warehouse_id, sku), {}), int(getattr(product, "pack_size", 1) or 1),
        )  # fmt: skip
        if numbers["order_quantity"] <= 0:
            return None
        recorded = replace(fc, values=[round(v, 3) for v in fc.values])
        return {
            "warehouse_id": warehouse_id,
            "sku": sku,
            "supplier": {
                "name": supplier,
                "country": product.origin_country,
                "mode": mode,
                "lead_time_source": source,
            },  # fmt: skip
            "figures": numbers,
            "forecast": recorded.as_dict(),
            "accuracy": asdict(accuracy),
            "versions": {
                "lead_times": references.LEAD_TIMES_VERSION,
                "history": self.history.version,
                "model": self.model.version,
            },
        }

    def get(self, sid: str) -> ReplenishmentSuggestion:
        s = self.store.get_or_none(ReplenishmentSuggestion.create_id(sid))
        if not isinstance(s, ReplenishmentSuggestion):
            raise NotFound("replenishment suggestion", sid)
        return s

    def accept(
        self, sid: str, by: str, carrier: str, reference: str, mode: str | None = None,
        quantity: int | None = None, expected_arrival: date | None = None,
    ) -> tuple[ReplenishmentSuggestion, InboundShipment, int]:  # fmt: skip
        """Books the inbound shipment (id `IN-<suggestion id>`, from the suggestion's supplier,
        for its quantity unless another is given), then records the acceptance. A retry after
        a failure re-books idempotently (the inbound use case answers the stored booking)."""
        suggestion = self.get(sid)
        suggestion._require_pending()
        mode = mode or suggestion.supplier["mode"]
        days, _ = references.lead_time(suggestion.supplier["name"], mode)
        today = self.store.clock.now().date()
        qty = quantity or int(suggestion.figures["order_quantity"])
        inbound_id = f"IN-{sid}"
        inbound, _, _ = self.inbound.book(
            inbound_id, suggestion.warehouse_id,
            {"kind": "supplier", "name": suggestion.supplier["name"],
             "country": suggestion.supplier["country"]},
            mode, carrier, reference, expected_arrival or today + timedelta(days=days),
            [{"where": "suggestion", "carton_no": "1", "sku": suggestion.sku, "quantity": qty}],
            "value", "USD", by,
        )  # fmt: skip

        accepted, nid = self._record_decision(
            lambda: self.get(sid), lambda s, at: s.accept(by, inbound_id, qty, at)
        )
        assert isinstance(accepted, ReplenishmentSuggestion)
        return accepted, inbound, nid

    def reject(self, sid: str, by: str, reason: str) -> tuple[ReplenishmentSuggestion, int]:
        s, nid = self._reject(lambda: self.get(sid), by, reason)
        assert isinstance(s, ReplenishmentSuggestion)
        return s, nid
