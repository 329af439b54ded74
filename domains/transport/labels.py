"""What a label is issued and re-rendered from: plain data for the carrier connector, built
from the order, its shipment's parcels and the shipping warehouse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domains.orders.model import Order


def label_data(
    order: Order,
    shipment_no: int,
    warehouse: Any,
    service: str,
    label_format: str,
    created_at: datetime,
    ship_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`ship_to`: the recipient with its personal fields opened (the order records them
    sealed, domains/privacy/sealing.py); the order's own ship-to when not given."""
    entry = order.fulfilment[str(shipment_no)]
    ship_to = ship_to if ship_to is not None else order.canonical["ship_to"]
    return {
        "service": service,
        "shipment_id": f"{order.id}-S{shipment_no}",
        "sender": {
            "name": warehouse.name,
            "line1": warehouse.address,
            "city": warehouse.city,
            "country": warehouse.country,
            "postcode": "",
        },
        "recipient": {
            "name": ship_to.get("name") or "",
            "line1": ship_to.get("line1") or "",
            "line2": ship_to.get("line2") or "",
            "city": ship_to.get("city") or "",
            "region": ship_to.get("region") or "",
            "postcode": ship_to.get("postcode") or "",
            "country": ship_to["country"],
        },
        "parcels": [
            {"weight_g": p["weight_g"], "dims_mm": p["dimensions_mm"]} for p in entry["parcels"]
        ],
        "reference": order.external_id,
        "label_format": label_format,
        "created_at": created_at.isoformat(),
    }
