"""Our own web shop, which posts the canonical shape directly.

Mapping is the identity; this only checks types and normalises, so native
paths equal canonical paths.
"""

from __future__ import annotations

from typing import Any

from .base import (
    MappedOrder,
    Reading,
    cancellation,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)


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

    lines = [
        {
            "sku": line.text("sku"),
            "quantity": reading.convert(line.value("quantity"), to_quantity),
            "unit_price": reading.convert(
                reading.convert(line.value("unit_price"), to_money),
                lambda amount: format_price(amount, currency.value),
            ),
        }
        for line in order.children("lines") or []
    ]
    mapped = reading.assemble(fields, lines)
    cancelled = order.child("cancelled")
    if cancelled.data:  # the key only where a cancellation is reported
        mapped.canonical["cancelled"] = cancellation(
            reading, cancelled.text("at"), cancelled.text("reason")
        )
    reading.raise_if_errors()
    return mapped
