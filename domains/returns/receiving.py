"""Receiving a return at the warehouse: each unit graded (resellable back to stock with its
lot, through the Inventory's receiving events; refurbish; quarantine; dispose), the refund to
report to the channel, and the return's costs for the ledger, all in ONE transaction.

A mixin of ReturnsUseCases (domains/returns/application.py), which provides the collaborators.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domains.common import DomainError, InvalidTransition, NotFound, ValidationFailed
from domains.returns import rules
from domains.returns.claims import damaged_in_transit, new_claim
from domains.returns.model import RECEIVED, Claim, Return
from domains.store import Touched
from domains.warehouse.layout import parse_bin
from domains.warehouse.model import Inventory

if TYPE_CHECKING:
    from domains.orders.application import OrderUseCases
    from domains.orders.model import Order
    from domains.reference.application import ReferenceUseCases
    from domains.store import Store
    from domains.warehouse.application import WarehouseUseCases


class ReturnReceiving:
    store: Store
    reference: ReferenceUseCases
    orders: OrderUseCases
    warehouse: WarehouseUseCases

    def get(self, return_id: str) -> Return:
        raise NotImplementedError

    def answer(self, r: Return) -> dict[str, Any]:
        raise NotImplementedError

    def receive(
        self,
        return_id: str,
        receipt_id: str,
        units: list[dict[str, Any]],
        received_by: str,
        warehouse_scope: str | None = None,
    ) -> tuple[dict[str, Any], int]:
        """`units`: {sku, grade, quantity (default 1), lot (default: the lot shipped), bin
        (default: the putaway suggestion), note}. A warehouse key receives only returns to its
        own warehouse (else 404). Idempotent per receipt id."""
        ret = self.get(return_id)
        if warehouse_scope is not None and ret.warehouse_id != warehouse_scope:
            raise NotFound("return", return_id)
        if ret.status == RECEIVED:
            if getattr(ret, "receipt_id", None) == receipt_id:
                return {**self.answer(ret), "applied": False}, 0
            raise InvalidTransition(f"return {return_id} was received already")
        warehouse_id = ret.warehouse_id
        if warehouse_id is None:
            raise InvalidTransition(f"return is {ret.status}; buy its label first")
        graded = self._check_units(ret, units, warehouse_id)
        trigger = {"kind": "return", "ref": f"{warehouse_id}:{return_id}"}

        def step(touched: Touched) -> dict[str, Any]:
            r = self.get(return_id)
            order = self.orders.get_order(UUID(r.order_id))
            r.receive(receipt_id, warehouse_id, received_by)
            bins = self._restock(r, graded, warehouse_id, touched)
            for n, u in enumerate(graded, start=1):
                r.grade(n, u["sku"], u["lot"], u["grade"], bins.get(n), u["note"])
            counts: dict[str, int] = {}
            for u in graded:
                counts[u["sku"]] = counts.get(u["sku"], 0) + 1
            quote = (r.label or {}).get("quote")
            charge = (
                {"amount": quote["total"], "currency": quote["currency"]}
                if quote and r.label_payer == "buyer"
                else None
            )
            r.report_refund(rules.refund(order.canonical, counts), charge)
            day = self.store.clock.now().date().isoformat()
            r.record_costs([{**e, "day": day} for e in self._costs(r, len(graded))])
            touched[r.id] = r
            claim_id = self._damage_claim(r, order, received_by, touched)
            if bins:
                for sku in {u["sku"] for u in graded if u["grade"] == "resellable"}:
                    self.warehouse.ring(touched, sku, trigger)
            return {**self.answer(r), "applied": True, "claim_id": claim_id}

        answer, nid = self.store.retry(step)
        restocked = sorted({u["sku"] for u in graded if u["grade"] == "resellable"})
        if restocked:
            self.orders.release_after_commit(restocked, trigger)
        return answer, nid

    def _check_units(
        self, ret: Return, units: list[dict[str, Any]], warehouse_id: str
    ) -> list[dict[str, Any]]:
        """Every unit checked, every error named; answers one entry per unit."""
        errors: list[dict[str, str]] = []
        wanted = {ln["sku"]: ln["quantity"] for ln in ret.lines}
        lots: dict[str, set[str]] = {}
        for p in ret.shipment.get("lots", []):
            lots.setdefault(p["sku"], set()).add(p["lot"])
        layout = self.reference.layout_of(warehouse_id)
        seen: dict[str, int] = {}
        out = []
        if not units:
            errors.append({"loc": "units", "msg": "grade at least one unit"})
        for i, u in enumerate(units):
            at = f"units[{i}]"
            sku, grade = u["sku"], u["grade"]
            if sku not in wanted:
                errors.append({"loc": f"{at}.sku", "msg": f"{sku} is not in this return"})
                continue
            if grade not in rules.GRADES:
                errors.append({"loc": f"{at}.grade", "msg": f"one of {', '.join(rules.GRADES)}"})
            seen[sku] = seen.get(sku, 0) + u.get("quantity", 1)
            if seen[sku] > wanted[sku]:
                msg = f"{seen[sku]} units of {sku} graded; the return has {wanted[sku]}"
                errors.append({"loc": f"{at}.quantity", "msg": msg})
            shipped_lots = sorted(lots.get(sku, set()))
            lot = u.get("lot") or (shipped_lots[0] if len(shipped_lots) == 1 else None)
            if lot is None:
                msg = (
                    f"{sku} left in lots {', '.join(shipped_lots)}: say which"
                    if shipped_lots
                    else f"{sku}: the lot is required"
                )
                errors.append({"loc": f"{at}.lot", "msg": msg})
            elif shipped_lots and lot not in shipped_lots:
                msg = f"lot {lot} of {sku} was not in this shipment ({', '.join(shipped_lots)})"
                errors.append({"loc": f"{at}.lot", "msg": msg})
            bin_code = u.get("bin")
            if bin_code:
                try:
                    bin_code = parse_bin(layout, bin_code).code
                except DomainError as exc:
                    errors.append({"loc": f"{at}.bin", "msg": str(exc)})
            unit = {"sku": sku, "grade": grade, "lot": lot, "bin": bin_code,
                    "note": u.get("note") or ""}  # fmt: skip
            out += [dict(unit) for _ in range(u.get("quantity", 1))]
        if errors:
            raise ValidationFailed(errors)
        return out

    def _restock(
        self, r: Return, graded: list[dict[str, Any]], warehouse_id: str, touched: Touched
    ) -> dict[int, str | None]:
        """Resellable units back to stock with their lot, one receipt per (SKU, lot, bin),
        idempotent per return; answers each restocked unit's bin by unit number."""
        groups: dict[tuple[str, str, str | None], list[int]] = {}
        for n, u in enumerate(graded, start=1):
            if u["grade"] == "resellable":
                groups.setdefault((u["sku"], u["lot"], u["bin"]), []).append(n)
        bins: dict[int, str | None] = {}
        for (sku, lot, bin_code), numbers in groups.items():
            inv_id = Inventory.create_id(warehouse_id, sku)
            inv = (
                touched.get(inv_id)
                or self.store.get_or_none(inv_id)
                or Inventory(warehouse_id, sku)
            )
            expiry = next((e["expiry"] for e in inv.lots.values() if e["lot"] == lot), None)
            if bin_code is None:
                placements = [
                    (t, q)
                    for t, q, _ in self.warehouse.plan_putaway(warehouse_id, sku, len(numbers), lot)
                ]
            else:
                placements = [(bin_code, len(numbers))]
            queue = list(numbers)
            for k, (target, quantity) in enumerate(placements, start=1):
                ref = f"return:{r.return_id}:{sku}:{lot}:{bin_code or ''}#{k}"
                inv.receive(quantity, ref, lot=lot, bin=target, expiry=expiry)
                for _ in range(quantity):
                    bins[queue.pop(0)] = target
            touched[inv.id] = inv
        return bins

    def _damage_claim(
        self, r: Return, order: Order, received_by: str, touched: Touched
    ) -> str | None:
        """Units the buyer said arrived damaged and receiving did not pass as resellable open
        the carrier's damage claim for the shipment, in the receipt's transaction (once)."""
        units = damaged_in_transit(r)
        entry = order.fulfilment.get(str(r.shipment_no), {})
        if not units or not entry.get("waybill") or not entry.get("dispatched_at"):
            return None
        claim_id = f"{r.order_id}-S{r.shipment_no}-damaged"
        if self.store.get_or_none(Claim.create_id(claim_id)) is not None:
            return None
        rule = {"opened": "return graded damaged", "return_id": r.return_id}
        claim = new_claim(order, r.shipment_no, "damaged", units, received_by, rule,
                          photos=[], return_id=r.return_id)  # fmt: skip
        touched[claim.id] = claim
        return claim_id

    @staticmethod
    def _costs(r: Return, units: int) -> list[dict[str, Any]]:
        """Handling per unit received; the label when the seller pays it."""
        entries = [
            {
                "kind": "return_handling",
                "amount": str(rules.HANDLING_PER_UNIT * units),
                "currency": rules.HANDLING_CURRENCY,
                "why": f"{units} units x {rules.HANDLING_PER_UNIT} {rules.HANDLING_CURRENCY}",
            }
        ]
        quote = (r.label or {}).get("quote")
        if quote and r.label_payer == "seller":
            why = f"return label {quote['carrier']}/{quote['service']}, paid by the seller"
            entries.append({"kind": "return_label", "amount": str(Decimal(quote["total"])),
                            "currency": quote["currency"], "why": why})  # fmt: skip
        return entries
