"""What finance reads off a reconciled carrier bill at a glance: per currency, what the carrier
billed, what we expected to pay, how much it over- and under-billed; and where the worked-through
discrepancies stand (open, accepted, disputed, credited) with the amounts at stake.

Pure: the bill's recorded totals (cents, per currency, as the reconciliation wrote them) and its
discrepancy entries in, Decimal amounts as strings with their currency out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domains.settlement.model import FINAL, RESOLUTIONS

STATES = ("open", *RESOLUTIONS)
_TOTALS = (("billed", "billed_total"), ("expected", "expected_total"))
_DIFFS = (("over", "overcharge"), ("under", "undercharge"))


def amount(cents: int | None) -> str | None:
    """Cents as a currency amount ("12.50"); None stays None (amounts not comparable)."""
    return None if cents is None else str(Decimal(int(cents)).scaleb(-2))


def state_of(discrepancy: dict[str, Any]) -> str:
    return discrepancy.get("resolution") or "open"


def is_overbilled(discrepancy: dict[str, Any]) -> bool:
    """The carrier charged more than we expected on this row (a positive difference)."""
    diff = discrepancy.get("difference_cents")
    return diff is not None and int(diff) > 0


def bill_summary(totals: dict[str, Any], discrepancies: list[dict[str, Any]]) -> dict[str, Any]:
    """`amounts`: one row per currency {currency, lines, billed, expected, over, under};
    `states`: per state {count, difference: {currency: amount}} (the signed differences of its
    rows, the carrier's overcharge positive), every state present; `open`: rows still to work."""
    by_currency = totals.get("by_currency") or {}
    amounts = [
        {
            "currency": cur,
            "lines": t.get("lines", 0),
            **{out: amount(t.get(key, 0)) for out, key in _TOTALS + _DIFFS},
        }
        for cur, t in sorted(by_currency.items())
    ]
    states: dict[str, dict[str, Any]] = {s: {"count": 0, "difference": {}} for s in STATES}
    for d in discrepancies:
        entry = states[state_of(d)]
        entry["count"] += 1
        if d.get("difference_cents") is not None and d.get("currency"):
            so_far = entry["difference"].get(d["currency"], 0)
            entry["difference"][d["currency"]] = so_far + int(d["difference_cents"])
    for entry in states.values():
        entry["difference"] = {c: amount(v) for c, v in sorted(entry["difference"].items())}
    return {"amounts": amounts, "states": states, "open": states["open"]["count"]}


def worklist(discrepancies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The discrepancy rows as finance works them: each with its difference as an amount, its
    state, whether the carrier over-billed it, and whether it can still be changed (an accepted
    or credited row is final)."""
    return [
        {
            "surcharge": "",
            "reason": None,
            "resolved_by": None,
            **d,
            "difference": amount(d.get("difference_cents")),
            "state": state_of(d),
            "overbilled": is_overbilled(d),
            "final": state_of(d) in FINAL,
        }
        for d in discrepancies
    ]
