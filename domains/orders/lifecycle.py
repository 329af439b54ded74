"""An order's statuses and the rules that move it between them, apart from the `Order` aggregate
(domains/orders/model.py) that records them, so each rule can be read and tested on its own.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RECEIVED = "received"
APPROVED = "approved"
HELD = "held"
ALLOCATED = "allocated"
PICKING = "picking"
PACKED = "packed"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
CANCELLED = "cancelled"
# Every status an order can be in, in lifecycle order: what the order list filters by.
ORDER_STATUSES = (
    RECEIVED,
    APPROVED,
    HELD,
    ALLOCATED,
    PICKING,
    PACKED,
    DISPATCHED,
    DELIVERED,
    CANCELLED,
)
# How far each shipment has come; an order is as far as its least advanced shipment.
SHIPMENT_STAGE = {
    "allocated": 0,
    "waved": 1,
    "picked": 2,
    "packed": 3,
    "carrier_selected": 3,
    "labelled": 3,
    "dispatched": 4,
    "in_transit": 4,
    "delivered": 5,
}
_ORDER_STATUS_AT_STAGE = {
    0: PICKING,
    1: PICKING,
    2: PICKING,
    3: PACKED,
    4: DISPATCHED,
    5: DELIVERED,
}


def order_status_for(shipment_statuses: Iterable[str]) -> str:
    """The order's status from its shipments' (at least one): allocated until one of them is
    in a wave, then as far as the least advanced one."""
    stages = [SHIPMENT_STAGE[s] for s in shipment_statuses]
    if max(stages) == 0:
        return ALLOCATED
    return _ORDER_STATUS_AT_STAGE[min(stages)]


def hold_reasons(
    rules: Sequence[Mapping[str, Any]], overrides: Iterable[str]
) -> list[dict[str, Any]]:
    """What holds a reviewed order: every failed rule a person has not overridden."""
    overridden = set(overrides)
    return [
        {"rule": r["rule"], "code": r["code"], "reason": r["reason"]}
        for r in rules
        if not r["passed"] and r["rule"] not in overridden
    ]


def stock_hold(shortages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The hold when stock vanished between review and reservation."""
    return [
        {
            "rule": "stock",
            "code": "insufficient_stock",
            "reason": "insufficient stock: "
            + "; ".join(f"{s['sku']} short by {s['short']}" for s in shortages),
        }
    ]


def overrides_after_release(
    holds: Sequence[Mapping[str, Any]], overrides: Iterable[str]
) -> list[str]:
    """The rules a release overrides from now on: every rule that held the order, except stock
    (a person cannot promise stock there is not) and lanes (nor a carrier there is not): those
    are decided again on the day's stock and rate cards."""
    kept = ("stock", "lanes")
    return sorted({h["rule"] for h in holds if h["rule"] not in kept} | set(overrides))


def carrier_status(history: Sequence[Mapping[str, Any]]) -> str:
    """The shipment's carrier status from its scans in time order: the latest one, except that
    delivered is final, whatever arrives after it."""
    if any(t["status"] == DELIVERED for t in history):
        return DELIVERED
    return history[-1]["status"]


def is_repeat_scan(history: Sequence[Mapping[str, Any]], scan: Mapping[str, Any]) -> bool:
    """Carriers resend scans: one with the same code and time is already recorded."""
    return (scan["code"], scan["occurred_at"]) in {(t["code"], t["occurred_at"]) for t in history}


def with_scan(history: Sequence[dict[str, Any]], scan: dict[str, Any]) -> list[dict[str, Any]]:
    """The scans with one more, in time order: a late scan takes its place among them."""
    return sorted([*history, scan], key=lambda t: t["occurred_at"])
