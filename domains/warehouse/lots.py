"""Which lots a reservation takes: FEFO for perishables, FIFO otherwise.

FEFO never takes an expired lot, nor one that would reach the customer inside the product's
minimum remaining shelf life. Pure: "today" is an input, decided by the caller's clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

UNLOTTED = "UNLOTTED"


def lot_key(lot: str, bin_code: str | None) -> str:
    return f"{lot}|{bin_code or ''}"


def eligible(lot: dict[str, Any], perishable: bool, min_shelf_days: int, today: date) -> bool:
    if not perishable or not lot.get("expiry"):
        return True
    return date.fromisoformat(lot["expiry"]) > today + timedelta(days=min_shelf_days)


def sellable(
    lots: dict[str, dict[str, Any]], perishable: bool, min_shelf_days: int, today: date
) -> int:
    if not perishable:
        return sum(lot["on_hand"] - lot["reserved"] for lot in lots.values())
    # ISO dates order as strings: one threshold instead of parsing every lot's expiry.
    threshold = (today + timedelta(days=min_shelf_days)).isoformat()
    return sum(
        lot["on_hand"] - lot["reserved"]
        for lot in lots.values()
        if not lot.get("expiry") or lot["expiry"] > threshold
    )


def choose_lots(
    lots: dict[str, dict[str, Any]],
    quantity: int,
    perishable: bool,
    min_shelf_days: int,
    today: date,
    exclude: set[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Allocations [{lot, bin, quantity, expiry}] and the quantity that could not be covered.

    FEFO orders by expiry, then receipt order; FIFO by receipt order. Within one lot, the bin
    holding less is emptied first so bins free up."""
    candidates = [
        lot
        for key, lot in lots.items()
        if lot["on_hand"] - lot["reserved"] > 0
        and eligible(lot, perishable, min_shelf_days, today)
        and key not in (exclude or set())
    ]
    if perishable:
        candidates.sort(key=lambda x: (x.get("expiry") or "9999-12-31", x["seq"], x["on_hand"]))
    else:
        candidates.sort(key=lambda x: (x["seq"], x["on_hand"]))
    out, remaining = [], quantity
    for lot in candidates:
        if remaining == 0:
            break
        take = min(remaining, lot["on_hand"] - lot["reserved"])
        out.append(
            {"lot": lot["lot"], "bin": lot["bin"], "quantity": take, "expiry": lot.get("expiry")}
        )
        remaining -= take
    return out, remaining
