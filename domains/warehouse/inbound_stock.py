"""Stock before the shelf, as the inventories see it: units expected from an inbound shipment,
a new arrival date (pre-sold orders get an exception with their new promised date), the receipt
(good units on hand, pre-sales turned into reservations in the order they were taken, the last
ones backordered when it arrives short) and a cancelled inbound.

These take the caller's `touched` (domains/store.py): the inbound shipment's own events
(domains/inbound/) and the stock's are saved in ONE transaction inside the caller's
`store.retry`. After that commit, the caller asks `app.orders.release_backorders(skus, trigger)`
to let waiting orders take what arrived.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition, ValidationFailed
from domains.orders.backorders import BackorderQueue
from domains.orders.model import ALLOCATED, Order
from domains.orders.presale import promised
from domains.reference.model import Dealer
from domains.store import Touched
from domains.warehouse.handheld import PickingUseCases
from domains.warehouse.lots import UNLOTTED
from domains.warehouse.model import Inventory


class InboundStockUseCases(PickingUseCases):
    def plan_putaway(
        self, warehouse_id: str, sku: str, quantity: int, lot: str
    ) -> list[tuple[str, int, str]]:
        raise NotImplementedError  # WarehouseUseCases (domains/warehouse/application.py)

    # ------------------------------------------------------------------ helpers
    def _by_sku(self, rows: list[dict[str, Any]], what: str) -> dict[str, list[dict[str, Any]]]:
        """Rows grouped by SKU, each SKU checked against the reference data (422 naming the
        row otherwise)."""
        products = self.reference.latest()["products"]
        errors: list[dict[str, str]] = []
        out: dict[str, list[dict[str, Any]]] = {}
        for i, row in enumerate(rows):
            sku = row.get("sku")
            if sku not in products:
                errors.append({"loc": f"{what}[{i}].sku", "msg": f"unknown SKU {sku!r}"})
                continue
            q = row.get("quantity")
            if not isinstance(q, int) or isinstance(q, bool) or q < 0:
                errors.append({"loc": f"{what}[{i}].quantity", "msg": f"not a unit count: {q!r}"})
                continue
            out.setdefault(str(sku), []).append(row)
        if errors:
            raise ValidationFailed(errors)
        return out

    def _expecting(self, touched: Touched, warehouse_id: str, inbound_id: str) -> list[Inventory]:
        """The inventories here that expect the inbound (every product's stream is looked at:
        the store cannot list the streams an inbound touched)."""
        out = []
        for sku in self.reference.current()["products"]:
            inv = self._inventory(touched, warehouse_id, sku)
            if inv is not None and inbound_id in inv.inbound:
                out.append(inv)
        return out

    def _order(self, touched: Touched, order_id: str) -> Order:
        key = UUID(order_id)
        order = touched.get(key) or self.store.get_or_none(key)
        if not isinstance(order, Order):
            raise InvalidTransition(f"pre-sold order {order_id} is not stored")
        return order

    def _handling_days(self, warehouse_id: str) -> int:
        return self.orders.presale_settings().handling(warehouse_id)

    def _backorder_presale(
        self,
        touched: Touched,
        order_id: str,
        warehouse_id: str,
        sku: str,
        inbound_id: str,
        quantity: int,
        reason: str,
    ) -> None:
        """The pre-sale could not be covered. An order not yet on the floor waits for stock
        again as a whole (its other reservations and dealer credit given back, queued in the
        backorder index); one already being picked keeps its other shipments and owes the
        line (recorded as a backordered shortfall)."""
        order = self._order(touched, order_id)
        touched[order.id] = order
        if order.status != ALLOCATED:
            shipment = order.presale_shipment(warehouse_id, sku)
            if shipment is not None:
                order.resolve_shortage(
                    shipment["shipment_no"], sku, quantity, "backordered", None, reason
                )
            return
        for s in order.shipments:
            for line in s["lines"]:
                if (s["warehouse_id"], line["sku"]) == (warehouse_id, sku):
                    continue
                inv = self._inventory(touched, s["warehouse_id"], line["sku"])
                if inv is not None and inv.release(order_id):
                    touched[inv.id] = inv
        if order.dealer_id:
            dealer_id = Dealer.create_id(order.dealer_id)
            dealer = touched.get(dealer_id) or self.store.get_or_none(dealer_id)
            if dealer is not None and order_id in dealer.open_orders:
                dealer.release_credit(order_id)
                touched[dealer.id] = dealer
        order.presale_backordered(inbound_id=inbound_id, sku=sku, quantity=quantity, reason=reason)
        lines: dict[str, int] = {}
        for ln in order.canonical["lines"]:
            lines[ln["sku"]] = lines.get(ln["sku"], 0) + int(ln["quantity"])
        held_at = self.store.clock.now().isoformat()
        for waiting_sku in [sku] if sku in lines else list(lines):
            qid = BackorderQueue.create_id(waiting_sku)
            queue = touched.get(qid) or self.store.get_or_none(qid) or BackorderQueue(waiting_sku)
            if queue.wait(
                order_id, held_at, lines, order.canonical["ship_to"]["country"], order.channel
            ):
                touched[queue.id] = queue

    def ring(self, touched: Touched, sku: str, trigger: dict[str, Any]) -> None:
        """Marks stock of `sku` as arrived on its backorder queue, in the caller's transaction
        (see `BackorderQueue.restocked`)."""
        qid = BackorderQueue.create_id(sku)
        queue = touched.get(qid) or self.store.get_or_none(qid) or BackorderQueue(sku)
        queue.restocked(trigger)
        touched[queue.id] = queue

    # ------------------------------------------------------------------ the contract
    def expect_inbound(
        self,
        touched: Touched,
        inbound_id: str,
        warehouse_id: str,
        lines: list[dict[str, Any]],
        arrival: date,
    ) -> None:
        """Records on each Inventory(warehouse, SKU) the units expected from this inbound
        ({sku, quantity, lot, expiry}) and when. A repeat changes nothing; an amendment
        replaces the expectation (not below what is pre-sold against it)."""
        self.reference.warehouse(warehouse_id)
        for sku, rows in self._by_sku(lines, "lines").items():
            expected = [
                {
                    "lot": r.get("lot") or UNLOTTED,
                    "expiry": r.get("expiry"),
                    "quantity": r["quantity"],
                }
                for r in rows
                if r["quantity"] > 0
            ]
            if not expected:
                continue
            inv = self._inventory(touched, warehouse_id, sku, create=True)
            if inv.expect(inbound_id, arrival.isoformat(), expected):
                touched[inv.id] = inv

    def reschedule_inbound(
        self, touched: Touched, inbound_id: str, warehouse_id: str, arrival: date, reason: str
    ) -> list[str]:
        """A new expected arrival. Every order pre-sold against the inbound gets an exception
        with its new promised date (arrival + the warehouse's handling time). Answers the
        affected order ids."""
        handling = self._handling_days(warehouse_id)
        new_date = promised(arrival.isoformat(), handling)
        affected: list[str] = []
        for inv in self._expecting(touched, warehouse_id, inbound_id):
            if inv.inbound[inbound_id]["arrival"] == arrival.isoformat():
                continue
            for order_id in inv.reschedule(inbound_id, arrival.isoformat(), reason):
                order = self._order(touched, order_id)
                shipment = order.presale_shipment(warehouse_id, inv.sku)
                if shipment is not None and shipment["presale"]["promised_date"] != new_date:
                    order.presale_rescheduled(
                        shipment_no=shipment["shipment_no"],
                        inbound_id=inbound_id,
                        arrival=arrival.isoformat(),
                        promised_date=new_date,
                        previous_promised_date=shipment["presale"]["promised_date"],
                        reason=reason,
                    )
                    touched[order.id] = order
                if order_id not in affected:
                    affected.append(order_id)
            touched[inv.id] = inv
        return affected

    def receive_inbound(
        self,
        touched: Touched,
        inbound_id: str,
        warehouse_id: str,
        received: list[dict[str, Any]],
    ) -> dict[str, Any]:
        """Good units on hand ({sku, lot, expiry, quantity, bin?}; put away as the putaway
        policy suggests when no bin is given), the expectation closed, pre-sales made
        reservations in the order they were taken (FEFO for perishables), the last ones
        backordered when it arrived short. Once per inbound and SKU. Answers {"converted",
        "backordered", "putaway", "skus"}; `skus` is what to pass to `release_backorders`."""
        warehouse = self.reference.warehouse(warehouse_id)
        by_sku = self._by_sku(received, "received")
        today = self.store.clock.now().date()
        for inv in self._expecting(touched, warehouse_id, inbound_id):
            by_sku.setdefault(inv.sku, [])  # expected but nothing good arrived
        summary: dict[str, Any] = {"converted": [], "backordered": [], "putaway": [], "skus": []}
        for sku, rows in by_sku.items():
            product = self.reference.product(sku)
            inv = self._inventory(touched, warehouse_id, sku, create=True)
            if f"inbound:{inbound_id}" in inv.receipts:
                continue  # a repeat
            placed = []
            for r in rows:
                if r["quantity"] <= 0:
                    continue
                lot = r.get("lot") or UNLOTTED
                expiry = r.get("expiry")
                if r.get("bin") or not warehouse.layout:
                    targets = [(r.get("bin"), r["quantity"])]
                else:
                    targets = [
                        (b, n)
                        for b, n, _why in self.plan_putaway(warehouse_id, sku, r["quantity"], lot)
                    ]
                for bin_code, units in targets:
                    placed.append(
                        {"lot": lot, "bin": bin_code, "expiry": expiry, "quantity": units}
                    )
                    summary["putaway"].append(
                        {"sku": sku, "lot": lot, "bin": bin_code, "quantity": units}
                    )
            plan = inv.plan_inbound_receipt(
                inbound_id, placed, product.perishable, product.min_shelf_life_days, today
            )
            inv.receive_inbound(plan)
            touched[inv.id] = inv
            if placed:
                summary["skus"].append(sku)
                self.ring(touched, sku, {"kind": "inbound", "ref": inbound_id})
            for c in plan["converted"]:
                order = self._order(touched, c["order_id"])
                shipment = order.presale_shipment(warehouse_id, sku)
                if shipment is not None:
                    order.presale_converted(shipment["shipment_no"], sku, inbound_id)
                    touched[order.id] = order
                summary["converted"].append(c["order_id"])
            for b in plan["backordered"]:
                self._backorder_presale(
                    touched,
                    b["order_id"],
                    warehouse_id,
                    sku,
                    inbound_id,
                    b["quantity"],
                    f"inbound {inbound_id} arrived short of {sku}",
                )
                summary["backordered"].append(b["order_id"])
        return summary

    def cancel_inbound(
        self, touched: Touched, inbound_id: str, warehouse_id: str, reason: str
    ) -> list[str]:
        """The expectation dropped; its pre-sales backordered. Answers those order ids."""
        affected: list[str] = []
        for inv in self._expecting(touched, warehouse_id, inbound_id):
            units = {o: p["quantity"] for o, p in inv.presales.items()}
            orders = inv.cancel_inbound(inbound_id, reason)
            touched[inv.id] = inv
            for order_id in orders:
                self._backorder_presale(
                    touched,
                    order_id,
                    warehouse_id,
                    inv.sku,
                    inbound_id,
                    units[order_id],
                    f"inbound {inbound_id} cancelled: {reason}",
                )
                affected.append(order_id)
        return affected
