"""Shopify REST Admin API, Order resource.

Accepts the API response `{"order": {...}}` or the bare order; native paths
are relative to the order object either way.

Amounts: line `price` is per unit before discounts; a line's discount is the sum of its
`discount_allocations` (else its deprecated `total_discount`), its tax the sum of its
`tax_lines`. Shipping is `shipping_lines[].price` (else `total_shipping_price_set`), its discount
`price - discounted_price`; tax `total_tax` with `taxes_included`; fees the tip
(`total_tip_received`); the total `total_price`. The REST order does not name its shop: a
connector may add `shop_domain` (beside or inside the order) as the marketplace id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .base import (
    Invalid,
    MappedOrder,
    Node,
    Reading,
    Val,
    first,
    format_price,
    full_name,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)
from .money import Amounts


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
        "customer.name": first(full_name(customer), address.text("name"), full_name(address)),
        "customer.email": first(order.text("email"), customer.text("email")),
        "customer.phone": first(order.text("phone"), customer.text("phone"), address.text("phone")),
        "ship_to.name": first(address.text("name"), full_name(address)),
        "ship_to.line1": address.text("address1"),
        "ship_to.line2": address.text("address2"),
        "ship_to.city": address.text("city"),
        # province_code is only set where Shopify knows the subdivision codes
        "ship_to.region": first(address.text("province_code"), address.text("province")),
        "ship_to.postcode": address.text("zip"),
        "ship_to.country": reading.convert(address.text("country_code"), to_country),
    }
    amounts = Amounts(reading, currency.value)
    lines = [_line(reading, amounts, item) for item in order.children("line_items") or []]
    mapped = reading.assemble(fields, lines)
    _shipping(amounts, order)
    amounts.add("tax", order.value("total_tax"))
    amounts.add("fees", order.value("total_tip_received"))
    cancelled_at = reading.convert(order.text("cancelled_at"), to_timestamp)
    cancelled = None
    if cancelled_at.value is not None:
        cancelled = {"at": cancelled_at.value, "reason": order.text("cancel_reason").value}
    amounts.attach(
        mapped,
        tax_included=order.data.get("taxes_included") is True,
        total=order.value("total_price"),
        marketplace_id=first(root.text("shop_domain"), order.text("shop_domain")),
        cancelled=cancelled,
    )
    reading.raise_if_errors()
    return mapped


def _line(reading: Reading, amounts: Amounts, item: Node) -> dict[str, Val]:
    price = reading.convert(item.value("price"), to_money)
    if "discount_allocations" in item.data:
        allocations = item.optional_children("discount_allocations")
        discount = amounts.add("items_discount", *(a.value("amount") for a in allocations))
        discount_loc = item.loc("discount_allocations")
    else:
        discount = amounts.add("items_discount", item.value("total_discount"))
        discount_loc = item.loc("total_discount")
    taxes = [t.value("price") for t in item.optional_children("tax_lines")]
    tax = sum((amounts.read(t) or Decimal(0) for t in taxes), Decimal(0)) if taxes else None
    return {
        "sku": item.text("sku"),
        "quantity": reading.convert(item.value("quantity"), to_quantity),
        "unit_price": reading.convert(price, lambda a: format_price(a, amounts.currency)),
        "discount": amounts.line_value(discount or Decimal(0), discount_loc),
        "tax": amounts.line_value(tax, item.loc("tax_lines")),
    }


def _shipping(amounts: Amounts, order: Node) -> None:
    lines = order.optional_children("shipping_lines")
    if not lines:
        price_set = order.child("total_shipping_price_set").child("shop_money")
        amounts.add("shipping", price_set.value("amount"))
        return
    for line in lines:
        price = amounts.add("shipping", line.value("price"))
        discounted = amounts.read(line.value("discounted_price"))
        if price is not None and discounted is not None:
            amounts.parts["shipping_discount"] = (
                amounts.parts.get("shipping_discount", Decimal(0)) + price - discounted
            )


def _order_id(value: Any) -> str:
    # REST ids are 64-bit integers; some exports carry them as strings
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise Invalid(f"expected an order id (integer or string), got {value!r}")
    return str(value).strip()
