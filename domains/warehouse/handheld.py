"""Warehouse use cases on the floor: waves of carts, the handheld pick flow (next task, scan,
short pick) and packing. Every command records its decision with its inputs (the chosen lots,
routes with their S-shape comparison, the resolution of a short pick) and saves everything it
touched in one transaction, retrying on a version conflict (`Store.retry`). Receiving, putaway
and counts are in domains/warehouse/application.py."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.ports import ShippingCostTable
from domains.reference.application import ReferenceUseCases
from domains.store import Store, Touched
from domains.warehouse import shortage
from domains.warehouse.layout import Layout
from domains.warehouse.lots import choose_lots
from domains.warehouse.model import Inventory
from domains.warehouse.packing import packing_errors, weigh_parcels
from domains.warehouse.picking import ASSIGNED, OPEN, PickList, plan_carts
from domains.warehouse.routing import PickRouter
from domains.warehouse.scanning import match_scan, picked_for
from domains.warehouse.waves import (
    Claims,
    claimed_by_open_lists,
    numbered_lines,
    record_wave,
    wave_shipment,
)


class PickingUseCases:
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        customs: CustomsUseCases,
        *,
        pick_router: PickRouter,
        costs: ShippingCostTable,
    ) -> None:
        self.store = store
        self.reference = reference
        self.orders = orders
        self.customs = customs
        self.pick_router = pick_router
        self.costs = costs

    def _inventory(
        self, touched: Touched, warehouse_id: str, sku: str, create: bool = False
    ) -> Any:
        """The inventory as this command already changed it, else from the store (a new one
        when `create`)."""
        inv_id = Inventory.create_id(warehouse_id, sku)
        if inv_id in touched:
            return touched[inv_id]
        inv = self.store.get_or_none(inv_id)
        if inv is None and create:
            inv = Inventory(warehouse_id, sku)
        return inv

    # ------------------------------------------------------------------ waves
    def release_wave(
        self,
        warehouse_id: str,
        candidates: list[tuple[UUID, int, str]],
        max_lines: int,
        max_weight_g: int,
        cutoff: str,
        released_by: str,
    ) -> tuple[dict[str, Any], int]:
        """Release reserved shipments (order id, shipment no, cut-off) into a wave of carts."""
        layout = self.reference.layout_of(warehouse_id)
        products = self.reference.current()["products"]
        rules = {"cutoff": cutoff, "max_lines": max_lines, "max_weight_g": max_weight_g}

        def step(touched: Touched) -> dict[str, Any]:
            shipments = []
            claims: dict[UUID, Claims] = {}
            for order_id, shipment_no, ship_cutoff in candidates:
                order = self.store.get_or_none(order_id)
                if isinstance(order, Order) and order_id not in claims:
                    claims[order_id] = claimed_by_open_lists(
                        order, warehouse_id, lambda i: self.store.get_or_none(UUID(i))
                    )
                found = wave_shipment(
                    order,
                    shipment_no,
                    warehouse_id,
                    ship_cutoff,
                    lambda sku: self._inventory(touched, warehouse_id, sku),
                    products,
                    claims.get(order_id, {}),
                )
                if found is not None:
                    shipments.append(found)
            if not shipments:
                return {"wave_id": None, "pick_lists": [], "shipments": 0}
            carts = []
            for cart in plan_carts(shipments, max_lines, max_weight_g):
                lines = numbered_lines(cart)
                route = self.pick_router.route(layout, [ln["bin"] for ln in lines])
                carts.append((cart, lines, route))
            return record_wave(
                warehouse_id,
                carts,
                [s["shipment_id"] for s in shipments],
                dict(rules, released_by=released_by),
                touched,
            )

        return self.store.retry(step)

    # ------------------------------------------------------------------ handheld
    def next_task(self, warehouse_id: str, picker: str, candidates: list[UUID]) -> PickList | None:
        """The picker's current list, else the first open one (by cut-off) assigned to them.
        Assignment is a version-checked save: if another picker won, try the next list."""
        lists = [
            p for p in (self.store.get_or_none(c) for c in candidates) if isinstance(p, PickList)
        ]
        for p in lists:
            if p.warehouse_id == warehouse_id and p.status == ASSIGNED and p.picker == picker:
                return p
        for p in lists:
            if p.warehouse_id != warehouse_id or p.status != OPEN:
                continue
            p.assign(picker)
            try:
                self.store.commit(p)
            except IntegrityError:
                continue  # another picker took it first
            return p
        return None

    def get_pick_list(self, pick_list_id: UUID, warehouse_id: str) -> PickList:
        p = self.store.get_or_none(pick_list_id)
        if not isinstance(p, PickList) or p.warehouse_id != warehouse_id:
            raise NotFound("pick list", str(pick_list_id))
        return p

    def _open_for_scan(
        self, pick_list_id: UUID, warehouse_id: str, picker: str, scan_id: str
    ) -> tuple[PickList, dict[str, Any] | None]:
        """The list, or the first answer when this scan id was already applied (a handheld
        retrying after a lost reply must not pick twice)."""
        p = self.get_pick_list(pick_list_id, warehouse_id)
        if scan_id in p.scans:
            return p, {"repeated": True, "scan": p.scans[scan_id], "task": p.details()}
        if p.picker != picker:
            raise InvalidTransition(f"pick list belongs to {p.picker}, not {picker}")
        return p, None

    def _match(
        self, p: PickList, layout: Layout, scanned: tuple[str, str, str, int], allow_zero: bool
    ) -> dict[str, Any]:
        expected = p.next_line()
        products = self.reference.current()["products"]
        product = products.get(expected["sku"]) if expected else None
        return match_scan(p, layout, product, *scanned, allow_zero=allow_zero)

    def _finish_shipment(self, touched: Touched, p: PickList, line: dict) -> None:
        """When the list holds nothing more to pick for the line's shipment, the order records
        the shipment as picked, with what was picked from which lot and bin."""
        if p.shipment_done(line["order_id"], line["shipment_no"]):
            oid = UUID(line["order_id"])
            order = touched.get(oid) or self.orders.get_order(oid)
            order.shipment_picked(
                line["shipment_no"], picked_for(p, line["order_id"], line["shipment_no"])
            )
            touched[oid] = order

    def scan(
        self,
        pick_list_id: UUID,
        warehouse_id: str,
        picker: str,
        scan_id: str,
        bin_code: str,
        sku: str,
        lot: str,
        quantity: int,
    ) -> tuple[dict[str, Any], int]:
        layout = self.reference.layout_of(warehouse_id)

        def step(touched: Touched) -> dict[str, Any]:
            p, repeated = self._open_for_scan(pick_list_id, warehouse_id, picker, scan_id)
            if repeated is not None:
                return repeated
            line = self._match(p, layout, (bin_code, sku, lot, quantity), allow_zero=False)
            inv = self._inventory(touched, warehouse_id, line["sku"])
            inv.pick(line["order_id"], line["lot"], line["bin"], quantity)
            p.scan(scan_id, picker, line["line_no"], quantity)
            touched[inv.id] = inv
            return self._scanned(touched, p, line, scan_id)

        return self.store.retry(step)

    def report_short(
        self,
        pick_list_id: UUID,
        warehouse_id: str,
        picker: str,
        scan_id: str,
        bin_code: str,
        sku: str,
        lot: str,
        found: int,
        reason: str,
    ) -> tuple[dict[str, Any], int]:
        """Bin empty or damaged: record the shortfall, then cover it from another bin or lot
        here (the rest of the route is re-planned), else re-split the rest to another
        warehouse, else backorder it."""
        layout = self.reference.layout_of(warehouse_id)
        today = self.store.clock.now().date()

        def step(touched: Touched) -> dict[str, Any]:
            p, repeated = self._open_for_scan(pick_list_id, warehouse_id, picker, scan_id)
            if repeated is not None:
                return repeated
            line = self._match(p, layout, (bin_code, sku, lot, found), allow_zero=True)
            missing = p.remaining(line) - found
            if missing <= 0:
                raise InvalidTransition("nothing is short: scan the units as a normal pick")
            inv = self._inventory(touched, warehouse_id, line["sku"])
            touched[inv.id] = inv
            if found:
                inv.pick(line["order_id"], line["lot"], line["bin"], found)
            inv.record_short(line["order_id"], line["lot"], line["bin"], missing, reason)
            new_lines, resolutions = self._cover_shortfall(
                touched, inv, p, line, missing, reason, today
            )
            bins = shortage.bins_left_to_visit(p, line, new_lines, found, missing)
            route = (
                self.pick_router.route(layout, bins).to_dict()
                if bins
                else dict(p.route, sequence=[], length_m=0.0)
            )
            p.report_short(
                scan_id, picker, line["line_no"], found, missing, reason, new_lines, route,
                "; ".join(resolutions),
            )  # fmt: skip
            return self._scanned(touched, p, line, scan_id)

        return self.store.retry(step)

    def _cover_shortfall(
        self,
        touched: Touched,
        inv: Inventory,
        p: PickList,
        line: dict[str, Any],
        missing: int,
        reason: str,
        today: date,
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """Covers `missing` units from other lots or bins here, the rest from another warehouse
        or as a backorder, each recorded on the order. Answers the new pick-list lines and what
        was done, in words."""
        warehouse_id = p.warehouse_id
        product = self.reference.product(line["sku"])
        covered, new_lines = shortage.cover_here(inv, p, line, missing, product, today)
        oid = UUID(line["order_id"])
        order = touched.get(oid) or self.orders.get_order(oid)
        touched[oid] = order
        resolutions = []
        if covered:
            order.resolve_shortage(
                shipment_no=line["shipment_no"],
                sku=line["sku"],
                quantity=covered,
                resolution="rereserved",
                new_shipment=None,
                reason=reason,
            )
            resolutions.append(f"{covered} re-reserved in {warehouse_id}")
        if missing - covered:
            resolutions.append(
                self._resplit_or_backorder(
                    touched, order, line, missing - covered, warehouse_id, reason, today
                )
            )
        return new_lines, resolutions

    def _scanned(
        self, touched: Touched, p: PickList, line: dict[str, Any], scan_id: str
    ) -> dict[str, Any]:
        """Saves the list with the scan; answers the scan and the task as it stands now."""
        touched[p.id] = p
        self._finish_shipment(touched, p, line)
        return {"repeated": False, "scan": p.scans[scan_id], "task": p.details()}

    def _resplit_or_backorder(
        self,
        touched: Touched,
        order: Order,
        line: dict,
        quantity: int,
        here: str,
        reason: str,
        today: date,
    ) -> str:
        """The cheapest other warehouse holding all `quantity` units in bins takes them as a
        new shipment; with none, the units are backordered. Answers what was done, in words."""
        product = self.reference.product(line["sku"])
        destination = order.canonical["ship_to"]["country"]
        best = None
        for code, warehouse in self.reference.current()["warehouses"].items():
            inv = None if code == here else self._inventory(touched, code, line["sku"])
            if inv is None:
                continue
            lots, rest = choose_lots(
                inv.lots, quantity, product.perishable, product.min_shelf_life_days, today
            )
            if rest == 0 and all(a["bin"] for a in lots):
                lane = self.costs.estimate(warehouse.country, destination)
                if best is None or lane[0] < best[0][0]:
                    best = (lane, code, inv, lots)
        shortfall = {"shipment_no": line["shipment_no"], "sku": line["sku"], "reason": reason}
        if best is None:
            order.resolve_shortage(
                quantity=quantity, resolution="backordered", new_shipment=None, **shortfall
            )
            return f"{quantity} backordered (no other warehouse holds it)"
        lane, code, inv, lots = best
        inv.reserve(
            str(order.id),
            quantity,
            allocations=lots,
            policy=shortage.lot_policy(product),
            as_of=today.isoformat(),
        )
        touched[inv.id] = inv
        number = max(s["shipment_no"] for s in order.shipments) + 1
        shipment = shortage.new_shipment(number, code, line["sku"], quantity, product, lane)
        order.resolve_shortage(
            quantity=quantity, resolution="resplit", new_shipment=shipment, **shortfall
        )
        return f"{quantity} re-split to {code} as shipment {number}"

    # ------------------------------------------------------------------ packing
    def pack_shipment(
        self,
        order_id: UUID,
        shipment_no: int,
        parcels: list[dict[str, Any]],
        packed_by: str,
        warehouse_id: str | None,
    ) -> tuple[dict[str, Any], int]:
        """Parcels must hold exactly what was picked; a parcel more than 10% off its expected
        weight is flagged (recorded, not refused: the scale may be right). A cross-border
        shipment gets its customs declaration drafted in the same transaction."""
        products = self.reference.current()["products"]

        def step(touched: Touched) -> dict[str, Any]:
            order = self.orders.get_order(order_id)
            shipment = order.shipment(shipment_no)
            if warehouse_id is not None and shipment["warehouse_id"] != warehouse_id:
                raise NotFound("shipment", f"{order_id}-S{shipment_no}")
            picked = order.picked_quantities(shipment_no)
            if not picked:
                raise InvalidTransition(
                    f"nothing was picked for shipment {shipment_no} (every line was short)"
                )
            errors = packing_errors(parcels, picked)
            if errors:
                raise ValidationFailed(errors)
            recorded, flags = weigh_parcels(parcels, products)
            order.pack(shipment_no, recorded, flags, packed_by)
            touched[order.id] = order
            declaration = self.customs.draft_declaration(order, shipment_no)
            if declaration is not None:
                touched[declaration.id] = declaration
            return {
                "declaration_id": str(declaration.id) if declaration else None,
                "declaration_status": declaration.status if declaration else None,
                "order_id": str(order.id),
                "shipment_no": shipment_no,
                "order_status": order.status,
                "parcels": recorded,
                "flags": flags,
            }

        return self.store.retry(step)
