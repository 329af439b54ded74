"""TikTok Shop Partner API, Order "Get Order Detail" (version 202309).

Accepts the API response `{"code", "message", "request_id", "data": {"orders": [one order]}}` or
the bare order object; native paths are relative to the order (envelope problems are reported
as "code", "data...").

TikTok lists one line_item per unit: lines are grouped by `seller_sku`, the quantity being the
count and the unit price the units' `sale_price` (after the seller's and TikTok's discounts;
their mean, to 6 places if needed, when units of one SKU sold at different prices).

Amounts (`payment`): the items are the lines' sale prices (`sub_total`); shipping is
`original_shipping_fee` less its seller, platform and co-funded discounts (else `shipping_fee`);
tax is `tax` (else `product_tax` + `shipping_fee_tax`), added on top in the US and included in
prices elsewhere; fees are the small-order, retail-delivery, buyer-service, handling and
insurance fees; the total is `total_amount`. `shop_id` (carried by TikTok's webhooks, not the
detail) is the marketplace id when a connector passes it beside the order.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .base import (
    MappedOrder,
    Node,
    Reading,
    Val,
    first,
    format_unit_price,
    full_name,
    street_lines,
    to_country,
    to_currency,
    to_unix_timestamp,
)
from .money import Amounts

TAX_EXCLUSIVE_REGIONS = frozenset({"US"})
SHIPPING_DISCOUNTS = (
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "shipping_fee_cofunded_discount",
)
FEES = (
    "small_order_fee",
    "retail_delivery_fee",
    "buyer_service_fee",
    "handling_fee",
    "shipping_insurance_fee",
    "item_insurance_fee",
)


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    root = reading.root(payload)
    order = _order(reading, root)

    payment = order.child("payment", required=True)
    currency = reading.convert(payment.text("currency"), to_currency)
    address = order.child("recipient_address", required=True)
    districts = _districts(address)
    name = first(address.text("name"), full_name(address))
    line1, line2 = street_lines(address, tuple(f"address_line{n}" for n in (1, 2, 3, 4)))
    line1 = first(line1, address.text("address_detail"))
    country = reading.convert(address.text("region_code"), to_country)
    fields = {
        "external_id": order.text("id"),
        "placed_at": reading.convert(order.value("create_time"), to_unix_timestamp),
        "currency": currency,
        "customer.name": name,
        "customer.email": order.text("buyer_email"),
        "customer.phone": address.text("phone_number"),
        "ship_to.name": name,
        "ship_to.line1": line1,
        "ship_to.line2": line2,
        "ship_to.city": districts.get("city", Val(None, address.loc("district_info"))),
        "ship_to.region": districts.get("state", Val(None, None)),
        "ship_to.postcode": address.text("postal_code"),
        "ship_to.country": country,
    }
    amounts = Amounts(reading, currency.value)
    lines = _lines(reading, amounts, order)
    mapped = reading.assemble(fields, lines)
    _payment(amounts, payment)
    cancelled = None
    if order.data.get("status") == "CANCELLED":
        at = reading.convert(order.value("cancel_time"), to_unix_timestamp)
        cancelled = {"at": at.value, "reason": order.text("cancel_reason").value}
    shop = first(root.value("shop_id"), order.value("shop_id"))
    amounts.attach(
        mapped,
        tax_included=country.value not in TAX_EXCLUSIVE_REGIONS,
        total=payment.value("total_amount"),
        marketplace_id=Val(None if shop.value is None else str(shop.value), shop.loc),
        cancelled=cancelled,
    )
    reading.raise_if_errors()
    return mapped


def _order(reading: Reading, root: Node) -> Node:
    if "data" not in root.data:
        return root
    code = root.data.get("code")
    if code not in (None, 0):
        reading.fail("code", f"TikTok Shop API error {code!r}: {root.data.get('message')}")
    return reading.only_order(root.child("data", required=True), "orders")


def _lines(reading: Reading, amounts: Amounts, order: Node) -> list[dict[str, Val]]:
    """One canonical line per seller SKU, in the order the SKUs first appear."""
    groups: dict[str, list[Node]] = {}
    unnamed: list[dict[str, Val]] = []
    for item in order.children("line_items") or []:
        sku = item.text("seller_sku")
        if sku.value is None:  # reported by assemble as a missing SKU
            unnamed.append({"sku": sku, "quantity": Val(1, None), "unit_price": Val("0", None)})
        else:
            groups.setdefault(sku.value, []).append(item)
    lines = [_line(amounts, sku, units) for sku, units in groups.items()]
    return lines + unnamed


def _line(amounts: Amounts, sku: str, units: list[Node]) -> dict[str, Val]:
    prices = [(u, amounts.read(u.value("sale_price"))) for u in units]
    missing = [u for u, price in prices if price is None]
    # The first unit without a usable price names the line's missing price.
    unit_price = Val(None, (missing or units)[0].loc("sale_price"))
    if not missing:
        line_total = sum((p for _, p in prices if p is not None), Decimal(0))
        unit_price = Val(
            format_unit_price(line_total, len(units), amounts.currency), unit_price.loc
        )
    taxes = [
        amounts.read(tax.value("tax_amount"))
        for u in units
        for tax in u.optional_children("item_tax")
    ]
    line_tax = sum((t for t in taxes if t is not None), Decimal(0)) if taxes else None
    return {
        "sku": Val(sku, units[0].loc("seller_sku")),
        "quantity": Val(len(units), units[0].loc("seller_sku")),
        "unit_price": unit_price,
        "tax": amounts.line_value(line_tax, units[0].loc("item_tax")),
    }


def _payment(amounts: Amounts, payment: Node) -> None:
    if payment.data.get("original_shipping_fee") is not None:
        amounts.add("shipping", payment.value("original_shipping_fee"))
        amounts.add("shipping_discount", *(payment.value(k) for k in SHIPPING_DISCOUNTS))
    else:
        amounts.add("shipping", payment.value("shipping_fee"))
    if payment.data.get("tax") is not None:
        amounts.add("tax", payment.value("tax"))
    else:
        amounts.add("tax", payment.value("product_tax"), payment.value("shipping_fee_tax"))
    amounts.add("fees", *(payment.value(k) for k in FEES))


def _districts(address: Node) -> dict[str, Val]:
    """City and state from `district_info` (levels named by TikTok: Country, State, County,
    City; a UK address names its town "Post town")."""
    out: dict[str, Val] = {}
    raw = address.data.get("district_info")
    if not isinstance(raw, list):
        return out
    wanted = {"city": "city", "post town": "city", "state": "state", "province": "state"}
    for i, entry in enumerate(raw):
        node = Node(address.reading, entry if isinstance(entry, Mapping) else {}, "")
        level = node.data.get("address_level_name")
        key = wanted.get(level.lower()) if isinstance(level, str) else None
        name = node.data.get("address_name")
        if key and key not in out and isinstance(name, str) and name.strip():
            out[key] = Val(name.strip(), address.loc(f"district_info[{i}].address_name"))
    return out
