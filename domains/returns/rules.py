"""The returns context's rules: reason codes, grades, who pays the label, how much may still
come back, what is refunded, which warehouse receives, and when a quiet parcel is lost.

Pure: data in, data out; every number a return records is computed here, with its working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

# Why a buyer (or the carrier) sends goods back. `undeliverable` is what a carrier's
# return_to_sender opens a return with.
REASONS = (
    "damaged",
    "defective",
    "wrong_item",
    "not_as_described",
    "no_longer_needed",
    "undeliverable",
    "other",
)
# What receiving decides for each unit: resellable goes back to stock with its lot.
GRADES = ("resellable", "refurbish", "quarantine", "dispose")
# Who pays the return label: a seller-paid label is our cost (in the ledger); a buyer-paid
# one is charged to the buyer by the channel (reported with the refund); a carrier-paid one
# (its own fault) costs us nothing.
PAYERS = ("buyer", "seller", "carrier")
SOURCES = ("channel", "operator", "return_to_sender")

# Handling a returned unit at the dock (sample contract rate, like the pick handling rates).
HANDLING_PER_UNIT = Decimal("0.80")
HANDLING_CURRENCY = "USD"

# A parcel is lost when no scan came for this many days after its no-scan SLA alert
# (CROSSDOCK_CLAIM_LOST_AFTER_DAYS overrides it).
LOST_AFTER_DAYS = 5
CLAIM_KINDS = ("lost", "damaged")

CENT = Decimal("0.01")


def shipped(order: Any, shipment_no: int) -> dict[str, int]:
    """SKU -> units that left in the shipment (as picked; the plan's lines before picking)."""
    picked = order.picked_quantities(shipment_no)
    if picked:
        return picked
    return {ln["sku"]: ln["quantity"] for ln in order.shipment(shipment_no)["lines"]}


def returnable(shipped_units: Mapping[str, int], returns: Iterable[Any]) -> dict[str, int]:
    """SKU -> units that may still be returned: shipped minus those in earlier returns."""
    left = dict(shipped_units)
    for r in returns:
        for ln in r.lines:
            left[ln["sku"]] = left.get(ln["sku"], 0) - ln["quantity"]
    return left


def check_lines(
    lines: list[dict[str, Any]], left: Mapping[str, int], default_reason: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The requested lines ({sku, quantity, reason?}) merged per SKU, or every error with
    where it is."""
    errors: list[dict[str, str]] = []
    merged: dict[str, dict[str, Any]] = {}
    if not lines:
        errors.append({"loc": "lines", "msg": "a return needs at least one line"})
    for i, ln in enumerate(lines):
        reason = ln.get("reason") or default_reason
        if reason not in REASONS:
            msg = f"reason {reason!r} is not one of {', '.join(REASONS)}"
            errors.append({"loc": f"lines[{i}].reason", "msg": msg})
        sku = ln["sku"]
        if sku not in left:
            errors.append({"loc": f"lines[{i}].sku", "msg": f"{sku} was not in this shipment"})
            continue
        m = merged.setdefault(sku, {"sku": sku, "quantity": 0, "reason": reason})
        m["quantity"] += ln["quantity"]
        if m["quantity"] > left[sku]:
            can = max(left[sku], 0)
            msg = f"{m['quantity']} units of {sku} asked back; {can} can still be returned"
            errors.append({"loc": f"lines[{i}].quantity", "msg": msg})
    return list(merged.values()), errors


def unit_refund(line: Mapping[str, Any]) -> Decimal:
    """What one unit of a canonical order line is refunded: its price, less its share of the
    line's discount, plus its share of the line's tax (both decimal strings, "0" if absent)."""
    quantity = Decimal(line["quantity"])
    discount = Decimal(str(line.get("discount") or "0"))
    tax = Decimal(str(line.get("tax") or "0"))
    return Decimal(str(line["unit_price"])) - discount / quantity + tax / quantity


def refund(canonical: Mapping[str, Any], units: Mapping[str, int]) -> dict[str, Any]:
    """The refund for `units` (SKU -> units received back), per line with its working, in the
    order's currency; rounded half up to the cent per line."""
    by_sku = {ln["sku"]: ln for ln in canonical["lines"]}
    lines = []
    for sku, n in sorted(units.items()):
        ln = by_sku[sku]
        each = unit_refund(ln)
        lines.append(
            {
                "sku": sku,
                "units": n,
                "unit_price": str(ln["unit_price"]),
                "line_discount": str(ln.get("discount") or "0"),
                "line_tax": str(ln.get("tax") or "0"),
                "line_quantity": ln["quantity"],
                "per_unit": str(each),
                "amount": str((each * n).quantize(CENT, ROUND_HALF_UP)),
            }
        )
    total = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
    return {"amount": str(total), "currency": canonical["currency"], "lines": lines}


def candidate_warehouses(
    buyer_country: str,
    warehouses: Mapping[str, Any],
    territory_of: Any,
    shipped_from: str,
) -> tuple[list[str], bool]:
    """Where a return may go by default, best first, and whether it stays inside the buyer's
    customs territory: the warehouses in the buyer's territory (the buyer's own country
    first), else the warehouse it was shipped from (back across the border)."""
    territory = territory_of(buyer_country)
    inside = [
        code for code, w in warehouses.items() if w.layout and territory_of(w.country) == territory
    ]
    if inside:
        inside.sort(key=lambda code: (warehouses[code].country != buyer_country, code))
        return inside, True
    return [shipped_from], False


def is_lost(
    dispatched_or_last_scan: datetime, alert_at: datetime, now: datetime, days: int
) -> bool:
    """No scan since the no-scan alert, and `days` have passed since it."""
    return dispatched_or_last_scan <= alert_at and now - alert_at >= timedelta(days=days)


def photo_errors(urls: list[str], loc: str = "photos") -> list[dict[str, str]]:
    """Each photo must be an http(s) URL with a host (no javascript:, file: or data:)."""
    errors = []
    for i, url in enumerate(urls):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
            errors.append({"loc": f"{loc}[{i}]", "msg": f"not an http(s) URL: {url[:80]!r}"})
    return errors
