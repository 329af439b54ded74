"""Shopee Open Platform v2, v2.order.get_order_detail.

Native paths are relative to the order object, also when a whole API response
is passed in (then only envelope problems are reported as "response...").

Amounts: the detail gives what the buyer paid (`total_amount`), each item's listing price after
the seller's discount (`model_discounted_price`, the unit price) and the shipping fee
(`estimated_shipping_fee`). Prices include VAT/GST and no
tax is broken out. Vouchers, coins, Shopee's discounts and the shipping fee the buyer actually
paid are only in v2.payment.get_escrow_detail (`voucher_from_seller`, `voucher_from_shopee`,
`coins`, `buyer_paid_shipping_fee`, ...): when they make the parts differ from `total_amount`,
the difference is recorded as the order's amounts mismatch.
"""

from __future__ import annotations

from typing import Any

from .base import (
    MappedOrder,
    Node,
    Reading,
    Val,
    first,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_unix_timestamp,
)
from .money import Amounts

CANCELLED = {"CANCELLED", "IN_CANCEL"}
CITY_STATES = {"SG": "Singapore"}


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    root = reading.root(payload)
    order = _order(reading, root)

    currency = reading.convert(order.text("currency"), to_currency)
    address = order.child("recipient_address", required=True)
    buyer = order.text("buyer_username")
    recipient = first(address.text("name"), buyer)
    fields = {
        "external_id": order.text("order_sn"),
        "placed_at": reading.convert(order.value("create_time"), to_unix_timestamp),
        "currency": currency,
        "customer.name": recipient,
        "customer.email": Val(None, None),  # Shopee never shares the buyer's email
        "customer.phone": address.text("phone"),
        "ship_to.name": recipient,
        "ship_to.line1": address.text("full_address"),
        # Which of city/district/town is filled depends on the region; Singapore's addresses
        # leave all three empty (the city is the country).
        "ship_to.city": first(
            *(address.text(k) for k in ("city", "district", "town")), _city_state(address)
        ),
        "ship_to.region": address.text("state"),
        "ship_to.postcode": address.text("zipcode"),
        "ship_to.country": reading.convert(
            first(address.text("region"), order.text("region")), to_country
        ),
    }
    items = order.children("item_list") or []
    lines = [_line(reading, item, currency.value) for item in items]
    mapped = reading.assemble(fields, lines)
    amounts = Amounts(reading, currency.value)
    # The shipping fee Shopee estimated for the buyer; `actual_shipping_fee` is the carrier's
    # charge to the seller, not what the buyer paid.
    amounts.add("shipping", order.value("estimated_shipping_fee"))
    status = order.data.get("order_status")
    cancelled = None
    if isinstance(status, str) and status in CANCELLED:
        reason = first(order.text("cancel_reason"), order.text("buyer_cancel_reason"))
        cancelled = {"at": None, "reason": reason.value}
    shop = first(root.value("shop_id"), order.value("shop_id"))
    amounts.attach(
        mapped,
        tax_included=True,
        total=order.value("total_amount"),
        marketplace_id=Val(None if shop.value is None else str(shop.value), shop.loc),
        cancelled=cancelled,
    )
    reading.raise_if_errors()
    return mapped


def _city_state(address: Node) -> Val:
    region = address.text("region")
    return Val(CITY_STATES.get(region.value or ""), region.loc)


def _order(reading: Reading, root: Node) -> Node:
    if "response" not in root.data:
        return root
    if root.data.get("error"):
        reading.fail(
            "error", f"Shopee API error {root.data['error']!r}: {root.data.get('message')}"
        )
    return reading.only_order(root.child("response", required=True), "order_list")


def _line(reading: Reading, item: Node, currency: str | None) -> dict[str, Val]:
    # model_sku is empty for items without variations; the item SKU then applies
    sku = first(item.text("model_sku"), item.text("item_sku"))
    price = first(item.value("model_discounted_price"), item.value("model_original_price"))
    amount = reading.convert(price, to_money)
    return {
        "sku": sku,
        "quantity": reading.convert(item.value("model_quantity_purchased"), to_quantity),
        "unit_price": reading.convert(amount, lambda a: format_price(a, currency)),
    }
