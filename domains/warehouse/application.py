"""Warehouse use cases: receiving, putaway, counts, waves, the handheld pick flow and packing.

Every command records its decision with its inputs (chosen lots, routes and their S-shape
comparison, the resolution of a short pick) and saves all it touched in one transaction,
retrying on a version conflict (`Store.retry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domains.common import DomainError, InvalidTransition, NotFound, ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.ports import ShippingCostTable
from domains.reference.application import ReferenceUseCases
from domains.store import Store
from domains.warehouse import putaway
from domains.warehouse.layout import Layout, parse_bin
from domains.warehouse.lots import UNLOTTED, choose_lots, lot_key
from domains.warehouse.model import Inventory
from domains.warehouse.picking import ASSIGNED, OPEN, PickList, Wave, plan_carts
from domains.warehouse.routing import RoutePlan

WEIGHT_TOLERANCE = 0.10


class ScanRejected(DomainError):
    """A scan that does not match what the list expects (422, nothing recorded)."""

    def __init__(self, errors: list[dict[str, Any]], expected: dict[str, Any] | None) -> None:
        super().__init__("; ".join(e["msg"] for e in errors))
        self.errors = errors
        self.expected = expected


class PickRouter(Protocol):
    def route(self, layout: Layout, bin_codes: list[str]) -> RoutePlan: ...


class WarehouseUseCases:
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

    # ------------------------------------------------------------------ helpers
    def _inventory(
        self, touched: dict, warehouse_id: str, sku: str, create: bool = False
    ) -> Any:
        inv_id = Inventory.create_id(warehouse_id, sku)
        if inv_id in touched:
            return touched[inv_id]
        inv = self.store.get_or_none(inv_id)
        if inv is None and create:
            inv = Inventory(warehouse_id, sku)
        return inv

    # ------------------------------------------------------------------ receiving
    def receive_stock(
        self,
        warehouse_id: str,
        sku: str,
        quantity: int,
        receipt_ref: str,
        lot: str | None = None,
        bin_code: str | None = None,
        expiry: str | None = None,
    ) -> int:
        """An admin stock receipt (opening balances, transfers in). Without a bin, goods go
        where the putaway policy suggests. Idempotent per receipt reference."""
        warehouse = self.reference.warehouse(warehouse_id)
        self.reference.product(sku)
        lot = lot or UNLOTTED

        def attempt(touched: dict[UUID, Aggregate]) -> None:
            inventory = self.store.get_or_none(Inventory.create_id(warehouse_id, sku))
            if inventory is None:
                inventory = Inventory(warehouse_id, sku)
            elif receipt_ref in inventory.receipts or f"{receipt_ref}#1" in inventory.receipts:
                return
            if bin_code is None and warehouse.layout:
                placements = self.plan_putaway(warehouse_id, sku, quantity, lot)
                for n, (target, units, _why) in enumerate(placements, start=1):
                    inventory.receive(
                        units, f"{receipt_ref}#{n}", lot=lot, bin=target, expiry=expiry
                    )
            else:
                inventory.receive(quantity, receipt_ref, lot=lot, bin=bin_code, expiry=expiry)
            touched[inventory.id] = inventory

        return self.store.retry(attempt)[1]

    def bin_contents(self, warehouse_id: str) -> dict[str, list[dict[str, Any]]]:
        """What each bin holds now, read from the inventory streams (the source of truth)."""
        contents: dict[str, list[dict[str, Any]]] = {}
        for sku in self.reference.current()["products"]:
            inv = self.store.get_or_none(Inventory.create_id(warehouse_id, sku))
            for lot in inv.lots.values() if inv else []:
                if lot["bin"] and lot["on_hand"] > 0:
                    contents.setdefault(lot["bin"], []).append(
                        {
                            "sku": sku,
                            "lot": lot["lot"],
                            "quantity": lot["on_hand"],
                            "expiry": lot["expiry"],
                            "reserved": lot["reserved"],
                        }
                    )
        return contents

    def stock_of(self, pairs: Iterable[tuple[str, str]]) -> list[Inventory]:
        out = []
        for warehouse_id, sku in pairs:
            inv = self.store.get_or_none(Inventory.create_id(warehouse_id, sku))
            if inv is not None:
                out.append(inv)
        return out

    def receive_goods(
        self,
        warehouse_id: str,
        sku: str,
        quantity: int,
        receipt_id: str,
        lot: str,
        bin_code: str,
        expiry: date | None,
    ) -> tuple[dict[str, Any], int]:
        """A handheld goods receipt into a bin. Perishables need an expiry date; goods that are
        already expired are refused. Idempotent per receipt id."""
        layout = self.reference.layout_of(warehouse_id)
        product = self.reference.product(sku)
        errors = []
        try:
            location = parse_bin(layout, bin_code)
        except DomainError as exc:
            errors.append({"loc": "bin", "msg": str(exc)})
            location = None
        if product.perishable and expiry is None:
            errors.append(
                {"loc": "expiry", "msg": f"{sku} is perishable: an expiry date is required"}
            )
        if expiry is not None and expiry <= self.store.clock.now().date():
            errors.append({"loc": "expiry", "msg": f"lot {lot} expired on {expiry}; not received"})
        if errors:
            raise ValidationFailed(errors)
        assert location is not None

        def step(touched: dict) -> dict[str, Any]:
            inv = self._inventory(touched, warehouse_id, sku, create=True)
            applied = inv.receive(
                quantity,
                f"{warehouse_id}:{receipt_id}",
                lot=lot,
                bin=location.code,
                expiry=expiry.isoformat() if expiry else None,
            )
            if applied or inv.version is None or not self.store.get_or_none(inv.id):
                touched[inv.id] = inv
            return {"applied": applied, "bin": location.code, "lot": lot, "on_hand": inv.on_hand}

        return self.store.retry(step)

    def suggest_putaway(
        self,
        warehouse_id: str,
        sku: str,
        quantity: int,
        lot: str,
        contents: dict[str, list[dict[str, Any]]],
        velocity: dict[str, float],
    ) -> putaway.PutawaySuggestion:
        layout = self.reference.layout_of(warehouse_id)
        product = self.reference.product(sku)
        products = self.reference.current()["products"]
        volumes = {s: putaway.unit_volume_cm3(p.dimensions_mm) for s, p in products.items()}
        ranked = sorted(products, key=lambda s: -velocity.get(s, 0.0))
        # No sales history yet: neither fast nor slow.
        rank = ranked.index(sku) / max(1, len(ranked) - 1) if velocity.get(sku) else 0.5
        suggestion = putaway.suggest(
            layout,
            sku,
            lot,
            quantity,
            putaway.unit_volume_cm3(product.dimensions_mm),
            contents,
            volumes,
            rank,
        )
        if suggestion is None:
            raise InvalidTransition(f"no bin in {warehouse_id} has room for {quantity} x {sku}")
        return suggestion

    def plan_putaway(
        self, warehouse_id: str, sku: str, quantity: int, lot: str
    ) -> list[tuple[str, int, str]]:
        layout = self.reference.layout_of(warehouse_id)
        products = self.reference.current()["products"]
        volumes = {s: putaway.unit_volume_cm3(p.dimensions_mm) for s, p in products.items()}
        try:
            return putaway.plan(
                layout,
                sku,
                lot,
                quantity,
                volumes[sku],
                self.bin_contents(warehouse_id),
                volumes,
                0.5,
            )
        except ValueError as exc:
            raise InvalidTransition(str(exc)) from None

    def count_bin(
        self,
        warehouse_id: str,
        bin_code: str,
        sku: str,
        lot: str,
        counted: int,
        reason: str,
        count_id: str,
    ) -> tuple[dict[str, Any], int]:
        layout = self.reference.layout_of(warehouse_id)
        self.reference.product(sku)
        try:
            code = parse_bin(layout, bin_code).code
        except DomainError as exc:
            raise ValidationFailed([{"loc": "bin", "msg": str(exc)}]) from None
        if not reason.strip():
            raise ValidationFailed([{"loc": "reason", "msg": "a count needs a reason"}])

        def step(touched: dict) -> dict[str, Any]:
            inv = self._inventory(touched, warehouse_id, sku, create=True)
            diff = inv.count(lot, code, counted, reason, f"{warehouse_id}:{count_id}")
            if diff is not None:
                touched[inv.id] = inv
            entry = inv.lots.get(lot_key(lot, code))
            return {
                "applied": diff is not None,
                "difference": diff,
                "bin": code,
                "lot": lot,
                "counted": counted,
                "bin_on_hand": entry["on_hand"] if entry else 0,
                "sku_on_hand": inv.on_hand,
            }

        return self.store.retry(step)

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

        def step(touched: dict) -> dict[str, Any]:
            shipments = []
            for order_id, shipment_no, ship_cutoff in candidates:
                order = self.store.get_or_none(order_id)
                if not isinstance(order, Order) or order.status not in ("allocated", "picking"):
                    continue
                if order.shipment_status(shipment_no) != "allocated":
                    continue
                shipment = order.shipment(shipment_no)
                if shipment["warehouse_id"] != warehouse_id or not shipment["lines"]:
                    continue
                picks = []
                for line in shipment["lines"]:
                    inv = self._inventory(touched, warehouse_id, line["sku"])
                    for a in inv.allocations.get(str(order_id), []) if inv else []:
                        picks.append(
                            {
                                "order_id": str(order_id),
                                "shipment_no": shipment_no,
                                "sku": line["sku"],
                                "lot": a["lot"],
                                "bin": a["bin"],
                                "quantity": a["quantity"],
                            }
                        )
                if not picks or any(p["bin"] is None for p in picks):
                    continue  # stock without a bin must be put away before it can be picked
                weight = sum(products[p["sku"]].unit_weight_g * p["quantity"] for p in picks)
                shipments.append(
                    {
                        "shipment_id": f"{order_id}-S{shipment_no}",
                        "order": order,
                        "shipment_no": shipment_no,
                        "cutoff": ship_cutoff,
                        "picks": picks,
                        "weight_g": weight,
                    }
                )
            if not shipments:
                return {"wave_id": None, "pick_lists": [], "shipments": 0}
            carts = plan_carts(shipments, max_lines, max_weight_g)
            lists = []
            for cart in carts:
                lines = [
                    dict(p, line_no=n)
                    for n, p in enumerate((p for s in cart for p in s["picks"]), start=1)
                ]
                route = self.pick_router.route(layout, [ln["bin"] for ln in lines])
                lists.append((cart, lines, route, min(s["cutoff"] for s in cart)))
            wave_id = uuid4()
            pick_lists = []
            for cart_no, (cart, lines, route, cart_cutoff) in enumerate(lists, start=1):
                pick_list = PickList(
                    pick_list_id=uuid4(),
                    warehouse_id=warehouse_id,
                    wave_id=str(wave_id),
                    cart_no=cart_no,
                    cutoff=cart_cutoff,
                    lines=lines,
                    route=route.to_dict(),
                )
                pick_lists.append((pick_list, cart))
                touched[pick_list.id] = pick_list
                for s in cart:
                    order = touched.get(s["order"].id, s["order"])
                    order.wave_shipment(s["shipment_no"], str(wave_id), str(pick_list.id))
                    touched[order.id] = order
            wave = Wave(
                wave_id=wave_id,
                warehouse_id=warehouse_id,
                cutoff=cutoff,
                max_lines=max_lines,
                max_weight_g=max_weight_g,
                shipments=[s["shipment_id"] for s in shipments],
                pick_lists=[str(p.id) for p, _ in pick_lists],
                released_by=released_by,
            )
            touched[wave.id] = wave
            return {
                "wave_id": str(wave.id),
                "shipments": len(shipments),
                "pick_lists": [
                    {
                        "id": str(p.id),
                        "cart_no": p.cart_no,
                        "lines": len(p.lines),
                        "route_m": p.route["length_m"],
                        "s_shape_m": p.route["s_shape_m"],
                    }
                    for p, _ in pick_lists
                ],
            }

        return self.store.retry(step)

    # ------------------------------------------------------------------ handheld
    def next_task(self, warehouse_id: str, picker: str, candidates: list[UUID]) -> Any:
        """The picker's current list, else the first open one (by cut-off) assigned to them.
        Assignment is a version-checked save: if another picker won, try the next list."""
        lists = [p for p in (self.store.get_or_none(c) for c in candidates) if isinstance(p, PickList)]
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
                continue
            return p
        return None

    def get_pick_list(self, pick_list_id: UUID, warehouse_id: str) -> PickList:
        p = self.store.get_or_none(pick_list_id)
        if not isinstance(p, PickList) or p.warehouse_id != warehouse_id:
            raise NotFound("pick list", str(pick_list_id))
        return p

    def _match(
        self,
        p: PickList,
        layout: Layout,
        bin_code: str,
        sku: str,
        lot: str,
        quantity: int,
        allow_zero: bool = False,
    ) -> dict[str, Any]:
        expected = p.next_line()
        if expected is None:
            raise InvalidTransition("every line of this pick list is done")
        want = {
            "line_no": expected["line_no"],
            "bin": expected["bin"],
            "sku": expected["sku"],
            "lot": expected["lot"],
            "quantity": p.remaining(expected),
        }
        errors = []
        try:
            code = parse_bin(layout, bin_code).code
        except DomainError as exc:
            code = None
            errors.append({"loc": "bin", "msg": str(exc)})
        if code is not None and code != expected["bin"]:
            errors.append({"loc": "bin", "msg": f"wrong bin {code}: go to {expected['bin']}"})
        product = self.reference.current()["products"].get(expected["sku"])
        if sku != expected["sku"] and not (product and product.barcode and sku == product.barcode):
            errors.append({"loc": "sku", "msg": f"wrong item {sku}: expected {expected['sku']}"})
        if lot != expected["lot"]:
            errors.append({"loc": "lot", "msg": f"wrong lot {lot}: expected {expected['lot']}"})
        low = 0 if allow_zero else 1
        if not low <= quantity <= p.remaining(expected):
            errors.append(
                {
                    "loc": "quantity",
                    "msg": f"quantity {quantity}: between {low} and {p.remaining(expected)}",
                }
            )
        if errors:
            raise ScanRejected(errors, want)
        return expected

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

    def _picked_for(self, p: PickList, order_id: str, shipment_no: int) -> list[dict]:
        return [
            {"sku": ln["sku"], "lot": ln["lot"], "bin": ln["bin"], "quantity": ln["picked"]}
            for ln in p.lines
            if ln["order_id"] == order_id and ln["shipment_no"] == shipment_no and ln["picked"]
        ]

    def _finish_shipment(self, touched: dict, p: PickList, line: dict) -> None:
        if p.shipment_done(line["order_id"], line["shipment_no"]):
            oid = UUID(line["order_id"])
            order = touched.get(oid) or self.orders.get_order(oid)
            order.shipment_picked(
                line["shipment_no"], self._picked_for(p, line["order_id"], line["shipment_no"])
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

        def step(touched: dict) -> dict[str, Any]:
            p, repeated = self._open_for_scan(pick_list_id, warehouse_id, picker, scan_id)
            if repeated is not None:
                return repeated
            line = self._match(p, layout, bin_code, sku, lot, quantity)
            inv = self._inventory(touched, warehouse_id, line["sku"])
            inv.pick(line["order_id"], line["lot"], line["bin"], quantity)
            p.scan(scan_id, picker, line["line_no"], quantity)
            touched[inv.id] = inv
            touched[p.id] = p
            self._finish_shipment(touched, p, line)
            return {"repeated": False, "scan": p.scans[scan_id], "task": p.details()}

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

        def step(touched: dict) -> dict[str, Any]:
            p, repeated = self._open_for_scan(pick_list_id, warehouse_id, picker, scan_id)
            if repeated is not None:
                return repeated
            line = self._match(p, layout, bin_code, sku, lot, found, allow_zero=True)
            missing = p.remaining(line) - found
            if missing <= 0:
                raise InvalidTransition("nothing is short: scan the units as a normal pick")
            order_key, product = line["order_id"], self.reference.product(line["sku"])
            inv = self._inventory(touched, warehouse_id, line["sku"])
            touched[inv.id] = inv
            if found:
                inv.pick(order_key, line["lot"], line["bin"], found)
            inv.record_short(order_key, line["lot"], line["bin"], missing, reason)
            lots, rest = choose_lots(
                inv.lots,
                missing,
                product.perishable,
                product.min_shelf_life_days,
                today,
                exclude={lot_key(line["lot"], line["bin"])},
            )
            same_here = missing - rest
            new_lines = []
            if same_here:
                inv.reserve(
                    order_key,
                    same_here,
                    allocations=lots,
                    policy="FEFO" if product.perishable else "FIFO",
                    as_of=today.isoformat(),
                )
                start = max(ln["line_no"] for ln in p.lines) + 1
                new_lines = [
                    {
                        "line_no": start + i,
                        "order_id": order_key,
                        "shipment_no": line["shipment_no"],
                        "sku": line["sku"],
                        "lot": a["lot"],
                        "bin": a["bin"],
                        "quantity": a["quantity"],
                    }
                    for i, a in enumerate(lots)
                ]
            oid = UUID(order_key)
            order = touched.get(oid) or self.orders.get_order(oid)
            touched[oid] = order
            resolutions = []
            if same_here:
                order.resolve_shortage(
                    shipment_no=line["shipment_no"],
                    sku=line["sku"],
                    quantity=same_here,
                    resolution="rereserved",
                    new_shipment=None,
                    reason=reason,
                )
                resolutions.append(f"{same_here} re-reserved in {warehouse_id}")
            if rest:
                resolutions.append(
                    self._resplit_or_backorder(
                        touched, order, line, rest, warehouse_id, reason, today
                    )
                )
            open_bins = [ln["bin"] for ln in p.ordered_lines() if ln["line_no"] != line["line_no"]]
            open_bins += [ln["bin"] for ln in new_lines]
            if p.remaining(line) - found - missing > 0:
                open_bins.append(line["bin"])
            route = (
                self.pick_router.route(layout, open_bins).to_dict()
                if open_bins
                else dict(p.route, sequence=[], length_m=0.0)
            )
            p.report_short(
                scan_id,
                picker,
                line["line_no"],
                found,
                missing,
                reason,
                new_lines,
                route,
                "; ".join(resolutions),
            )
            touched[p.id] = p
            self._finish_shipment(touched, p, line)
            return {"repeated": False, "scan": p.scans[scan_id], "task": p.details()}

        return self.store.retry(step)

    def _resplit_or_backorder(
        self,
        touched: dict,
        order: Order,
        line: dict,
        quantity: int,
        here: str,
        reason: str,
        today: date,
    ) -> str:
        product = self.reference.product(line["sku"])
        best = None
        for code, warehouse in self.reference.current()["warehouses"].items():
            if code == here:
                continue
            inv = self._inventory(touched, code, line["sku"])
            if inv is None:
                continue
            lots, rest = choose_lots(
                inv.lots, quantity, product.perishable, product.min_shelf_life_days, today
            )
            if rest == 0 and all(a["bin"] for a in lots):
                cost = self.costs.estimate(warehouse.country, order.canonical["ship_to"]["country"])
                if best is None or cost[0] < best[0]:
                    best = (cost[0], code, inv, lots, cost)
        if best is None:
            order.resolve_shortage(
                shipment_no=line["shipment_no"],
                sku=line["sku"],
                quantity=quantity,
                resolution="backordered",
                new_shipment=None,
                reason=reason,
            )
            return f"{quantity} backordered (no other warehouse holds it)"
        _, code, inv, lots, cost = best
        inv.reserve(
            str(order.id),
            quantity,
            allocations=lots,
            policy="FEFO" if product.perishable else "FIFO",
            as_of=today.isoformat(),
        )
        touched[inv.id] = inv
        number = max(s["shipment_no"] for s in order.shipments) + 1
        weight = product.unit_weight_g * quantity
        new_shipment = {
            "shipment_no": number,
            "warehouse_id": code,
            "lines": [{"sku": line["sku"], "quantity": quantity}],
            "weight_g": weight,
            "estimated_cost": str((cost[0] + cost[1] * weight / 1000).quantize(cost[0])),
        }
        order.resolve_shortage(
            shipment_no=line["shipment_no"],
            sku=line["sku"],
            quantity=quantity,
            resolution="resplit",
            new_shipment=new_shipment,
            reason=reason,
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
        weight is flagged (recorded, not refused: the scale may be right)."""
        products = self.reference.current()["products"]

        def step(touched: dict) -> dict[str, Any]:
            order = self.orders.get_order(order_id)
            shipment = order.shipment(shipment_no)
            if warehouse_id is not None and shipment["warehouse_id"] != warehouse_id:
                raise NotFound("shipment", f"{order_id}-S{shipment_no}")
            picked = order.picked_quantities(shipment_no)
            if not picked:
                raise InvalidTransition(
                    f"nothing was picked for shipment {shipment_no} (every line was short)"
                )
            packed: dict[str, int] = {}
            errors = []
            for i, parcel in enumerate(parcels):
                for j, item in enumerate(parcel["items"]):
                    if item["sku"] not in picked:
                        errors.append(
                            {
                                "loc": f"parcels[{i}].items[{j}].sku",
                                "msg": f"{item['sku']} is not in this shipment",
                            }
                        )
                    packed[item["sku"]] = packed.get(item["sku"], 0) + item["quantity"]
            for sku_, qty in picked.items():
                if packed.get(sku_, 0) != qty:
                    errors.append(
                        {
                            "loc": "parcels",
                            "msg": f"{sku_}: picked {qty}, packed {packed.get(sku_, 0)}",
                        }
                    )
            if errors:
                raise ValidationFailed(errors)
            recorded, flags = [], []
            for i, parcel in enumerate(parcels):
                expected = sum(
                    products[it["sku"]].unit_weight_g * it["quantity"] for it in parcel["items"]
                )
                off = (parcel["weight_g"] - expected) / expected if expected else 0.0
                recorded.append(dict(parcel, parcel_no=i + 1, expected_weight_g=expected))
                if abs(off) > WEIGHT_TOLERANCE:
                    flags.append(
                        {
                            "parcel_no": i + 1,
                            "code": "weight_mismatch",
                            "expected_g": expected,
                            "actual_g": parcel["weight_g"],
                            "difference_pct": round(off * 100, 1),
                            "reason": f"parcel {i + 1} weighs {parcel['weight_g']} g, "
                            f"expected {expected} g ({off:+.0%})",
                        }
                    )
            order.pack(shipment_no, recorded, flags, packed_by)
            touched[order.id] = order
            declaration = self.customs.draft_declaration(order, shipment_no)  # cross-border only
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


def cutoff_for(placed_at: str, channel: str) -> str:
    """Latest dispatch time promised to the channel, until carriers bring their own cut-offs."""
    hours = {"amazon": 24, "shopee": 48, "shopify": 48, "web": 48, "dealer": 72}.get(channel, 48)
    return (datetime.fromisoformat(placed_at) + timedelta(hours=hours)).isoformat()
