"""Settlement use cases: the logistics cost ledger (per shipment, grouped, and per order line),
carrier bills matched three ways (quote, label, bill line) and recorded with every discrepancy,
the dispute workflow, and the bill reports and dispute files.

Bill files, the vectorised match and the cost group-by run in adapters/settlement and the views
are read through projections/, all behind ports (domains/settlement/ports.py); here their
outcome becomes events: the bill, the waybills it charges, one event per discrepancy with
expected and billed amounts, and each resolution with who and why.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domains.common import NotFound, ValidationFailed
from domains.orders.application import OrderUseCases
from domains.ports import FxRates
from domains.reference.application import ReferenceUseCases
from domains.settlement.ledger import allocate, shipment_cost
from domains.settlement.model import RESOLUTIONS, CarrierBill
from domains.settlement.ports import (
    BillFiles,
    CostTotals,
    LandedCosts,
    LedgerViews,
    Reconcile,
    Reconciled,
)
from domains.settlement.summary import bill_summary
from domains.store import Store, Touched


class SettlementUseCases:
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        *,
        fx: FxRates,
        base_currency: str,
        views: LedgerViews,
        bill_files: BillFiles,
        reconcile: Reconcile,
        cost_totals: CostTotals,
        landed: LandedCosts | None = None,
        entries: Callable[[str | None], list[dict[str, Any]]] | None = None,
    ) -> None:
        """`entries`: the ledger's entries beyond shipments (return costs, carrier claim
        credits: projections/returns_views.py), all or one order's."""
        self.store = store
        self.reference = reference
        self.orders = orders
        self.fx = fx
        self.base_currency = base_currency
        self.views = views
        self.bill_files = bill_files
        self.reconcile = reconcile
        self.group_costs = cost_totals
        self.landed = landed
        self.entries = entries

    # ------------------------------------------------------------------ cost ledger
    def cost_ledger(self, order_id: str | None = None) -> list[dict[str, Any]]:
        """One row per shipment that has a current label (all, or one order's): freight (as
        quoted on its label), duties and import taxes we pay (DDP), handling; in their own
        currencies and in the base currency at the ECB rate of the shipment's day."""
        rows = self.views.shipment_costs(order_id)
        warehouses = self.reference.current()["warehouses"]
        countries = {code: w.country for code, w in warehouses.items()}
        return [shipment_cost(r, countries, self._in_base, self.base_currency) for r in rows]

    def ledger_entries(self, order_id: str | None = None) -> dict[str, Any]:
        """Return costs (label, handling) and carrier claim credits (negative), each in its
        own currency and in the base currency at the ECB rate of its day, with the total."""
        rows = []
        for e in self.entries(order_id) if self.entries else []:
            base = Decimal(e["amount"]) * self._in_base(e["currency"], e["day"])
            rows.append({**e, "amount_base": str(base.quantize(Decimal("0.01")))})
        total = sum((Decimal(r["amount_base"]) for r in rows), Decimal(0))
        return {"base_currency": self.base_currency, "items": rows, "total_base": str(total)}

    def _in_base(self, currency: str | None, day: str) -> Decimal:
        if not currency:
            return Decimal("0")
        on = date.fromisoformat(day[:10]) if day else self.store.clock.now().date()
        return self.fx.rate(currency, self.base_currency, on)[0]

    def cost_totals(self, group_by: str) -> list[dict[str, Any]]:
        """Logistics cost grouped by carrier, lane, month, channel or warehouse: shipments,
        orders, cost, cost per order and cost as a share of order value (base currency)."""
        return self.group_costs(self.cost_ledger(), group_by)

    def order_costs(self, order_id: UUID, allocate_by: str = "weight") -> dict[str, Any]:
        """An order's cost is the sum of its shipments', allocated back to each shipment's
        lines by weight or by value, so a split order's cost is right per line."""
        order = self.orders.get_order(order_id)
        shipments = [r for r in self.cost_ledger(str(order_id)) if r["order_id"] == str(order_id)]
        cost_of: dict[str, Decimal] = {}
        for r in shipments:
            cost_of.setdefault(r["shipment_id"], Decimal(r["cost_base"]))
        products = self.reference.current()["products"]
        prices = {ln["sku"]: Decimal(ln["unit_price"]) for ln in order.canonical["lines"]}
        lines = []
        for s in order.shipments:
            sid = f"{order_id}-S{s['shipment_no']}"
            keys = {
                ln["sku"]: products[ln["sku"]].unit_weight_g * ln["quantity"]
                if allocate_by == "weight"
                else prices[ln["sku"]] * ln["quantity"]
                for ln in s["lines"]
            }
            shares = allocate(cost_of.get(sid, Decimal(0)), keys)
            lines += [
                {
                    "shipment_id": sid,
                    "sku": ln["sku"],
                    "quantity": ln["quantity"],
                    "allocated_cost": str(shares[ln["sku"]]),
                }
                for ln in s["lines"]
            ]
        total = sum((Decimal(x["allocated_cost"]) for x in lines), Decimal(0))
        out: dict[str, Any] = {"total": str(total), "lines": lines, "shipments": shipments}
        goods = self._goods_cost(order, shipments)
        if goods:  # some shipped unit came from an inbound with a landed cost: the margin
            known = [g for g in goods if g["cost_base"] is not None]
            goods_total = sum((Decimal(g["cost_base"]) for g in known), Decimal(0))
            day = self.store.clock.now().date().isoformat()
            value = order.total * self._in_base(order.canonical["currency"], day)
            out["goods"] = goods
            out["goods_cost"] = str(goods_total.quantize(Decimal("0.01")))
            out["order_value"] = str(value.quantize(Decimal("0.01")))
            out["margin"] = str((value - total - goods_total).quantize(Decimal("0.01")))
            out["margin_complete"] = len(known) == len(goods)
        return out

    def _goods_cost(self, order: Any, shipments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The landed cost of the units each shipment took off the shelf (as picked: SKU,
        lot, bin): by lot where the lot came from an inbound, else the weighted average of
        the SKU's inbound lots in that warehouse; unknown (None) for stock with no landed
        cost. Empty when no shipped unit has one."""
        if self.landed is None:
            return []
        picked = []
        for s in order.shipments:
            entry = order.fulfilment.get(str(s["shipment_no"]), {})
            for p in entry.get("picked", []):
                picked.append((s["shipment_no"], s["warehouse_id"], p))
        wanted = [(wh, p["sku"], p["lot"]) for _, wh, p in picked]
        costs = self.landed.unit_costs(wanted) if wanted else {}
        if not costs:
            return []
        days = {r["shipment_id"]: r["date"] for r in shipments}
        out = []
        for no, wh, p in picked:
            sid = f"{order.id}-S{no}"
            c = costs.get((wh, p["sku"], p["lot"]))
            cost = None
            if c is not None:
                day = days.get(sid) or self.store.clock.now().date().isoformat()
                amount = Decimal(c["unit_cost"]) * p["quantity"]
                cost = str((amount * self._in_base(c["currency"], day)).quantize(Decimal("0.01")))
            out.append(
                {
                    "shipment_id": sid,
                    "sku": p["sku"],
                    "lot": p["lot"],
                    "quantity": p["quantity"],
                    "unit_cost": c["unit_cost"] if c else None,
                    "currency": c["currency"] if c else None,
                    "source": c["source"] if c else "unknown",
                    "inbound_id": c["inbound_id"] if c else None,
                    "cost_base": cost,
                }
            )
        return out

    # ------------------------------------------------------------------ carrier bills
    def upload_bill(
        self, data: bytes, filename: str, layout: str, carrier: str, by: str
    ) -> tuple[CarrierBill, bool, int]:
        """A carrier bill file (CSV or XLSX, in one of the known layouts): every line matched
        to our labels and quotes, and waybills billed before; the bill recorded with each
        discrepancy's expected and billed amounts. A bad file raises ValidationFailed listing
        its bad rows and stores nothing; the same file again answers the bill already made."""
        bill = self.bill_files.read(data, filename, layout, carrier)
        previously = self.views.billed_waybills(carrier)
        matched = self.reconcile(bill, self.views.issued_labels(), previously)
        digest = hashlib.sha256(data).hexdigest()
        return self.record_bill(
            carrier,
            layout,
            filename,
            digest,
            by,
            matched.lines,
            matched.discrepancies,
            matched.totals,
        )

    def record_bill(
        self,
        carrier: str,
        layout: str,
        filename: str,
        file_hash: str,
        by: str,
        lines: list[list[Any]],
        discrepancies: list[dict[str, Any]],
        totals: dict[str, Any],
    ) -> tuple[CarrierBill, bool, int]:
        """Idempotent per (carrier, file): the same file again answers the bill already made.
        The bill is listed in the shared registry in the same transaction; a conflict with
        another writer of the registry is retried, not lost."""

        def step(touched: Touched) -> tuple[CarrierBill, bool]:
            existing = self.store.get_or_none(CarrierBill.create_id(carrier, file_hash))
            if isinstance(existing, CarrierBill):
                return existing, False
            bill = CarrierBill(
                carrier=carrier,
                layout=layout,
                filename=filename,
                file_hash=file_hash,
                uploaded_by=by,
                totals=totals,
            )
            bill.bill_lines(carrier=carrier, waybills=[ln[1] for ln in lines], lines=lines)
            for n, d in enumerate(discrepancies, start=1):
                bill.found(number=n, discrepancy=d)
            registry = self.store.registry()
            registry.add("carrier_bill", str(bill.id))
            touched[bill.id] = bill
            touched[registry.id] = registry
            return bill, True

        (bill, created), nid = self.store.retry(step)
        return bill, created, nid

    def get_bill(self, bill_id: UUID, *, to_read: bool = False) -> CarrierBill:
        """`to_read`: only to show, so rebuilt from the store rather than deep-copied from the
        repository's cache (a bill of 200 discrepancies took 20 ms to copy, 5 ms to read)."""
        read = self.store.read_fresh if to_read else self.store.get_or_none
        bill = read(bill_id)
        if not isinstance(bill, CarrierBill):
            raise NotFound("carrier bill", str(bill_id))
        return bill

    def resolve_discrepancy(
        self, bill_id: UUID, number: int, resolution: str, by: str, reason: str
    ) -> tuple[CarrierBill, int]:
        bill = self.get_bill(bill_id)
        bill.resolve(number=number, resolution=resolution, by=by, reason=reason)
        return bill, self.store.commit(bill)

    def resolve_selection(
        self, bill_id: UUID, numbers: list[int], resolution: str, by: str, reason: str
    ) -> tuple[CarrierBill, int]:
        """Accept, dispute or credit several discrepancies of a bill with one reason: each
        recorded as its own resolution (who and why), all in one transaction, or none when any
        of them cannot be (unknown number, already final, no reason)."""
        errors = []
        if resolution not in RESOLUTIONS:
            errors.append({"loc": "resolution", "msg": "choose accept, dispute or credit"})
        if not reason.strip():
            errors.append({"loc": "reason", "msg": "a resolution needs a reason"})
        if not numbers:
            errors.append({"loc": "numbers", "msg": "select at least one discrepancy"})
        elif len(set(numbers)) != len(numbers):
            errors.append({"loc": "numbers", "msg": "a discrepancy is selected twice"})
        if errors:
            raise ValidationFailed(errors)
        bill = self.get_bill(bill_id)
        for number in sorted(numbers):
            bill.resolve(number=number, resolution=resolution, by=by, reason=reason)
        return bill, self.store.commit(bill)

    def summary(self, bill: CarrierBill) -> dict[str, Any]:
        """Billed, expected, over and under per currency; the discrepancies by state."""
        return bill_summary(bill.totals, bill.discrepancies)

    def bill_list(self, carrier: str | None = None) -> list[dict[str, Any]]:
        """The recorded bills, newest first (all or one carrier's), each with its summary, from
        the bills view (not their streams, which hold every line)."""
        return [
            {
                **{k: b[k] for k in ("id", "carrier", "filename", "uploaded_by", "uploaded_at")},
                "summary": bill_summary(b["totals"], b["discrepancies"]),
            }
            for b in self.views.carrier_bills(carrier)
        ]

    def bills(self) -> list[CarrierBill]:
        return [
            self.get_bill(UUID(i)) for i in self.store.registry().entries.get("carrier_bill", [])
        ]

    def bill_report(self, bill_id: UUID, fmt: str, table: str = "lines") -> bytes:
        """Every line of a bill (discrepancy rows marked) and a summary, as "xlsx"; as "csv",
        one table: "lines", "discrepancies" (with where each stands) or "summary"."""
        bill = self.get_bill(bill_id)
        recorded = Reconciled(bill.lines, bill.discrepancies, bill.totals)
        return self.bill_files.report(recorded, fmt, table)

    def dispute_file(self, carrier: str) -> bytes:
        """The dispute file for one carrier: every discrepancy marked disputed, across bills."""
        disputed = [
            dict(d, bill_id=str(b.id))
            for b in self.bills()
            if b.carrier == carrier
            for d in b.discrepancies
            if d.get("resolution") == "disputed"
        ]
        return self.bill_files.disputes(disputed, carrier)
