"""Amazon Selling Partner API, Orders v0 (getOrder + getOrderItems), as the API returns them.

Accepted shapes (SHAPES): the Order object with its OrderItems inside; {"Order": ...,
"OrderItems": [...]}; and the two responses side by side, {"order": <getOrder response>,
"items": <getOrderItems response>}, each with or without its {"payload": ...} wrapper. Native
paths are relative to the Order object; OrderItems are reported as "OrderItems[i]..." wherever
they sit; only envelope problems are reported at "order...", "items...".

Amounts: ItemPrice is the price of the whole line. In the US and Canada marketplaces prices
exclude sales tax (OrderTotal adds ItemTax and ShippingTax); everywhere else (EU, UK, JP, AU,
...) ItemPrice and ShippingPrice include VAT/GST and the *Tax fields are the part of them that is
tax. Tax is ItemTax + ShippingTax less the tax on promotions (PromotionDiscountTax,
ShippingDiscountTax).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    ROOT_LOC,
    MappedOrder,
    Node,
    Reading,
    Val,
    first,
    format_unit_price,
    street_lines,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
    type_name,
)
from .money import Amounts

SHAPES = (
    'the Order object with its "OrderItems", {"Order": {...}, "OrderItems": [...]}, or the '
    'getOrder and getOrderItems responses side by side, {"order": <getOrder response>, '
    '"items": <getOrderItems response>} (each may keep its "payload" wrapper)'
)
# Marketplaces whose prices exclude sales tax (US, Canada); when MarketplaceId is absent, the
# ship-to country decides.
TAX_EXCLUSIVE_MARKETPLACES = {"ATVPDKIKX0DER": "US", "A2EUQ1WTGCTBG2": "CA"}
TAX_EXCLUSIVE_COUNTRIES = frozenset(TAX_EXCLUSIVE_MARKETPLACES.values())


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    order, holder = _locate(reading, reading.root(payload))

    items = None
    if holder.data.get("OrderItems") is None:  # e.g. the getOrder response alone
        reading.fail(holder.loc("OrderItems"), f"missing the order's items; expected {SHAPES}")
    else:
        items = holder.children("OrderItems")
    first_price = items[0].child("ItemPrice") if items else Node(reading, {}, "")
    currency = reading.convert(
        first(order.child("OrderTotal").text("CurrencyCode"), first_price.text("CurrencyCode")),
        to_currency,
    )

    buyer = order.child("BuyerInfo")
    address = order.child("ShippingAddress", required=True)
    line1, line2 = street_lines(address, ("AddressLine1", "AddressLine2", "AddressLine3"))
    country = reading.convert(address.text("CountryCode"), to_country)
    fields = {
        "external_id": order.text("AmazonOrderId"),
        "placed_at": reading.convert(order.text("PurchaseDate"), to_timestamp),
        "currency": currency,
        # BuyerName is often withheld (PII roles); the recipient is the next best name
        "customer.name": first(buyer.text("BuyerName"), address.text("Name")),
        "customer.email": buyer.text("BuyerEmail"),
        "customer.phone": address.text("Phone"),
        "ship_to.name": address.text("Name"),
        "ship_to.line1": line1,
        "ship_to.line2": line2,
        "ship_to.city": address.text("City"),
        "ship_to.region": address.text("StateOrRegion"),
        "ship_to.postcode": address.text("PostalCode"),
        "ship_to.country": country,
    }
    amounts = Amounts(reading, currency.value)
    lines = [_line(reading, amounts, item, currency.value) for item in items or []]
    mapped = reading.assemble(fields, lines)
    marketplace = order.text("MarketplaceId")
    exclusive = (
        marketplace.value in TAX_EXCLUSIVE_MARKETPLACES
        if marketplace.value
        else country.value in TAX_EXCLUSIVE_COUNTRIES
    )
    amounts.attach(
        mapped,
        tax_included=not exclusive,
        total=order.child("OrderTotal").value("Amount"),
        marketplace_id=marketplace,
        cancelled=_cancelled(order, items or []),
    )
    reading.raise_if_errors()
    return mapped


def _locate(reading: Reading, root: Node) -> tuple[Node, Node]:
    """The Order object and the object holding its OrderItems, whichever accepted shape."""
    data = root.data
    if "order" in data or "items" in data:
        order = _response(reading, root, "order")
        items = _response(reading, root, "items")
        reading.raise_if_errors()
        ids = (order.data.get("AmazonOrderId"), items.data.get("AmazonOrderId"))
        if None not in ids and ids[0] != ids[1]:
            reading.abort(
                "items.AmazonOrderId",
                f"the items are of order {ids[1]!r}, the order is {ids[0]!r}",
            )
        return order, items
    if "payload" in data:  # a getOrder response whose payload carries the OrderItems
        root = _payload(reading, data)
        reading.raise_if_errors()
        data = root.data
    if "Order" in data:
        order = reading.unwrap(root, "Order")
        return order, (root if "OrderItems" in data else order)
    if "AmazonOrderId" in data or "OrderItems" in data:
        return root, root
    reading.abort(ROOT_LOC, f"not an Amazon SP-API order; expected {SHAPES}")


def _response(reading: Reading, root: Node, key: str) -> Node:
    """One SP-API response of the side-by-side shape."""
    raw = root.data.get(key)
    if not isinstance(raw, Mapping):
        got = "nothing" if raw is None else type_name(raw)
        call = "getOrder" if key == "order" else "getOrderItems"
        reading.abort(
            key, f"expected the {call} response (an object), got {got}; accepted: {SHAPES}"
        )
    return _payload(reading, raw, f"{key}.")


def _payload(reading: Reading, raw: Mapping[str, Any], prefix: str = "") -> Node:
    """A response with its payload wrapper (if any) removed; paths inside are relative to the
    payload, as Amazon documents the fields. Errors the response reports are named."""
    errors = raw.get("errors")
    if errors:
        reading.fail(f"{prefix}errors", f"Amazon SP-API error: {_error_text(errors)}")
    if "payload" not in raw:
        return Node(reading, raw, "")
    payload = raw["payload"]
    if not isinstance(payload, Mapping):
        reading.abort(f"{prefix}payload", f"expected an object, got {type_name(payload)}")
    return Node(reading, payload, "")


def _error_text(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(
            f"{e.get('code')}: {e.get('message')}" if isinstance(e, Mapping) else repr(e)
            for e in errors
        )
    return repr(errors)


def _cancelled(order: Node, items: list[Node]) -> dict[str, Any] | None:
    if order.data.get("OrderStatus") != "Canceled":
        return None
    # No cancellation time is reported (LastUpdateDate moves on every change); the buyer's
    # reason, when the buyer asked, is on the items.
    reasons = [item.child("BuyerRequestedCancel").text("BuyerCancelReason").value for item in items]
    return {"at": None, "reason": next((r for r in reasons if r), None)}


def _line(reading: Reading, amounts: Amounts, item: Node, currency: str | None) -> dict[str, Val]:
    quantity = reading.convert(item.value("QuantityOrdered"), to_quantity)
    price = item.child("ItemPrice", required=True)
    amount = reading.convert(price.value("Amount"), to_money)

    item_currency = reading.convert(price.text("CurrencyCode"), to_currency)
    if item_currency.value and currency and item_currency.value != currency:
        reading.fail(
            item_currency.loc or price.path,
            f"item is priced in {item_currency.value} but the order is in {currency}",
        )

    unit_price = Val(None, amount.loc, related=(item.loc("QuantityOrdered"),))
    if amount.value is not None and quantity.value is not None:
        # ItemPrice is the price of the whole line, not of one unit
        unit_price = Val(format_unit_price(amount.value, quantity.value, currency), amount.loc)

    prices = {key: _amount(item, key) for key in _ITEM_AMOUNTS}
    discount = amounts.add("items_discount", prices["PromotionDiscount"])
    item_tax = amounts.add("tax", prices["ItemTax"])
    promotion_tax = amounts.add("tax", prices["PromotionDiscountTax"], sign=-1)
    amounts.add("shipping", prices["ShippingPrice"])
    amounts.add("shipping_discount", prices["ShippingDiscount"])
    amounts.add("tax", prices["ShippingTax"])
    amounts.add("tax", prices["ShippingDiscountTax"], sign=-1)
    line_tax = None if item_tax is None else item_tax - (promotion_tax or 0)
    return {
        "sku": item.text("SellerSKU"),
        "quantity": quantity,
        "unit_price": unit_price,
        "discount": amounts.line_value(discount, prices["PromotionDiscount"].loc),
        "tax": amounts.line_value(line_tax, prices["ItemTax"].loc),
    }


_ITEM_AMOUNTS = (
    "PromotionDiscount",
    "ItemTax",
    "PromotionDiscountTax",
    "ShippingPrice",
    "ShippingDiscount",
    "ShippingTax",
    "ShippingDiscountTax",
)


def _amount(item: Node, key: str) -> Val:
    """A Money field's Amount (absent Money fields are common: no Node built for them)."""
    raw = item.data.get(key)
    if raw is None:
        return Val(None, None)
    if isinstance(raw, Mapping):
        return Val(raw.get("Amount"), f"{item.loc(key)}.Amount")
    return item.child(key).value("Amount")  # reports what is not an object
