"""What the buyer pays for an order, as the channel reports it: the canonical order's `amounts`.

    computed_total = items_subtotal - items_discount + shipping - shipping_discount
                     + (0 if tax_included else tax) + fees
    items_subtotal = sum(quantity x unit_price)

The total is the channel's (what the buyer paid). When the channel's own parts do not add up to
it, the difference is recorded in `mismatch`, never "fixed": finance sees what the channel said.
Orders stored before amounts existed carry none; `order_total` falls back to the sum of their
lines, so they keep the total they always had.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

AMOUNT_PARTS = (
    "items_subtotal",
    "items_discount",
    "shipping",
    "shipping_discount",
    "tax",
    "fees",
)
ZERO = Decimal(0)
# Wide enough that quantity x unit price and the sums of parts are exact: quantities are
# unbounded integers and amounts go up to 12 integer digits with 6 decimals.
_EXACT = Context(prec=80, rounding=ROUND_HALF_UP)

# ISO 4217 minor units that differ from the usual 2. Kept inline because neither the stdlib nor
# pycountry carries minor units.
_MINOR_UNITS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


def minor_units(currency: str | None) -> int:
    return _MINOR_UNITS.get(currency or "", 2)


_STEPS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def money(amount: Decimal, currency: str | None) -> str:
    """An amount as a decimal string at the currency's precision."""
    return str(amount.quantize(_STEPS[minor_units(currency)], ROUND_HALF_UP, _EXACT))


def lines_subtotal(lines: list[dict[str, Any]]) -> Decimal:
    total = ZERO
    for ln in lines:
        total = _EXACT.add(total, _EXACT.multiply(Decimal(str(ln["unit_price"])), ln["quantity"]))
    return total


def build_amounts(
    currency: str | None,
    parts: dict[str, Decimal],
    tax_included: bool,
    reported_total: Decimal | None,
) -> dict[str, Any]:
    """The amounts block from the channel's parts (missing parts are zero) and its total (None
    when the channel reports none: the parts' sum is then the total)."""
    p = {name: parts.get(name, ZERO) for name in AMOUNT_PARTS}
    add, sub = _EXACT.add, _EXACT.subtract
    computed = sub(
        add(p["items_subtotal"], p["shipping"]), add(p["items_discount"], p["shipping_discount"])
    )
    computed = add(add(computed, ZERO if tax_included else p["tax"]), p["fees"])
    difference = sub(computed if reported_total is None else reported_total, computed)
    block: dict[str, Any] = {name: money(p[name], currency) for name in AMOUNT_PARTS}
    total, computed_text = money(computed, currency), money(computed, currency)
    if reported_total is not None:
        total = money(reported_total, currency)
    block["total"] = total
    block["tax_included"] = tax_included
    block["mismatch"] = (
        None
        if total == computed_text
        else {
            "reported_total": total,
            "computed_total": computed_text,
            "difference": money(difference, currency),
        }
    )
    return block


def complete_amounts(canonical: dict[str, Any]) -> None:
    """Fills what a payload without amounts (web orders without them, dealer CSV) lacks: each
    line's discount and tax default to zero, and the amounts block is the lines' own sum."""
    currency = canonical.get("currency")
    lines = canonical.get("lines") or []
    zero = money(ZERO, currency)
    for line in lines:
        if isinstance(line, dict):
            line.setdefault("discount", zero)
            line.setdefault("tax", zero)
    if canonical.get("amounts") is None:
        try:
            subtotal = lines_subtotal(lines)
        except (ArithmeticError, KeyError, TypeError):
            return  # a malformed order: validation names its fields, nothing to sum here
        canonical["amounts"] = build_amounts(currency, {"items_subtotal": subtotal}, False, None)


def amounts_of(canonical: dict[str, Any]) -> dict[str, Any]:
    """The order's amounts block; for an order stored before amounts existed, the one its lines
    imply (what `order_total` says it is worth), so every order reads the same way."""
    amounts = canonical.get("amounts")
    if amounts is not None:
        return dict(amounts)
    subtotal = lines_subtotal(canonical["lines"])
    return build_amounts(canonical.get("currency"), {"items_subtotal": subtotal}, False, None)


def order_total(canonical: dict[str, Any]) -> Decimal:
    """What the buyer paid: the channel's total, or for orders stored before amounts existed,
    quantity x unit price summed over the lines (the total they always showed)."""
    amounts = canonical.get("amounts")
    if amounts and amounts.get("total") is not None:
        return Decimal(amounts["total"])
    return lines_subtotal(canonical["lines"])
