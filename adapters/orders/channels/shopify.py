"""Shopify REST Admin API, Order resource.

Accepts the API response `{"order": {...}}` or the bare order; native paths
are relative to the order object either way.
"""

from __future__ import annotations

from typing import Any

from .base import (
    Invalid,
    MappedOrder,
    Node,
    Reading,
    Val,
    cancellation,
    first,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    root = reading.root(payload)
    order = reading.unwrap(root, "order") if "order" in root.data else root

    currency = reading.convert(order.text("currency"), to_currency)
    customer = order.child("customer")
    address = order.child("shipping_address", required=True)
    fields = {
        "external_id": reading.convert(order.value("id"), _order_id),
        "placed_at": reading.convert(order.text("created_at"), to_timestamp),
        "currency": currency,
        "customer.name": first(_full_name(customer), address.text("name"), _full_name(address)),
        "customer.email": first(order.text("email"), customer.text("email")),
        "customer.phone": first(order.text("phone"), customer.text("phone"), address.text("phone")),
        "ship_to.name": first(address.text("name"), _full_name(address)),
        "ship_to.line1": address.text("address1"),
        "ship_to.line2": address.text("address2"),
        "ship_to.city": address.text("city"),
        # province_code is only set where Shopify knows the subdivision codes
        "ship_to.region": first(address.text("province_code"), address.text("province")),
        "ship_to.postcode": address.text("zip"),
        "ship_to.country": reading.convert(address.text("country_code"), to_country),
    }
    lines = [
        {
            "sku": item.text("sku"),
            "quantity": reading.convert(item.value("quantity"), to_quantity),
            "unit_price": reading.convert(
                reading.convert(item.value("price"), to_money),
                lambda amount: format_price(amount, currency.value),
            ),
        }
        for item in order.children("line_items") or []
    ]
    mapped = reading.assemble(fields, lines)
    cancelled = cancellation(reading, order.text("cancelled_at"), order.text("cancel_reason"))
    if cancelled is not None:  # the key only where a cancellation is reported
        mapped.canonical["cancelled"] = cancelled
    reading.raise_if_errors()
    return mapped


def _order_id(value: Any) -> str:
    # REST ids are 64-bit integers; some exports carry them as strings
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise Invalid(f"expected an order id (integer or string), got {value!r}")
    return str(value).strip()


def _full_name(node: Node) -> Val:
    first_name, last_name = node.text("first_name"), node.text("last_name")
    name = " ".join(v.value for v in (first_name, last_name) if v.value)
    return Val(name or None, first_name.loc)
