"""Amazon Selling Partner API, Orders v0 (getOrder + getOrderItems).

Native paths are relative to the Order object; OrderItems are reported as
"OrderItems[i]..." whether they sit beside the Order or inside it.
"""

from __future__ import annotations

from typing import Any

from .base import (
    MappedOrder,
    Node,
    Reading,
    Val,
    cancellation,
    first,
    format_unit_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)


def map_order(payload: Any) -> MappedOrder:
    reading = Reading()
    root = reading.root(payload)
    if "Order" in root.data:
        order = reading.unwrap(root, "Order")
        holder = root if "OrderItems" in root.data else order
    else:
        order = holder = root

    items = holder.children("OrderItems")
    first_price = items[0].child("ItemPrice") if items else Node(reading, {}, "")
    currency = reading.convert(
        first(order.child("OrderTotal").text("CurrencyCode"), first_price.text("CurrencyCode")),
        to_currency,
    )

    buyer = order.child("BuyerInfo")
    address = order.child("ShippingAddress", required=True)
    line1, line2 = _street_lines(address)
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
        "ship_to.country": reading.convert(address.text("CountryCode"), to_country),
    }
    lines = [_line(reading, item, currency.value) for item in items or []]
    mapped = reading.assemble(fields, lines)
    if order.text("OrderStatus").value == "Canceled":  # the key only where it is cancelled
        when = first(order.text("LastUpdateDate"), order.text("PurchaseDate"))
        mapped.canonical["cancelled"] = cancellation(reading, when, Val("Canceled", None))
    reading.raise_if_errors()
    return mapped


def _street_lines(address: Node) -> tuple[Val, Val]:
    # All three AddressLine fields are optional in the API and some
    # marketplaces leave AddressLine1 empty, so take the first one present.
    present = [v for v in (address.text(f"AddressLine{n}") for n in (1, 2, 3)) if v.value]
    if not present:
        return address.text("AddressLine1"), address.text("AddressLine2")
    line1, *rest = present
    if not rest:
        return line1, Val(None, address.loc("AddressLine2"))
    return line1, Val(", ".join(v.value for v in rest), rest[0].loc)


def _line(reading: Reading, item: Node, currency: str | None) -> dict[str, Val]:
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
    return {"sku": item.text("SellerSKU"), "quantity": quantity, "unit_price": unit_price}
