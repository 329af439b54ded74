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
    record: dict[str, dict[str, Any]] | None = None,
    declared_value: Decimal | None = None,
    cost_of_lateness: Decimal | None = None,
) -> dict[str, Any]:
    """`best_value` = total + value_per_day x max transit days + penalty x exception rate; or,
    given each quote's `record` ("carrier/service" -> p_late, p_loss from its history on the
    lane, domains/transport/record.py), the expected cost: total + p_late x cost_of_lateness
    + p_loss x declared_value (then the transit days break ties).
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
        extra: dict[str, Any] = {}
        score: tuple[Any, ...]
        if policy == "best_value" and record is not None:
            r = record[key]
            late = (cost_of_lateness or Decimal(0)) * Decimal(str(r["p_late"]))
            loss = (declared_value or Decimal(0)) * Decimal(str(r["p_loss"]))
            expected = (total + late + loss).quantize(Decimal("0.01"))
            extra = {"record": r, "expected_cost": str(expected),
                     "expected_lateness": str(late.quantize(Decimal("0.01"))),
                     "expected_loss": str(loss.quantize(Decimal("0.01")))}  # fmt: skip
            score = (expected, Decimal(q["transit_days_max"]), total)
        elif policy == "cheapest":
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
            {
                **q,
                **extra,
                "score": [str(s) for s in score],
                "exception_rate": exception_rate,
                "_key": score,
            }  # fmt: skip
        )
    scored.sort(key=lambda q: (q["_key"], q["carrier"], q["service"]))
    for q in scored:
        del q["_key"]
    inputs: dict[str, Any] = {
        "days_to_promise": days_to_promise,
        "value_per_day": str(value_per_day),
        "exception_penalty": str(exception_penalty),
        "exception_rates": rates,
    }
    if record is not None:  # decisions made before the record keep their inputs' shape
        inputs.update(declared_value=str(declared_value), cost_of_lateness=str(cost_of_lateness),
                      formula="total + p_late x cost_of_lateness + p_loss x declared_value")  # fmt: skip
    return {
        "policy": policy,
        "inputs": inputs,
        "choice": scored[0] if scored else None,
        "ranked": scored,
        "ruled_out": ruled_out,
    }
