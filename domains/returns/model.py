"""A return (RMA) and a carrier claim, each its own stream.

A return is numbered per shipment (`{order id}-S{n}-R{k}`): the k-th return of the shipment,
so two writers opening one at once collide on the same new stream and the second re-reads.
A claim is one per shipment and kind (`{order id}-S{n}-lost`). Every decision (label and
warehouse, relief, grade, refund, costs) arrives made, with its inputs.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

OPENED, LABELLED, RECEIVED = "opened", "labelled", "received"


class Return(Aggregate):
    @staticmethod
    def create_id(return_id: str) -> UUID:
        return stable_id("return", return_id)

    @staticmethod
    def number(order_id: str, shipment_no: int, k: int) -> str:
        return f"{order_id}-S{shipment_no}-R{k}"

    @event("Opened")
    def __init__(
        self,
        return_id: str,
        order_id: str,
        shipment_no: int,
        channel: str,
        source: str,
        reference: str,
        lines: list[dict[str, Any]],
        label_payer: str,
        opened_by: str,
        shipment: dict[str, Any],
    ) -> None:
        """`shipment`: what the return came from (warehouse, carrier, service, waybill,
        destination, dispatched_at), as it stood."""
        self.return_id = return_id
        self.order_id = order_id
        self.shipment_no = shipment_no
        self.channel = channel
        self.source = source
        self.reference = reference
        self.lines = lines
        self.label_payer = label_payer
        self.opened_by = opened_by
        self.shipment = shipment
        self.status = OPENED
        self.label: dict[str, Any] | None = None
        self.units: list[dict[str, Any]] = []
        self.refund: dict[str, Any] | None = None
        self.costs: dict[str, Any] | None = None
        self.receipt_id: str | None = None

    @property
    def warehouse_id(self) -> str | None:
        return self.label["warehouse_id"] if self.label else None

    def buy_label(self, decision: dict[str, Any]) -> None:
        if self.status != OPENED:
            raise InvalidTransition(f"return is {self.status}; a label is bought once, when opened")
        self._labelled(decision=decision)

    @event("LabelBought")
    def _labelled(self, decision: dict[str, Any]) -> None:
        """`decision`: warehouse (and why), carrier, service, waybill, the quote, who pays,
        and the re-import declaration with its relief when the goods cross a border."""
        self.label = decision
        self.status = LABELLED

    def receive(self, receipt_id: str, warehouse_id: str, received_by: str) -> None:
        if self.status != LABELLED:
            raise InvalidTransition(f"return is {self.status}; only a labelled return is received")
        self._received(receipt_id=receipt_id, warehouse_id=warehouse_id, received_by=received_by)

    @event("Received")
    def _received(self, receipt_id: str, warehouse_id: str, received_by: str) -> None:
        self.status = RECEIVED
        self.receipt_id = receipt_id

    @event("UnitGraded")
    def grade(
        self, unit_no: int, sku: str, lot: str, grade: str, bin: str | None, note: str
    ) -> None:
        self.units.append(
            {"unit_no": unit_no, "sku": sku, "lot": lot, "grade": grade, "bin": bin, "note": note}
        )

    @event("RefundReported")
    def report_refund(self, refund: dict[str, Any], label_charge: dict[str, Any] | None) -> None:
        """The amount to report to the channel (with its working); `label_charge` is the
        buyer-paid label the channel charges the buyer."""
        self.refund = {**refund, "label_charge_to_buyer": label_charge}

    @event("CostsRecorded")
    def record_costs(self, entries: list[dict[str, Any]]) -> None:
        """The return's costs for the ledger: {kind, amount, currency, why, day} each."""
        self.costs = {"entries": entries}


SUBMITTED, ACCEPTED, REJECTED, PAID = "submitted", "accepted", "rejected", "paid"


class Claim(Aggregate):
    @staticmethod
    def create_id(claim_id: str) -> UUID:
        return stable_id("claim", claim_id)

    @event("Opened")
    def __init__(
        self,
        claim_id: str,
        kind: str,
        order_id: str,
        shipment_no: int,
        carrier: str,
        shipment: dict[str, Any],
        evidence: dict[str, Any],
        amount: str,
        currency: str,
        opened_by: str,
        rule: dict[str, Any],
    ) -> None:
        """`evidence`: tracking timeline, declared value, photos (URLs), the return it came
        from; `rule`: what decided it (e.g. lost after N days past the alert)."""
        self.claim_id = claim_id
        self.kind = kind
        self.order_id = order_id
        self.shipment_no = shipment_no
        self.carrier = carrier
        self.shipment = shipment
        self.evidence = evidence
        self.amount = amount
        self.currency = currency
        self.opened_by = opened_by
        self.rule = rule
        self.status = "open"
        self.history: list[dict[str, Any]] = []
        self.accepted_amount: str | None = None
        self.paid: dict[str, Any] | None = None

    def _step(self, allowed: tuple[str, ...], to: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(f"claim is {self.status}; it cannot become {to}")

    def submit(self, file_name: str, file_sha256: str, by: str) -> None:
        self._step(("open",), SUBMITTED)
        self._submitted(file_name=file_name, file_sha256=file_sha256, by=by)

    @event("Submitted")
    def _submitted(self, file_name: str, file_sha256: str, by: str) -> None:
        self.status = SUBMITTED
        self.history.append({"status": SUBMITTED, "file": file_name, "by": by})

    def accept(self, amount: str, by: str, note: str) -> None:
        self._step((SUBMITTED,), ACCEPTED)
        self._accepted(amount=amount, by=by, note=note)

    @event("Accepted")
    def _accepted(self, amount: str, by: str, note: str) -> None:
        self.status = ACCEPTED
        self.accepted_amount = amount
        self.history.append({"status": ACCEPTED, "amount": amount, "by": by, "note": note})

    def reject(self, reason: str, by: str) -> None:
        self._step((SUBMITTED,), REJECTED)
        if not reason.strip():
            raise InvalidTransition("a rejection needs the carrier's reason")
        self._rejected(reason=reason, by=by)

    @event("Rejected")
    def _rejected(self, reason: str, by: str) -> None:
        self.status = REJECTED
        self.history.append({"status": REJECTED, "reason": reason, "by": by})

    def pay(self, amount: str, reference: str, paid_on: str, by: str) -> None:
        self._step((ACCEPTED,), PAID)
        self._paid(amount=amount, reference=reference, paid_on=paid_on, by=by)

    @event("Paid")
    def _paid(self, amount: str, reference: str, paid_on: str, by: str) -> None:
        self.status = PAID
        self.paid = {"amount": amount, "currency": self.currency, "reference": reference,
                     "paid_on": paid_on}  # fmt: skip
        self.history.append({"status": PAID, "amount": amount, "reference": reference, "by": by})
