"""Slow-moving and ageing stock per warehouse, and what to do about it (pure).

Per (warehouse, SKU) with free stock: the daily rate (mean units a day over the recent weeks),
days of cover (free units / rate; None when nothing sells), the age of each lot on hand (days
since its receipt) and the storage cost it has accrued (units x m3 per unit x age x the sample
rate of domains/planning/references.py). It is a slow mover when cover exceeds
`SLOW_COVER_DAYS` or its oldest lot is older than `AGEING_DAYS` with more than `TARGET_COVER_DAYS`
of cover. Stock that sold nothing but was received within the rate's window (8 weeks) is too new
to judge and left out. Suggestions, each with its numbers, in this order of preference:

1. transfer the excess (units beyond `TARGET_COVER_DAYS` of cover here) to a warehouse that
   sells the SKU and holds less than `TARGET_COVER_DAYS` of it, up to what it lacks;
2. bundle with the SKU's strongest co-purchase (an association rule with lift above
   `MIN_LIFT`): support, confidence, lift;
3. a markdown: 10 % up to 180 days of cover, 20 % up to 365, 30 % beyond (none sells: 30 %).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domains.planning.references import (
    STORAGE_CURRENCY,
    STORAGE_RATE_PER_M3_DAY,
    STORAGE_VERSION,
)

RULES_VERSION = "slow-movers-2026-12-v1"  # the thresholds and markdown steps below
SLOW_COVER_DAYS = 90
AGEING_DAYS = 120
TARGET_COVER_DAYS = 60
MIN_LIFT = 1.2
RATE_WINDOW_DAYS = 56  # the rate's window: stock held for less that sold nothing is too new


def markdown_percent(cover: float | None) -> int:
    if cover is None or cover > 365:
        return 30
    return 10 if cover <= 180 else 20


def markdown_reason(cover: float | None) -> str:
    """Why the markdown is that deep, in words a person can check against the numbers."""
    if cover is None:
        return "nothing sold in the last 8 weeks: the deepest markdown, 30 %"
    if cover > 365:
        return f"{cover:.0f} days of cover, over a year: 30 %"
    if cover > 180:
        return f"{cover:.0f} days of cover, over 180: 20 %"
    if cover <= SLOW_COVER_DAYS:
        return f"{cover:.0f} days of cover and a lot older than {AGEING_DAYS} days: 10 %"
    return f"{cover:.0f} days of cover, over {SLOW_COVER_DAYS} (a slow mover): 10 %"


def storage_cost(lots: list[dict[str, Any]], m3_per_unit: Decimal, as_of: date) -> Decimal:
    total = Decimal(0)
    for lot in lots:
        if lot.get("received_on"):
            age = (as_of - date.fromisoformat(lot["received_on"][:10])).days
            total += lot["on_hand"] * m3_per_unit * max(age, 0) * STORAGE_RATE_PER_M3_DAY
    return total.quantize(Decimal("0.01"))


def review(
    stock: list[dict[str, Any]],
    lots: list[dict[str, Any]],
    rates: dict[tuple[str, str], float],
    m3_per_unit: dict[str, Decimal],
    rules: list[dict[str, Any]],
    as_of: date,
) -> list[dict[str, Any]]:
    """The slow movers, slowest first. `stock` rows: warehouse_id, sku, on_hand, reserved;
    `lots`: warehouse_id, sku, lot, on_hand, received_on; `rates`: (warehouse, SKU) -> units a
    day; `rules`: association rules (antecedent, consequent, support, confidence, lift)."""
    free = {(r["warehouse_id"], r["sku"]): r["on_hand"] - r["reserved"] for r in stock}
    cover = {k: (q / rates[k] if rates.get(k) else None) for k, q in free.items()}
    out = []
    for (wh, sku), units in sorted(free.items()):
        if units <= 0:
            continue
        mine = [lot for lot in lots if (lot["warehouse_id"], lot["sku"]) == (wh, sku)]
        ages = [(as_of - date.fromisoformat(lot["received_on"][:10])).days
                for lot in mine if lot.get("received_on")]  # fmt: skip
        oldest = max(ages) if ages else None
        days = cover[(wh, sku)]
        if days is None and (oldest is None or oldest < RATE_WINDOW_DAYS):
            continue  # nothing sold, but not held long enough to say it does not sell
        slow = days is None or days > SLOW_COVER_DAYS
        ageing = oldest is not None and oldest > AGEING_DAYS and (days is None or days > TARGET_COVER_DAYS)  # fmt: skip
        if not (slow or ageing):
            continue
        rate = rates.get((wh, sku), 0.0)
        out.append({
            "warehouse_id": wh, "sku": sku, "free_units": units,
            "rate_per_day": round(rate, 3),
            "days_of_cover": None if days is None else round(days, 1),
            "oldest_lot_days": oldest,
            "lots": [{"lot": lot["lot"], "on_hand": lot["on_hand"], "received_on": lot.get("received_on")} for lot in mine],  # fmt: skip
            "storage_cost": {"amount": str(storage_cost(mine, m3_per_unit.get(sku, Decimal(0)), as_of)),  # fmt: skip
                             "currency": STORAGE_CURRENCY,
                             "rate_per_m3_day": str(STORAGE_RATE_PER_M3_DAY),
                             "version": STORAGE_VERSION},
            "suggestions": _suggestions(wh, sku, units, rate, free, rates, cover, rules),
        })  # fmt: skip
    # nothing selling first, then the longest cover
    return sorted(out, key=lambda r: (r["days_of_cover"] is not None, -(r["days_of_cover"] or 0)))


def _suggestions(
    wh: str, sku: str, units: int, rate: float, free: dict[tuple[str, str], int],
    rates: dict[tuple[str, str], float], cover: dict[tuple[str, str], float | None],
    rules: list[dict[str, Any]],
) -> list[dict[str, Any]]:  # fmt: skip
    out: list[dict[str, Any]] = []
    excess = int(units - rate * TARGET_COVER_DAYS)
    targets = sorted(
        (w for (w, s), r in rates.items()
         if s == sku and w != wh and r > 0 and (cover.get((w, s)) or 0) < TARGET_COVER_DAYS),
        key=lambda w: -rates[(w, sku)],
    )  # fmt: skip
    for target in targets:
        lacks = int(rates[(target, sku)] * TARGET_COVER_DAYS - free.get((target, sku), 0))
        move = min(excess, lacks)
        if move > 0:
            out.append({"kind": "transfer", "to": target, "units": move,
                        "target_rate_per_day": round(rates[(target, sku)], 3),
                        "target_free_units": free.get((target, sku), 0),
                        "target_cover_days": TARGET_COVER_DAYS})  # fmt: skip
            excess -= move
    partners = [r for r in rules if r["antecedent"] == sku and r["lift"] > MIN_LIFT]
    if partners:
        best = max(partners, key=lambda r: (r["lift"], r["confidence"]))
        out.append({"kind": "bundle", "with": best["consequent"],
                    **{k: best[k] for k in ("support", "confidence", "lift", "orders")}})  # fmt: skip
    days = cover.get((wh, sku))
    out.append({"kind": "markdown", "percent": markdown_percent(days),
                "days_of_cover": None if days is None else round(days, 1),
                "reason": markdown_reason(days)})  # fmt: skip
    return out
