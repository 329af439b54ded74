"""Pure receivables rules: invoice terms, which invoices a payment pays, ageing buckets and
the credit-limit suggestion. No clock: every "as of" date is passed in."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from domains.common import CENT

# An invoice number as people type it into a transfer: INV-000012, INV 12, inv000012, INV/12.
_INVOICE_IN_TEXT = re.compile(r"\bINV[\s\-_/#:]*0*(\d{1,9})\b", re.IGNORECASE)

AGEING_BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
SUGGESTION_RULE_VERSION = "credit-limit-suggestion/1"


def invoice_numbers_in(text: str) -> list[str]:
    """Invoice numbers quoted in a remittance text, normalised (INV-000012), in order, once."""
    out: list[str] = []
    for m in _INVOICE_IN_TEXT.finditer(text or ""):
        number = f"INV-{int(m.group(1)):06d}"
        if number not in out:
            out.append(number)
    return out


def due_date(issued_on: date, terms_days: int) -> date:
    return issued_on + timedelta(days=terms_days)


def allocate(amount: Decimal, unpaid: Sequence[tuple[str, Decimal]]) -> tuple[list[dict], Decimal]:
    """Pays `unpaid` invoices ([(number, unpaid)] in the order to pay them) from `amount`:
    ([{invoice, amount}], what is left over, to become credit on account)."""
    left = amount
    out = []
    for number, owed in unpaid:
        if left <= 0:
            break
        paid = min(owed, left)
        if paid > 0:
            out.append({"invoice": number, "amount": str(paid)})
            left -= paid
    return out, left


def line_key(line: dict[str, Any], occurrence: int) -> str:
    """A statement line's identity: the bank's transaction id when it has one, else a hash of
    the line's facts (date, amount, currency, reference, counterparty, IBAN) and how many equal
    lines came before it in the same file. Two equal transfers on one day are two payments;
    the same statement uploaded again, or an export overlapping it, gives the same keys."""
    if line.get("transaction_id"):  # hashed too: a bank's id may hold any character
        return "tx-" + hashlib.sha256(str(line["transaction_id"]).encode()).hexdigest()[:32]
    facts = "|".join(
        str(line.get(k) or "")
        for k in ("booked_on", "amount", "currency", "reference", "counterparty", "iban")
    )
    return "line-" + hashlib.sha256(f"{facts}|{occurrence}".encode()).hexdigest()[:32]


def bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "90+"


def ageing(invoices: Sequence[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """What is unpaid as of `as_of` per bucket of days past due. Each invoice:
    {number, amount, due_on, issued_on, payments: [{amount, received_on}]}; an invoice issued
    after `as_of` or paid by then does not count, a payment received after it is not yet paid."""
    buckets = {b: Decimal("0") for b in AGEING_BUCKETS}
    lines = []
    for inv in invoices:
        if date.fromisoformat(inv["issued_on"]) > as_of:
            continue
        paid = sum(
            (
                Decimal(p["amount"])
                for p in inv["payments"]
                if date.fromisoformat(p.get("received_on") or inv["issued_on"]) <= as_of
            ),
            Decimal("0"),
        )
        unpaid = Decimal(inv["amount"]) - paid
        if unpaid <= 0:
            continue
        late = (as_of - date.fromisoformat(inv["due_on"])).days
        buckets[bucket(late)] += unpaid
        lines.append(
            {"invoice": inv["number"], "unpaid": str(unpaid), "days_past_due": max(late, 0)}
        )
    return {
        "buckets": {b: str(v) for b, v in buckets.items()},
        "total": str(sum(buckets.values(), Decimal("0"))),
        "invoices": lines,
    }


def days_late(inv: dict[str, Any], as_of: date) -> int:
    """Days past due a settled invoice was paid, or an open one is by `as_of` (0 if on time)."""
    paid_on = inv.get("settled_on")
    end = date.fromisoformat(paid_on) if paid_on else as_of
    return max((end - date.fromisoformat(inv["due_on"])).days, 0)


def suggest_limit(
    current_limit: Decimal,
    credit_in_use: Decimal,
    invoices: Sequence[dict[str, Any]],
    as_of: date,
) -> dict[str, Any]:
    """A credit limit from payment history, with its inputs and rule version.

    Average days past due over the invoices due by `as_of` (settled: when paid; open: so far):
    on time (0) and busy (in use >= 80% of the limit) -> +20%; 1-15 days -> unchanged;
    16-45 -> -20%; over 45 -> -50%. No invoice due yet: unchanged (no history to judge)."""
    due = [inv for inv in invoices if date.fromisoformat(inv["due_on"]) <= as_of]
    lateness = [days_late(inv, as_of) for inv in due]
    average = (
        (Decimal(sum(lateness)) / len(lateness)).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if lateness
        else None
    )
    utilisation = (
        (credit_in_use / current_limit).quantize(Decimal("0.001"), ROUND_HALF_UP)
        if current_limit
        else Decimal("0")
    )
    if average is None:
        factor, why = Decimal("1"), "no invoice due yet: no payment history to judge"
    elif average == 0 and utilisation >= Decimal("0.8"):
        factor, why = Decimal("1.2"), "pays on time and uses at least 80% of the limit"
    elif average <= 15:
        factor, why = Decimal("1"), "pays on time or within 15 days"
    elif average <= 45:
        factor, why = Decimal("0.8"), "pays 16-45 days late on average"
    else:
        factor, why = Decimal("0.5"), "pays more than 45 days late on average"
    return {
        "current_limit": str(current_limit),
        "suggested_limit": str((current_limit * factor).quantize(CENT, ROUND_HALF_UP)),
        "reason": why,
        "rule_version": SUGGESTION_RULE_VERSION,
        "as_of": as_of.isoformat(),
        "inputs": {
            "invoices_due": len(due),
            "average_days_past_due": None if average is None else str(average),
            "credit_in_use": str(credit_in_use),
            "utilisation": str(utilisation),
            "factor": str(factor),
        },
    }
