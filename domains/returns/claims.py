"""Carrier claims: opened for a lost parcel (no scan for LOST_AFTER_DAYS after its no-scan SLA
alert) or a damaged one (by an operator, with the return it came back in), with the evidence;
submitted in the carrier's claim file; accepted or rejected; paid (a credit in the ledger).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.orders.application import OrderUseCases
from domains.orders.model import DELIVERED, Order
from domains.returns import rules
from domains.returns.model import Claim, Return
from domains.returns.ports import ClaimFile, ReturnViews
from domains.store import Store, Touched

NON_RESELLABLE = ("refurbish", "quarantine", "dispose")


def _amount(value: str, loc: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        d = Decimal(-1)
    if not d.is_finite() or d < 0:
        raise ValidationFailed([{"loc": loc, "msg": f"an amount of 0 or more, not {value!r}"}])
    return d


def new_claim(
    order: Order,
    shipment_no: int,
    kind: str,
    units: dict[str, int],
    opened_by: str,
    rule: dict[str, Any],
    *,
    photos: list[str],
    return_id: str | None,
    detail: str = "",
) -> Claim:
    """A claim for `units` (SKU -> units) of a dispatched shipment, at the order's line
    amounts, with the shipment's tracking timeline as evidence."""
    entry = order.fulfilment[str(shipment_no)]
    value = rules.refund(order.canonical, units)
    return Claim(
        claim_id=f"{order.id}-S{shipment_no}-{kind}",
        kind=kind,
        order_id=str(order.id),
        shipment_no=shipment_no,
        carrier=entry["carrier_code"],
        shipment={
            "service": entry.get("service"),
            "waybill": entry["waybill"],
            "warehouse_id": order.shipment(shipment_no)["warehouse_id"],
            "destination": order.canonical["ship_to"]["country"],
            "dispatched_at": entry["dispatched_at"],
        },
        evidence={
            "tracking": entry.get("tracking", []),
            "declared_value": {k: value[k] for k in ("amount", "currency", "lines")},
            "photos": photos,
            "return_id": return_id,
            "detail": detail,
        },
        amount=value["amount"],
        currency=value["currency"],
        opened_by=opened_by,
        rule=rule,
    )


def damaged_in_transit(ret: Return) -> dict[str, int]:
    """SKU -> units of a return the buyer said arrived damaged and receiving graded other
    than resellable: what the carrier is claimed for."""
    damaged = {ln["sku"] for ln in ret.lines if ln["reason"] == "damaged"}
    units: dict[str, int] = {}
    for u in ret.units:
        if u["grade"] in NON_RESELLABLE and u["sku"] in damaged:
            units[u["sku"]] = units.get(u["sku"], 0) + 1
    return units


class ClaimUseCases:
    def __init__(
        self,
        store: Store,
        orders: OrderUseCases,
        *,
        views: ReturnViews,
        claim_file: ClaimFile,
        lost_after_days: int = rules.LOST_AFTER_DAYS,
    ) -> None:
        self.store = store
        self.orders = orders
        self.views = views
        self.claim_file = claim_file
        self.lost_after_days = lost_after_days

    def get(self, claim_id: str) -> Claim:
        c = self.store.get_or_none(Claim.create_id(claim_id))
        if not isinstance(c, Claim):
            raise NotFound("claim", claim_id)
        return c

    # ------------------------------------------------------------------ opening
    def open_claim(
        self,
        order_id: UUID,
        shipment_no: int,
        kind: str,
        opened_by: str,
        photos: list[str] = (),  # type: ignore[assignment]
        return_id: str | None = None,
        detail: str = "",
        rule: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], int]:
        """A claim for a shipment's lost or damaged goods. Idempotent per shipment and kind.
        A damaged claim names the return the goods came back in: it claims the units graded
        other than resellable; a lost claim claims everything the shipment carried."""
        errors = rules.photo_errors(list(photos))
        if kind not in rules.CLAIM_KINDS:
            errors.append({"loc": "kind", "msg": f"one of {', '.join(rules.CLAIM_KINDS)}"})
        if kind == "damaged" and not return_id and not photos:
            errors.append({"loc": "return_id", "msg": "a damage claim needs the return or photos"})
        if errors:
            raise ValidationFailed(errors)
        order = self.orders.get_order(order_id)
        order.shipment(shipment_no)
        claim_id = f"{order_id}-S{shipment_no}-{kind}"
        existing = self.store.get_or_none(Claim.create_id(claim_id))
        if existing is not None:
            return {**self.answer(existing), "created": False}, 0
        entry = order.fulfilment.get(str(shipment_no), {})
        if not entry.get("waybill") or not entry.get("dispatched_at"):
            raise InvalidTransition(
                f"shipment {shipment_no} was never dispatched: nothing to claim"
            )
        if kind == "lost" and entry.get("status") == DELIVERED:
            raise InvalidTransition(f"shipment {shipment_no} was delivered: it is not lost")
        units = self._claimed_units(order, shipment_no, kind, return_id)
        claim = new_claim(
            order, shipment_no, kind, units, opened_by, rule or {"opened": "by an operator"},
            photos=list(photos), return_id=return_id, detail=detail,
        )  # fmt: skip
        return {**self.answer(claim), "created": True}, self.store.commit(claim)

    def _claimed_units(
        self, order: Order, shipment_no: int, kind: str, return_id: str | None
    ) -> dict[str, int]:
        if kind == "lost" or not return_id:
            return rules.shipped(order, shipment_no)
        ret = self.store.get_or_none(Return.create_id(return_id))
        if not isinstance(ret, Return) or (ret.order_id, ret.shipment_no) != (
            str(order.id),
            shipment_no,
        ):
            raise ValidationFailed(
                [{"loc": "return_id", "msg": f"no return {return_id!r} of this shipment"}]
            )
        units: dict[str, int] = {}
        for u in ret.units:
            if u["grade"] in NON_RESELLABLE:
                units[u["sku"]] = units.get(u["sku"], 0) + 1
        if not units:
            raise InvalidTransition(
                f"return {return_id} has no unit graded damaged (not resellable)"
            )
        return units

    def open_lost_claims(self) -> list[dict[str, Any]]:
        """Every dispatched, undelivered shipment with no scan for `lost_after_days` after its
        no-scan alert gets a lost claim (once); answers the new claims."""
        now = self.store.clock.now()
        opened = []
        for row in self.views.quiet_shipments():
            alert = next((a for a in row["alerts"] if a["kind"] == "no_scan_24h"), None)
            if alert is None:
                continue
            alert_at = datetime.fromisoformat(alert["detected_at"])
            last = datetime.fromisoformat(row["last_scan_at"] or row["dispatched_at"])
            if not rules.is_lost(last, alert_at, now, self.lost_after_days):
                continue
            rule = {
                "opened": "lost: no scan after the no-scan alert",
                "alert_at": alert["detected_at"],
                "last_scan_at": row["last_scan_at"],
                "lost_after_days": self.lost_after_days,
                "decided_at": now.isoformat(),
            }
            answer, _ = self.open_claim(
                UUID(row["order_id"]), row["shipment_no"], "lost", "sla-check", rule=rule
            )
            if answer["created"]:
                opened.append(answer)
        return opened

    # ------------------------------------------------------------------ the carrier's answer
    def submit(self, carrier: str, submitted_by: str) -> tuple[str, bytes, list[str]]:
        """The carrier's claim file of every open claim against it; each is marked submitted
        with the file's name and hash, in one transaction. Nothing open: 409."""
        rows = [r for r in self.views.claims(carrier=carrier, status="open")]
        if not rows:
            raise InvalidTransition(f"no open claim against {carrier}")
        claims = [self.get(r["claim_id"]) for r in rows]
        name, content = self.claim_file(carrier, [self.answer(c) for c in claims])
        digest = hashlib.sha256(content).hexdigest()
        for c in claims:
            c.submit(name, digest, submitted_by)
        self.store.commit(*claims)
        return name, content, [c.claim_id for c in claims]

    def decide(
        self, claim_id: str, accepted: bool, by: str, amount: str | None = None, reason: str = ""
    ) -> tuple[dict[str, Any], int]:
        def step(touched: Touched) -> dict[str, Any]:
            c = self.get(claim_id)
            if accepted:
                value = _amount(amount if amount is not None else c.amount, "amount")
                if value > Decimal(c.amount):
                    msg = f"{value} is more than the {c.amount} {c.currency} claimed"
                    raise ValidationFailed([{"loc": "amount", "msg": msg}])
                c.accept(str(value), by, reason)
            else:
                c.reject(reason, by)
            touched[c.id] = c
            return self.answer(c)

        return self.store.retry(step)

    def pay(
        self, claim_id: str, amount: str, reference: str, by: str
    ) -> tuple[dict[str, Any], int]:
        """The carrier paid: a credit in the ledger. No more than it accepted."""
        value = _amount(amount, "amount")

        def step(touched: Touched) -> dict[str, Any]:
            c = self.get(claim_id)
            if c.accepted_amount is not None and value > Decimal(c.accepted_amount):
                msg = f"{value} is more than the {c.accepted_amount} {c.currency} accepted"
                raise ValidationFailed([{"loc": "amount", "msg": msg}])
            c.pay(str(value), reference, self.store.clock.now().isoformat(), by)
            touched[c.id] = c
            return self.answer(c)

        return self.store.retry(step)

    # ------------------------------------------------------------------ answers
    @staticmethod
    def answer(c: Claim) -> dict[str, Any]:
        return {
            "id": c.claim_id,
            "kind": c.kind,
            "order_id": c.order_id,
            "shipment_no": c.shipment_no,
            "carrier": c.carrier,
            "shipment": c.shipment,
            "status": c.status,
            "amount": c.amount,
            "currency": c.currency,
            "accepted_amount": c.accepted_amount,
            "paid": c.paid,
            "evidence": c.evidence,
            "rule": c.rule,
            "history": c.history,
            "opened_by": c.opened_by,
        }

    def list_claims(self, **filters: Any) -> list[dict[str, Any]]:
        return self.views.claims(**filters)
