"""Our own web shop, which posts the canonical shape directly.

Mapping is the identity; this only checks types and normalises, so native
paths equal canonical paths.

Optional amounts (decimal strings): `shipping`, `shipping_discount`, `discount` (on the items,
beyond the lines' own), `tax` with `tax_included` (default false), `total`; per line `discount`
and `tax`. Without them the order is worth its lines.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .base import (
    MappedOrder,
    Node,
    Reading,
    Val,
    cancellation,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
    type_name,
)
from .money import Amounts


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    order = reading.root(payload)

    currency = reading.convert(order.text("currency"), to_currency)
    customer = order.child("customer", required=True)
    ship_to = order.child("ship_to", required=True)
    fields = {
        "external_id": order.text("external_id"),
        "placed_at": reading.convert(order.text("placed_at"), to_timestamp),
        "currency": currency,
        "dealer_id": order.text("dealer_id"),
    }
    for key in ("name", "email", "phone"):
        fields[f"customer.{key}"] = customer.text(key)
    for key in ("name", "line1", "line2", "city", "region", "postcode"):
        fields[f"ship_to.{key}"] = ship_to.text(key)
    fields["ship_to.country"] = reading.convert(ship_to.text("country"), to_country)

    amounts = Amounts(reading, currency.value)
    lines = [_line(reading, amounts, line) for line in order.children("lines") or []]
    mapped = reading.assemble(fields, lines)
    for part, key in (
        ("shipping", "shipping"),
        ("shipping_discount", "shipping_discount"),
        ("items_discount", "discount"),
        ("tax", "tax"),
    ):
        amounts.add(part, order.value(key))
    if order.data.get("tax") is None:  # the lines' taxes, when the shop states only those
        line_taxes = [Decimal(ln["tax"].value) for ln in lines if ln["tax"].value is not None]
        amounts.parts["tax"] = sum(line_taxes, Decimal(0))
    cancelled = order.child("cancelled")  # {"at", "reason"} when the shop reports one
    amounts.attach(
        mapped,
        tax_included=_flag(reading, order, "tax_included"),
        total=order.value("total"),
        cancelled=cancellation(reading, cancelled.text("at"), cancelled.text("reason"))
        if cancelled.data
        else None,
    )
    reading.raise_if_errors()
    return mapped


def _line(reading: Reading, amounts: Amounts, line: Node) -> dict[str, Val]:
    discount, tax = line.value("discount"), line.value("tax")
    # A line's discount counts towards the items' discount; its tax is part of the order's
    # `tax` (the lines' taxes summed when the shop states no order tax).
    discount_amount = amounts.add("items_discount", discount)
    return {
        "sku": line.text("sku"),
        "quantity": reading.convert(line.value("quantity"), to_quantity),
        "unit_price": reading.convert(
            reading.convert(line.value("unit_price"), to_money),
            lambda amount: format_price(amount, amounts.currency),
        ),
        "discount": amounts.line_value(discount_amount, discount.loc),
        "tax": amounts.line_value(amounts.read(tax), tax.loc),
    }


def _flag(reading: Reading, node: Node, key: str) -> bool:
    raw = node.data.get(key)
    if raw is not None and not isinstance(raw, bool):
        reading.fail(node.loc(key), f"expected true or false, got {type_name(raw)}")
    return raw is True
