"""What dealers owe and pay: invoices, payments and the payments nobody could place yet.

- `InvoiceBook`: the one invoice number sequence (INV-000001, ...), and which dealer each
  number belongs to, so a bank line quoting a number finds its dealer.
- `DealerAccount`: one per dealer: its invoices (amount, due date, what is paid), the payments
  applied and the credit on account an overpayment left, used up by the next invoice.
- `Payment`: one per bank-statement line or recorded payment, with an id derived from the
  line itself, so the same line recorded twice is the same stream: a statement uploaded twice
  pays once.
- `Suspense`: the payments no dealer could be found for, until a person assigns them.

Amounts are Decimal strings inside dicts (what the store keeps of an event's data).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id


def invoice_number(seq: int) -> str:
    return f"INV-{seq:06d}"


class InvoiceBook(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return stable_id("invoice-book", "all")

    @event("Created")
    def __init__(self) -> None:
        self.issued: dict[str, str] = {}  # number -> dealer code

    def next_number(self) -> str:
        return invoice_number(len(self.issued) + 1)

    @event("Issued")
    def issue(self, number: str, dealer_id: str, order_id: str, shipment_no: int) -> None:
        if number != self.next_number():
            raise InvalidTransition(f"invoice {number} is out of sequence")
        self.issued[number] = dealer_id


class DealerAccount(Aggregate):
    @staticmethod
    def create_id(dealer_id: str) -> UUID:
        return stable_id("dealer-account", dealer_id)

    @event("Opened")
    def __init__(self, dealer_id: str, currency: str) -> None:
        self.dealer_id = dealer_id
        self.currency = currency
        self.invoices: dict[str, dict[str, Any]] = {}
        self.credit_on_account = Decimal("0")
        self.payments: list[dict[str, Any]] = []
        self.limit_decisions: list[dict[str, Any]] = []

    def unpaid(self, number: str) -> Decimal:
        inv = self.invoices[number]
        return Decimal(inv["amount"]) - Decimal(inv["paid"])

    def open_invoices(self) -> list[str]:
        """Numbers with something unpaid, oldest first (issued, then number)."""
        return sorted(
            (n for n in self.invoices if self.unpaid(n) > 0),
            key=lambda n: (self.invoices[n]["issued_on"], n),
        )

    @event("InvoiceIssued")
    def issue_invoice(self, invoice: dict[str, Any], credit_applied: str) -> None:
        """`invoice`: number, order, shipment, amount, due date and what they were derived
        from; `credit_applied`: the credit on account that paid part of it at once."""
        applied = Decimal(credit_applied)
        if applied > self.credit_on_account:
            raise InvalidTransition("more credit applied than the account holds")
        self.invoices[invoice["number"]] = dict(invoice, paid=credit_applied, payments=[])
        if applied:
            self.invoices[invoice["number"]]["payments"].append(
                {"payment_id": "credit-on-account", "amount": credit_applied}
            )
        self.credit_on_account -= applied

    @event("PaymentApplied")
    def apply_payment(
        self,
        payment_id: str,
        received_on: str,
        amount: str,
        allocations: list[dict[str, str]],
        to_credit: str,
        matched_by: str,
    ) -> None:
        """`allocations`: [{invoice, amount}] oldest first; `to_credit`: what was left over."""
        for a in allocations:
            if Decimal(a["amount"]) > self.unpaid(a["invoice"]):
                raise InvalidTransition(f"invoice {a['invoice']} has less unpaid than applied")
        for a in allocations:
            inv = self.invoices[a["invoice"]]
            inv["paid"] = str(Decimal(inv["paid"]) + Decimal(a["amount"]))
            inv["payments"].append(
                {"payment_id": payment_id, "amount": a["amount"], "received_on": received_on}
            )
            if Decimal(inv["paid"]) >= Decimal(inv["amount"]):
                inv["settled_on"] = received_on
        self.credit_on_account += Decimal(to_credit)
        self.payments.append(
            {
                "payment_id": payment_id,
                "received_on": received_on,
                "amount": amount,
                "allocations": allocations,
                "to_credit": to_credit,
                "matched_by": matched_by,
            }
        )

    @event("LimitDecided")
    def decide_limit(
        self, suggestion: dict[str, Any], decision: str, decided_by: str, reason: str
    ) -> None:
        """An admin accepted or rejected a credit-limit suggestion (with its inputs)."""
        self.limit_decisions.append(
            {"suggestion": suggestion, "decision": decision, "by": decided_by, "reason": reason}
        )


class Payment(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return stable_id("payment", key)

    @event("Received")
    def __init__(self, key: str, line: dict[str, Any], source: str) -> None:
        """`line`: amount, currency, booked_on, reference, counterparty, iban (strings)."""
        self.key = key
        self.line = dict(line)
        self.source = source
        self.dealer_id: str | None = None
        self.status = "received"
        self.assigned: dict[str, Any] | None = None

    @event("Matched")
    def match(self, dealer_id: str, matched_by: str, invoices: list[str]) -> None:
        self.dealer_id = dealer_id
        self.status = "applied"

    @event("Unmatched")
    def leave_unmatched(self, reason: str) -> None:
        self.status = "unmatched"

    @event("Assigned")
    def assign(self, dealer_id: str, assigned_by: str, note: str) -> None:
        if self.status != "unmatched":
            raise InvalidTransition(f"payment is {self.status}; only an unmatched one is assigned")
        self.dealer_id = dealer_id
        self.status = "applied"
        self.assigned = {"dealer_id": dealer_id, "by": assigned_by, "note": note}


class Suspense(Aggregate):
    """The payments waiting for a person to say whose they are."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("receivables-suspense", "all")

    @event("Created")
    def __init__(self) -> None:
        self.waiting: dict[str, dict[str, Any]] = {}

    @event("Parked")
    def park(self, payment_id: str, line: dict[str, Any], reason: str) -> None:
        self.waiting[payment_id] = dict(line, reason=reason)

    @event("Cleared")
    def clear(self, payment_id: str, dealer_id: str) -> None:
        self.waiting.pop(payment_id, None)
