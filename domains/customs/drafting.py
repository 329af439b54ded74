"""What a parcel's customs declaration says, before duties: its lines (from what was picked,
at the order's prices), the seller's registrations and Incoterm per channel, the exporter (the
warehouse) and the importer (the buyer). Pure: the use case (domains/customs/application.py)
adds duties, flags and the rule versions and records it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domains.orders.model import Order
from domains.reference.model import Product, Warehouse

# Per channel: Incoterm, whether a declaration without flags is approved automatically, and
# the seller's registrations (sample numbers with valid check digits).
CUSTOMS_SETTINGS: dict[str, dict[str, Any]] = {
    "amazon": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS"},
    "shopee": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": None},
    "shopify": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS"},
    "web": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS"},
    "dealer": {"incoterm": "DAP", "auto_approve": False, "vat_scheme": None},
}
SELLER_REGISTRATIONS = {
    "ioss_number": "IM2760000001",
    "seller_vat_number": "GB980780684",
    "seller_gst_registration": None,
}


def declaration_lines(
    order: Order, shipment_no: int, products: dict[str, Product]
) -> list[dict[str, Any]]:
    """One line per SKU picked for the shipment (in SKU order), valued at the order's price."""
    prices = {ln["sku"]: ln["unit_price"] for ln in order.canonical["lines"]}
    lines = []
    for n, (sku, qty) in enumerate(sorted(order.picked_quantities(shipment_no).items()), 1):
        p = products[sku]
        lines.append(
            {
                "line_no": n,
                "sku": sku,
                "description": p.name,
                "hs_code": p.hs_code,
                "national_code": None,
                "origin_country": p.origin_country,
                "quantity": qty,
                "unit": "pcs",
                "unit_value": prices[sku],
                "currency": order.canonical["currency"],
                "total_value": str((Decimal(prices[sku]) * qty).quantize(Decimal("0.01"))),
                "net_weight_g": p.unit_weight_g * qty,
            }
        )
    return lines


def declaration_data(
    order: Order, lines: list[dict[str, Any]], gross_weight_g: int, origin: str, on: date
) -> dict[str, Any]:
    """The facts duties and flags are computed from (also what an amendment recomputes)."""
    settings = CUSTOMS_SETTINGS.get(order.channel, CUSTOMS_SETTINGS["web"])
    return {
        "destination": order.canonical["ship_to"]["country"],
        "on": on.isoformat(),
        "currency": order.canonical["currency"],
        "b2c": order.channel != "dealer",
        "ship_from": origin,
        "vat_scheme": settings["vat_scheme"],
        **({k: v for k, v in SELLER_REGISTRATIONS.items() if v}),
        "importer_eori": None,
        "lines": lines,
        "gross_weight_g": gross_weight_g,
    }


def parties(warehouse: Warehouse, order: Order) -> dict[str, Any]:
    """Exporter (the shipping warehouse) and importer (the buyer, with contact details)."""
    return {
        "exporter": {
            "name": warehouse.name,
            "line1": warehouse.address,
            "city": warehouse.city,
            "postcode": "",
            "country": warehouse.country,
        },
        "importer": dict(
            order.canonical["ship_to"],
            email=order.canonical["customer"].get("email"),
            phone=order.canonical["customer"].get("phone"),
        ),
    }


AMENDABLE = ("description", "hs_code", "unit_value", "quantity", "origin_country")


def _amendment_errors(i: int, change: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    for key in change:
        if key != "line_no" and key not in AMENDABLE:
            errors.append(
                {"loc": f"changes[{i}].{key}", "msg": f"not amendable; one of {sorted(AMENDABLE)}"}
            )
    q = change.get("quantity", 1)
    if not isinstance(q, int) or isinstance(q, bool) or q <= 0:
        errors.append({"loc": f"changes[{i}].quantity", "msg": f"a positive integer, not {q!r}"})
    try:
        if "unit_value" in change and Decimal(str(change["unit_value"])) < 0:
            raise ArithmeticError
    except ArithmeticError:
        errors.append(
            {"loc": f"changes[{i}].unit_value", "msg": f"not an amount: {change['unit_value']!r}"}
        )
    return errors


def amended_document(
    document: dict[str, Any], changes: list[dict[str, Any]], products: dict[str, Product]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The declaration's document with the line changes applied: each changed line's total
    value and net weight (the catalogue's unit weight times the new quantity) recomputed, and
    the gross weight as the sum of the lines. Answers the errors instead when a change names a
    missing line, a field that cannot be amended, or a value that is not a quantity or amount."""
    out = {**document, "lines": [dict(ln) for ln in document["lines"]]}
    errors: list[dict[str, str]] = []
    for i, change in enumerate(changes):
        n = change.get("line_no")
        line = next((ln for ln in out["lines"] if ln["line_no"] == n), None)
        if line is None:
            errors.append({"loc": f"changes[{i}].line_no", "msg": f"no line {n}"})
            continue
        problems = _amendment_errors(i, change)
        errors += problems
        if problems:
            continue
        line.update({k: v for k, v in change.items() if k != "line_no"})
        line["total_value"] = str(
            (Decimal(line["unit_value"]) * line["quantity"]).quantize(Decimal("0.01"))
        )
        product = products.get(line["sku"])
        if product is not None and "quantity" in change:
            line["net_weight_g"] = product.unit_weight_g * line["quantity"]
    out["gross_weight_g"] = sum(ln["net_weight_g"] for ln in out["lines"])
    return out, errors
