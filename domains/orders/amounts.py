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

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
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


def money(amount: Decimal, currency: str | None) -> str:
    """An amount as a decimal string at the currency's precision."""
    with localcontext(_EXACT):
        return str(amount.quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_UP))


def lines_subtotal(lines: list[dict[str, Any]]) -> Decimal:
    with localcontext(_EXACT):
        return sum((Decimal(str(ln["unit_price"])) * ln["quantity"] for ln in lines), ZERO)


def build_amounts(
    currency: str | None,
    parts: dict[str, Decimal],
    tax_included: bool,
    reported_total: Decimal | None,
) -> dict[str, Any]:
    """The amounts block from the channel's parts (missing parts are zero) and its total (None
    when the channel reports none: the parts' sum is then the total)."""
    p = {name: parts.get(name, ZERO) for name in AMOUNT_PARTS}
    with localcontext(_EXACT):
        computed = (
            p["items_subtotal"]
            - p["items_discount"]
            + p["shipping"]
            - p["shipping_discount"]
            + (ZERO if tax_included else p["tax"])
            + p["fees"]
        )
        difference = (computed if reported_total is None else reported_total) - computed
    total = computed if reported_total is None else reported_total
    block: dict[str, Any] = {name: money(p[name], currency) for name in AMOUNT_PARTS}
    block["total"] = money(total, currency)
    block["tax_included"] = tax_included
    mismatch = None
    if money(total, currency) != money(computed, currency):
        mismatch = {
            "reported_total": money(total, currency),
            "computed_total": money(computed, currency),
            "difference": money(difference, currency),
        }
    block["mismatch"] = mismatch
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
