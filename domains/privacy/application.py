"""Privacy use cases: find a data subject by email or phone, tell them what is held (access
request), and erase them (crypto-shredding: the subject's key is deleted, so every sealed copy
of their personal data reads as a pseudonym from then on).

What erasure keeps: the orders, shipments, stock, costs and customs declarations themselves
(the law requires customs and tax records — declaration values, HS codes, invoices — to be kept
for the retention period); they read with the person's name replaced by a pseudonym.
"""

from __future__ import annotations

import re
from typing import Any

from domains.common import ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.privacy.model import PrivacyRequest
from domains.privacy.policies import lookup
from domains.privacy.ports import SubjectIndex, SubjectKeys
from domains.privacy.records import pseudonym
from domains.store import Store

RETENTION_NOTE = (
    "customs and tax records (declaration values, HS codes, invoices) are kept for the"
    " retention period the law requires; they read with the pseudonym instead of the name"
)


def redacted(text: str, identifiers: list[str | None]) -> str:
    """`text` with every identifier (any case) replaced: a request's reason is recorded for
    good, so it must not keep the person's name or contact details."""
    for identifier in sorted({i.strip() for i in identifiers if i and i.strip()}, key=len)[::-1]:
        text = re.sub(re.escape(identifier), "[subject]", text, flags=re.IGNORECASE)
    return text


class PrivacyUseCases:
    def __init__(
        self,
        store: Store,
        orders: OrderUseCases,
        customs: CustomsUseCases,
        *,
        keys: SubjectKeys,
        index: SubjectIndex,
    ) -> None:
        self.store = store
        self.orders = orders
        self.customs = customs
        self.keys = keys
        self.index = index

    def subject(self, email: str | None, phone: str | None) -> tuple[str, str]:
        """(subject id, what identified them: "email" or "phone")."""
        kind, value = lookup(email, phone)
        return self.keys.subject_id(kind, value), kind

    # ------------------------------------------------------------------ holdings
    def _orders(self, subject_id: str) -> list[Order]:
        out = []
        for order_id in self.index.orders_of(subject_id):
            order = self.store.get_or_none(order_id)
            if isinstance(order, Order):
                out.append(order)
        return out

    def _holding(self, order: Order) -> dict[str, Any]:
        shipments, declarations = [], []
        for s in order.shipments:
            no = s["shipment_no"]
            shipments.append(
                {
                    "shipment_id": f"{order.id}-S{no}",
                    "warehouse_id": s["warehouse_id"],
                    "status": order.shipment_status(no),
                }
            )
            d = self.customs.declaration_for(order.id, no)
            if d is not None:
                declarations.append(
                    {"declaration_id": str(d.id), "shipment_id": d.shipment_id, "status": d.status}
                )
        return {
            "order_id": str(order.id),
            "erased": self.orders.personal.is_erased(order.canonical.get("ship_to")),
            "channel": order.channel,
            "external_id": order.external_id,
            "status": order.status,
            "placed_at": order.canonical.get("placed_at"),
            "shipments": shipments,
            "declarations": declarations,
        }

    def _summary(self, subject_id: str, orders: list[Order]) -> dict[str, Any]:
        held = [self._holding(o) for o in orders]
        return {
            "subject_id": subject_id,
            # Erased: none of the personal data held can be read any more (a repeat of an
            # old payload may have given the subject a new key, which opens nothing old).
            "erased": bool(held) and all(h["erased"] for h in held),
            "orders": held,
            "counts": {
                "orders": len(held),
                "shipments": sum(len(h["shipments"]) for h in held),
                "declarations": sum(len(h["declarations"]) for h in held),
            },
        }

    def access(self, email: str | None, phone: str | None) -> dict[str, Any]:
        """An access request: what is held about the person, their personal data readable."""
        subject_id, _ = self.subject(email, phone)
        orders = self._orders(subject_id)
        out = self._summary(subject_id, orders)
        personal = self.orders.personal
        for holding, order in zip(out["orders"], orders, strict=True):
            holding["personal_data"] = {
                "customer": personal.customer(order.canonical),
                "ship_to": personal.ship_to(order.canonical),
                "raw_payload": personal.raw(order.raw_payload),
            }
        return out

    # ------------------------------------------------------------------ erasure
    def _identifiers(self, orders: list[Order]) -> list[str]:
        """The person's names, email and phones as their orders hold them (while readable)."""
        personal = self.orders.personal
        out: list[str] = []
        for order in orders:
            for part in (personal.customer(order.canonical), personal.ship_to(order.canonical)):
                if isinstance(part, dict):
                    out += [str(part[k]) for k in ("name", "email", "phone") if part.get(k)]
        return out

    def erase(
        self, email: str | None, phone: str | None, by: str, reason: str
    ) -> tuple[dict[str, Any], int]:
        """Records the request, deletes the subject's key, records the outcome. A subject we
        hold nothing about is answered as such (the request is still recorded)."""
        if not reason.strip():
            raise ValidationFailed([{"loc": "reason", "msg": "an erasure needs a reason"}])
        subject_id, identified_by = self.subject(email, phone)
        orders = self._orders(subject_id)
        now = self.store.clock.now().isoformat()
        request = PrivacyRequest(
            kind="erasure",
            subject_id=subject_id,
            identified_by=identified_by,
            requested_by=by,
            reason=redacted(reason, [email, phone, *self._identifiers(orders)]),
            requested_at=now,
        )
        self.store.commit(request)
        summary = self._summary(subject_id, orders)
        key_deleted = self.keys.erase(subject_id)
        retained = [d for h in summary["orders"] for d in h["declarations"]]
        outcome = {
            "pseudonym": pseudonym(subject_id),
            "key_deleted": key_deleted,
            "already_erased": summary["erased"],
            "counts": summary["counts"],
            "orders": [h["order_id"] for h in summary["orders"]],
            "retained": {"declarations": retained, "why": RETENTION_NOTE} if retained else None,
        }
        request.complete(outcome=outcome, completed_at=self.store.clock.now().isoformat())
        nid = self.store.commit(request)
        return {
            "request_id": str(request.id),
            "subject_id": subject_id,
            "status": request.status,
            **outcome,
            "held": summary["orders"],
        }, nid
