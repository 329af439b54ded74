"""The logistics cost ledger's arithmetic: what one shipment cost (freight as quoted on its
label, duties and import taxes we pay under DDP, warehouse handling) and how a shipment's cost
is allocated back to its lines. Pure: rows and exchange rates in, rows out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

# Warehouse handling, per pick line and per parcel (sample contract rates, USD).
HANDLING_PER_PICK_LINE = Decimal("0.35")
HANDLING_PER_PARCEL = Decimal("1.20")
HANDLING_CURRENCY = "USD"
CENT = Decimal("0.01")

# (currency or None, ISO day) -> units of the base currency per unit (0 for no currency)
InBase = Callable[[str | None, str], Decimal]


def shipment_cost(
    r: Mapping[str, Any], warehouse_countries: Mapping[str, str], in_base: InBase, base: str
) -> dict[str, Any]:
    """One ledger row from a row of the shipment-costs view: each cost in its own currency and
    the total in the base currency at the rate of the shipment's day (dispatch, else label)."""
    day = (r["dispatched_at"] or r["labelled_at"])[:10]
    freight = Decimal(r["quoted_total_cents"] or 0) / 100
    ddp = (r["incoterm"] or "DDP") == "DDP"
    duty = Decimal(r["duty"] or 0) if ddp else Decimal(0)
    vat = Decimal(r["vat"] or 0) if ddp else Decimal(0)
    handling = HANDLING_PER_PICK_LINE * len(r["lines"]) + HANDLING_PER_PARCEL
    cost = (
        freight * in_base(r["currency"], day)
        + (duty + vat) * in_base(r["duty_currency"], day)
        + handling * in_base(HANDLING_CURRENCY, day)
    )
    order_value = Decimal(r["order_total"] or 0) * in_base(r["order_currency"], day)
    wh = r["warehouse_id"]
    return {
        "shipment_id": r["shipment_id"],
        "order_id": r["order_id"],
        "carrier": r["carrier"],
        "service": r["service"],
        "warehouse": wh,
        "lane": f"{warehouse_countries[wh]}-{r['destination']}"
        if wh in warehouse_countries
        else r["destination"],
        "channel": r["channel"],
        "month": day[:7],
        "date": day,
        "freight": str(freight),
        "freight_currency": r["currency"],
        "duty": str(duty),
        "import_vat": str(vat),
        "tax_currency": r["duty_currency"],
        "handling": str(handling),
        "handling_currency": HANDLING_CURRENCY,
        "cost_base": str(cost.quantize(CENT)),
        "base_currency": base,
        "order_value_base": str(order_value.quantize(CENT)),
    }


def allocate(cost: Decimal, keys: Mapping[str, Any]) -> dict[str, Decimal]:
    """`cost` shared out over SKUs in proportion to their keys (weight or value), to the cent;
    the rounding remainder goes to the largest key, so the shares add up exactly."""
    total_key = sum(keys.values()) or 1
    shares = {
        sku: (cost * Decimal(k) / Decimal(total_key)).quantize(CENT) for sku, k in keys.items()
    }
    if shares:
        largest = max(shares, key=lambda k: keys[k])
        shares[largest] += cost.quantize(CENT) - sum(shares.values())
    return shares
