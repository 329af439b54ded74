"""Warehouse use cases: stock in (admin receipts and handheld goods receipts), putaway,
counts, and what each bin holds; the floor's use cases (waves, picking, short picks, packing)
come from `PickingUseCases` (domains/warehouse/handheld.py), so `app.warehouse` offers both.

Every command saves everything it touched in one transaction, retrying on a version conflict
(`Store.retry`); receipts and counts are idempotent per their id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domains.common import DomainError, InvalidTransition, ValidationFailed
from domains.store import Touched
from domains.warehouse import putaway
from domains.warehouse.handheld import PickingUseCases
from domains.warehouse.inbound_stock import InboundStockUseCases
from domains.warehouse.layout import parse_bin
from domains.warehouse.lots import UNLOTTED, lot_key
from domains.warehouse.model import Inventory
from domains.warehouse.scanning import ScanRejected
from domains.warehouse.waves import cutoff_for


class WarehouseUseCases(InboundStockUseCases):
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
        trigger = {"kind": "receipt", "ref": receipt_ref}

        def attempt(touched: Touched) -> None:
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
            self.ring(touched, sku, trigger)

        nid = self.store.retry(attempt)[1]
        # Also on a repeat: a client retrying a receipt whose release did not finish.
        self.orders.release_after_commit([sku], trigger)
        return nid

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
        trigger = {"kind": "goods_receipt", "ref": f"{warehouse_id}:{receipt_id}"}

        def step(touched: Touched) -> dict[str, Any]:
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
            if applied:
                self.ring(touched, sku, trigger)
            return {"applied": applied, "bin": location.code, "lot": lot, "on_hand": inv.on_hand}

        answer = self.store.retry(step)
        self.orders.release_after_commit([sku], trigger)
        return answer

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
        trigger = {"kind": "count", "ref": f"{warehouse_id}:{count_id}"}

        def step(touched: Touched) -> dict[str, Any]:
            inv = self._inventory(touched, warehouse_id, sku, create=True)
            diff = inv.count(lot, code, counted, reason, f"{warehouse_id}:{count_id}")
            if diff is not None:
                touched[inv.id] = inv
            if diff is not None and diff > 0:
                self.ring(touched, sku, trigger)
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

        answer = self.store.retry(step)
        if (answer[0]["difference"] or 0) > 0:
            self.orders.release_after_commit([sku], trigger)
        return answer


__all__ = ["PickingUseCases", "ScanRejected", "WarehouseUseCases", "cutoff_for"]
