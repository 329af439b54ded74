"""The landed cost per unit of an inbound shipment: its freight, insurance, duty and fees
allocated to the units received in good condition, by value, weight or volume (chosen per
shipment), added to each unit's own value. Damaged and missing units carry no share: the
costs of the shipment are borne by what can be sold.

Pure: the inputs (costs with their currencies, exchange rates into the shipment's currency,
received lines) in, the decision out, to be recorded as an event with those inputs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
UNIT_PLACES = Decimal("0.0001")  # a unit's cost to 1/100 cent: shares of a cent are real
RULE_VERSION = "landed-cost/1"


def basis_key(line: dict[str, Any], basis: str) -> Decimal:
    """What a received line weighs in the allocation: its value, weight or volume."""
    units = Decimal(line["units"])
    if basis == "value":
        return Decimal(line["unit_value_in_currency"]) * units
    if basis == "weight":
        return Decimal(str(line["unit_weight_kg"])) * units
    if basis == "volume":
        return Decimal(str(line["unit_volume_m3"])) * units
    raise ValueError(f"unknown allocation basis {basis!r}")


def share_out(total: Decimal, keys: dict[str, Decimal]) -> dict[str, Decimal]:
    """`total` to the cent over `keys` in proportion; the rounding remainder goes to the
    largest key, so the shares add up exactly. All keys zero: shared by count."""
    if not keys:
        return {}
    if not any(keys.values()):
        keys = {k: Decimal(1) for k in keys}
    whole = sum(keys.values())
    shares = {k: (total * v / whole).quantize(CENT, ROUND_HALF_UP) for k, v in keys.items()}
    largest = max(keys, key=lambda k: keys[k])
    shares[largest] += total.quantize(CENT, ROUND_HALF_UP) - sum(shares.values())
    return shares


def converted(amount: dict[str, Any] | None, fx: dict[str, Decimal]) -> Decimal:
    if not amount:
        return Decimal(0)
    return Decimal(str(amount["amount"])) * fx[amount["currency"]]


def decide(
    basis: str,
    currency: str,
    costs: dict[str, Any],
    duty: dict[str, Any] | None,
    lines: list[dict[str, Any]],
    fx: dict[str, Decimal],
) -> dict[str, Any]:
    """`costs`: {"freight", "insurance": {amount, currency} | None, "fees": [{name, amount,
    currency}]}; `duty`: the declaration's duty and import VAT paid ({amount, currency}) or
    None; `lines`: received good units [{sku, lot, units, unit_value, value_currency,
    unit_weight_kg, unit_volume_m3}]; `fx`: units of `currency` per unit of each currency."""
    fees = sum((converted(f, fx) for f in costs.get("fees", [])), Decimal(0))
    parts = {
        "freight": converted(costs.get("freight"), fx),
        "insurance": converted(costs.get("insurance"), fx),
        "duty": converted(duty, fx),
        "fees": fees,
    }
    parts = {k: v.quantize(CENT, ROUND_HALF_UP) for k, v in parts.items()}
    overhead = sum(parts.values(), Decimal(0))
    priced = [
        {
            **ln,
            "unit_value_in_currency": str(
                (Decimal(ln["unit_value"]) * fx[ln["value_currency"]]).quantize(UNIT_PLACES)
            ),
        }
        for ln in lines
        if ln["units"] > 0
    ]
    keys = {f"{ln['sku']}|{ln['lot']}": basis_key(ln, basis) for ln in priced}
    shares = share_out(overhead, keys)
    out = []
    for ln in priced:
        share = shares[f"{ln['sku']}|{ln['lot']}"]
        per_unit = (share / ln["units"]).quantize(UNIT_PLACES, ROUND_HALF_UP)
        unit_value = Decimal(ln["unit_value_in_currency"])
        out.append(
            {
                "sku": ln["sku"],
                "lot": ln["lot"],
                "units": ln["units"],
                "key": str(keys[f"{ln['sku']}|{ln['lot']}"]),
                "allocated": str(share),
                "overhead_per_unit": str(per_unit),
                "unit_value": str(unit_value),
                "landed_unit_cost": str(unit_value + per_unit),
            }
        )
    return {
        "basis": basis,
        "currency": currency,
        "costs": {k: str(v) for k, v in parts.items()},
        "overhead": str(overhead),
        "lines": out,
        "inputs": {
            "costs": costs,
            "duty": duty,
            "fx": {c: str(r) for c, r in sorted(fx.items())},
            "received": lines,
        },
        "rule_version": RULE_VERSION,
    }
