"""Each channel's outbound message, in the shape its fulfilment API takes, keyed by channel.

A channel connector receiving our webhook (or reading `channel.out`) forwards `payload` to the
named `operation` as it is:
- amazon:  SP-API Orders v0 confirmShipment (POST /orders/v0/orders/{orderId}/shipmentConfirmation)
- shopify: Admin REST fulfillment create (POST /admin/api/<version>/fulfillments.json)
- shopee:  Open Platform v2 logistics ship_order (POST /api/v2/logistics/ship_order)
- tiktok:  Partner API fulfillment ship package (POST /fulfillment/202309/packages/{id}/ship)
- web, dealer: our own generic JSON.
Our canonical lines carry SKUs; the marketplaces want their own line ids, which are read from
the order's raw payload (as stored at intake) where it has them. Tracking updates after the
confirmation (out for delivery, delivered, failed delivery) are generic JSON for every channel:
marketplaces learn them from the carrier, connectors that want them forward them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from adapters.transport.carriers.sandbox import TRACKING_URL

# Our carrier codes as the marketplaces name them; others go as "Other" with a name.
CARRIER_NAMES = {
    "dhl_express": "DHL",
    "dhl_parcel_de": "DHL",
    "ups": "UPS",
    "fedex": "FedEx",
    "royal_mail": "Royal Mail",
    "sf_express": "SF Express",
    "jnt_express": "J&T Express",
    "postal": "Postal",
}
AMAZON_CARRIER_CODES = {"DHL", "UPS", "FedEx", "Royal Mail", "SF Express"}
OPERATIONS = {
    "amazon": "confirmShipment",
    "shopify": "fulfillment.create",
    "shopee": "v2.logistics.ship_order",
    "tiktok": "fulfillment.ship_package",
}


def walk(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a raw payload, depth first (payload shapes differ by API version)."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def first(raw: Any, key: str) -> Any:
    return next((d[key] for d in walk(raw) if d.get(key) not in (None, "")), None)


def line_ids(raw: Any, sku_key: str, id_key: str) -> dict[str, Any]:
    """SKU -> the channel's line id, from the raw payload's line items."""
    return {
        str(d[sku_key]): d[id_key]
        for d in walk(raw)
        if d.get(sku_key) is not None and d.get(id_key) is not None
    }


def tracking_url(data: dict[str, Any]) -> str:
    return TRACKING_URL.format(carrier=data["carrier"], waybill=data["tracking_number"])


def carrier_name(code: str | None) -> str:
    return CARRIER_NAMES.get(code or "", code or "")


def amazon(data: dict[str, Any], raw: Any) -> dict[str, Any]:
    ids = line_ids(raw, "SellerSKU", "OrderItemId")
    name = carrier_name(data["carrier"])
    return {
        "marketplaceId": first(raw, "MarketplaceId"),
        "packageDetail": {
            "packageReferenceId": str(data["shipment_no"]),
            "carrierCode": name if name in AMAZON_CARRIER_CODES else "Other",
            "carrierName": name,
            "shippingMethod": data["service"],
            "trackingNumber": data["tracking_number"],
            "shipDate": data["ship_date"],
            "orderItems": [
                {"orderItemId": str(ids.get(ln["sku"], ln["sku"])), "quantity": ln["quantity"]}
                for ln in data["lines"]
            ],
        },
    }


def shopify(data: dict[str, Any], raw: Any) -> dict[str, Any]:
    ids = line_ids(raw, "sku", "id")
    return {
        "fulfillment": {
            "line_items_by_fulfillment_order": [
                {
                    # The connector fills it from GET /orders/{id}/fulfillment_orders when the
                    # order we stored predates fulfillment orders (it usually does).
                    "fulfillment_order_id": first(raw, "fulfillment_order_id"),
                    "fulfillment_order_line_items": [
                        {"id": ids.get(ln["sku"], ln["sku"]), "quantity": ln["quantity"]}
                        for ln in data["lines"]
                    ],
                }
            ],
            "tracking_info": {
                "company": carrier_name(data["carrier"]),
                "number": data["tracking_number"],
                "url": tracking_url(data),
            },
            "notify_customer": False,  # we e-mail the buyer ourselves, in their language
        },
        "order_id": first(raw, "id") if isinstance(raw, dict) else None,
    }


def shopee(data: dict[str, Any], raw: Any) -> dict[str, Any]:
    return {
        "order_sn": data["external_id"],
        "package_number": first(raw, "package_number"),
        "non_integrated": {"tracking_number": data["tracking_number"]},
    }


def tiktok(data: dict[str, Any], raw: Any) -> dict[str, Any]:
    ids = line_ids(raw, "seller_sku", "id")
    return {
        "order_id": data["external_id"],
        "package_id": first(raw, "package_id"),
        "handover_method": "DROP_OFF",
        "self_shipment": {
            "tracking_number": data["tracking_number"],
            "shipping_provider_id": data["carrier"],  # the connector maps ours to TikTok's id
        },
        "order_line_item_ids": [ids[ln["sku"]] for ln in data["lines"] if ln["sku"] in ids],
    }


def generic(data: dict[str, Any], raw: Any = None) -> dict[str, Any]:
    keys = ("order_id", "external_id", "shipment_no", "carrier", "service", "tracking_number")
    out = {k: data.get(k) for k in keys}
    out["tracking_url"] = tracking_url(data) if data.get("tracking_number") else None
    for k in ("ship_date", "lines", "eta", "status", "occurred_at"):
        if k in data:
            out[k] = data[k]
    return out


CONFIRMATIONS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "amazon": amazon,
    "shopify": shopify,
    "shopee": shopee,
    "tiktok": tiktok,
    "web": generic,
    "dealer": generic,
}


def outbound(channel: str, kind: str, data: dict[str, Any], raw: Any) -> dict[str, Any]:
    """The message body: what happened, and the request to make of the channel's API."""
    native = kind == "shipment_confirmed" and channel in OPERATIONS
    shape = CONFIRMATIONS.get(channel, generic) if kind == "shipment_confirmed" else generic
    return {
        "type": kind,
        "channel": channel,
        "order_id": data["order_id"],
        "external_id": data["external_id"],
        "shipment_no": data["shipment_no"],
        "operation": OPERATIONS[channel] if native else f"crossdock.{kind}",
        "payload": shape(data, raw),
    }
