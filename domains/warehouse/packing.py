"""Packing checks: parcels must hold exactly what was picked, and a parcel more than 10% off
its expected weight is flagged (recorded, not refused: the scale may be right)."""

from __future__ import annotations

from typing import Any

from domains.reference.model import Product

WEIGHT_TOLERANCE = 0.10


def packing_errors(parcels: list[dict[str, Any]], picked: dict[str, int]) -> list[dict[str, str]]:
    """Items that were not picked for this shipment, and SKUs packed in another quantity than
    picked, each named by its place in the request."""
    packed: dict[str, int] = {}
    errors = []
    for i, parcel in enumerate(parcels):
        for j, item in enumerate(parcel["items"]):
            if item["sku"] not in picked:
                errors.append(
                    {
                        "loc": f"parcels[{i}].items[{j}].sku",
                        "msg": f"{item['sku']} is not in this shipment",
                    }
                )
            packed[item["sku"]] = packed.get(item["sku"], 0) + item["quantity"]
    for sku, qty in picked.items():
        if packed.get(sku, 0) != qty:
            errors.append(
                {"loc": "parcels", "msg": f"{sku}: picked {qty}, packed {packed.get(sku, 0)}"}
            )
    return errors


def weigh_parcels(
    parcels: list[dict[str, Any]], products: dict[str, Product]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The parcels as recorded (numbered, with their expected weight from the catalogue) and
    a weight-mismatch flag for each parcel beyond the tolerance."""
    recorded, flags = [], []
    for i, parcel in enumerate(parcels):
        expected = sum(products[it["sku"]].unit_weight_g * it["quantity"] for it in parcel["items"])
        off = (parcel["weight_g"] - expected) / expected if expected else 0.0
        recorded.append(dict(parcel, parcel_no=i + 1, expected_weight_g=expected))
        if abs(off) > WEIGHT_TOLERANCE:
            flags.append(
                {
                    "parcel_no": i + 1,
                    "code": "weight_mismatch",
                    "expected_g": expected,
                    "actual_g": parcel["weight_g"],
                    "difference_pct": round(off * 100, 1),
                    "reason": f"parcel {i + 1} weighs {parcel['weight_g']} g, "
                    f"expected {expected} g ({off:+.0%})",
                }
            )
    return recorded, flags
