"""Choosing the carrier service for a shipment: a policy over quotes, within constraints.

Pure. Quotes arrive as plain dicts (carrier, service, total, currency, transit_days_min/max);
the scorecards' exception rates per (carrier, service) on the lane are inputs. The result lists
every quote with its score or the reason it was ruled out, so the event explains the choice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

POLICIES = ("cheapest", "fastest", "best_value")


def choose(
    quotes: list[dict[str, Any]],
    policy: str,
    *,
    days_to_promise: int | None = None,
    value_per_day: Decimal = Decimal("2.00"),
    exception_rates: dict[str, float] | None = None,
    exception_penalty: Decimal = Decimal("50.00"),
) -> dict[str, Any]:
    """`best_value` = total + value_per_day x max transit days + penalty x exception rate.
    A quote whose slowest transit misses the promised delivery is ruled out."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of {', '.join(POLICIES)}")
    rates = exception_rates or {}
    scored, ruled_out = [], []
    for q in quotes:
        key = f"{q['carrier']}/{q['service']}"
        if days_to_promise is not None and q["transit_days_max"] > days_to_promise:
            ruled_out.append(
                {
                    **q,
                    "reason": f"up to {q['transit_days_max']} days in transit; "
                    f"the promise is {days_to_promise} days away",
                }
            )
            continue
        # Quotes in several currencies are compared in one (`compare_total`) when given.
        total = Decimal(str(q.get("compare_total", q["total"])))
        exception_rate = rates.get(key, 0.0)
        if policy == "cheapest":
            score = (total, q["transit_days_max"])
        elif policy == "fastest":
            score = (Decimal(q["transit_days_max"]), total)
        else:
            value = (
                total
                + value_per_day * q["transit_days_max"]
                + exception_penalty * Decimal(str(round(exception_rate, 4)))
            ).quantize(Decimal("0.01"))
            score = (value, total)
        scored.append(
            {**q, "score": [str(s) for s in score], "exception_rate": exception_rate, "_key": score}
        )
    scored.sort(key=lambda q: (q["_key"], q["carrier"], q["service"]))
    for q in scored:
        del q["_key"]
    return {
        "policy": policy,
        "inputs": {
            "days_to_promise": days_to_promise,
            "value_per_day": str(value_per_day),
            "exception_penalty": str(exception_penalty),
            "exception_rates": rates,
        },
        "choice": scored[0] if scored else None,
        "ranked": scored,
        "ruled_out": ruled_out,
    }
