"""Landed cost: what goods cost delivered to a destination (goods value, freight, duty, VAT or
GST, the total), before any order exists. The goods are given by SKU or HS code; the freight
is the cheapest quote from the warehouse (or each warehouse, when none is named)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domains.customs.tariff import CustomsLine

UNKNOWN_UNIT_WEIGHT_G = 500  # a good with neither a weight nor a known SKU


@dataclass(frozen=True)
class Goods:
    """One line of goods: its value (unit value x quantity) in its currency, and an SKU or an
    HS code; the weight is the product's unless given."""

    value: Decimal
    currency: str
    quantity: int = 1
    sku: str | None = None
    hs_code: str | None = None
    weight_g: int | None = None


def customs_lines(
    goods: Sequence[Goods], products: Mapping[str, Any]
) -> tuple[list[CustomsLine], int, list[dict[str, str]]]:
    """The goods as customs lines, their weight in grams, and what is wrong with them (an
    unknown SKU, no HS code), each at its place in the request."""
    errors, lines, grams = [], [], 0
    for i, g in enumerate(goods):
        p = products.get(g.sku) if g.sku else None
        if g.sku and p is None:
            errors.append({"loc": f"goods[{i}].sku", "msg": f"unknown SKU {g.sku!r}"})
            continue
        hs = g.hs_code or (p.hs_code if p else None)
        if not hs:
            errors.append({"loc": f"goods[{i}].hs_code", "msg": "give an SKU or an HS code"})
            continue
        lines.append(
            CustomsLine(hs_code=hs, value=g.value, currency=g.currency, quantity=g.quantity)
        )
        unit_g = p.unit_weight_g if p else UNKNOWN_UNIT_WEIGHT_G
        grams += g.weight_g or unit_g * g.quantity
    return lines, grams, errors
