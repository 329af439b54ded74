"""What a declaration's document is made of: the channel's customs settings, the data duties
are assessed on, its lines (the goods as picked, valued at the order's prices), its parties
(the shipping warehouse exports, the customer imports), and a reviewer's line changes applied.
Pure: the order, reference data and changes in, plain data out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from domains.orders.model import Order
from domains.privacy.records import importer_of

# Per channel: Incoterm, whether a declaration without flags is approved automatically, the
# low-value VAT scheme it uses, and the marketplace that is the deemed supplier for VAT where
# the law makes it one (EU IOSS sales up to EUR 150, UK sales up to GBP 135: Amazon charges and
# remits that VAT itself; recorded on the declaration as `deemed_supplier`).
CUSTOMS_SETTINGS: dict[str, dict[str, Any]] = {
    "amazon": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS",
               "marketplace": "Amazon"},
    "shopee": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": None, "marketplace": None},
    "shopify": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS",
                "marketplace": None},
    "tiktok": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS",
               "marketplace": "TikTok Shop"},
    "web": {"incoterm": "DDP", "auto_approve": True, "vat_scheme": "IOSS", "marketplace": None},
    "dealer": {"incoterm": "DAP", "auto_approve": False, "vat_scheme": None, "marketplace": None},
}  # fmt: skip
# The seller's intra-EU B2C distance sales over the last and current year are taken to be above
# the EUR 10,000 EU-wide threshold: they are taxed at the destination's rate under the OSS.
# False: the origin member state's rate (domains/customs/borders.py).
SELLER_OVER_EU_DISTANCE_THRESHOLD = True
SELLER_REGISTRATIONS = {
    "ioss_number": "IM2760000001",
    "seller_vat_number": "GB980780684",
    "seller_gst_registration": None,
}


def declaration_data(
    order: Order, lines: list[dict[str, Any]], gross_weight_g: int, origin: str, on: date
) -> dict[str, Any]:
    """What duties and flags are assessed on: destination, day, currency, B2C or not, where
    from, the channel's VAT scheme, the seller's registrations, the lines and their weight."""
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


def declared_lines(
    order: Order, shipment_no: int, product: Callable[[str], Any]
) -> list[dict[str, Any]]:
    """One line per SKU picked for the shipment, by SKU, numbered from 1."""
    prices = {ln["sku"]: ln["unit_price"] for ln in order.canonical["lines"]}
    lines = []
    for n, (sku, qty) in enumerate(sorted(order.picked_quantities(shipment_no).items()), 1):
        p = product(sku)
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


def parties(order: Order, warehouse: Any) -> dict[str, Any]:
    """The exporter (the shipping warehouse), the importer (the customer at the ship-to
    address) and the order's reference."""
    return {
        "exporter": {
            "name": warehouse.name,
            "line1": warehouse.address,
            "city": warehouse.city,
            "postcode": "",
            "country": warehouse.country,
        },
        "importer": importer_of(order.canonical),
        "external_id": order.external_id,
    }


AMENDABLE = ("description", "hs_code", "unit_value", "quantity", "origin_country")
# Recorded with a change, never applied to the line: the HS suggestions the reviewer saw for a
# flagged line and whether the code chosen was one of them (domains/customs/hs_suggest.py).
RECORDED_ONLY = ("hs_advice",)


def _amendment_errors(i: int, change: dict[str, Any]) -> list[dict[str, str]]:
    """What is wrong with one change: fields that cannot be amended, a quantity that is not a
    positive integer, a unit value that is not an amount."""
    errors = []
    for key in change:
        if key != "line_no" and key not in AMENDABLE + RECORDED_ONLY:
            msg = f"not amendable; one of {sorted(AMENDABLE)}"
            errors.append({"loc": f"changes[{i}].{key}", "msg": msg})
    q = change.get("quantity", 1)
    if not isinstance(q, int) or isinstance(q, bool) or q <= 0:
        errors.append({"loc": f"changes[{i}].quantity", "msg": f"a positive integer, not {q!r}"})
    try:
        if "unit_value" in change and Decimal(str(change["unit_value"])) < 0:
            raise ArithmeticError
    except ArithmeticError:
        msg = f"not an amount: {change['unit_value']!r}"
        errors.append({"loc": f"changes[{i}].unit_value", "msg": msg})
    return errors


def amended(
    document: dict[str, Any], changes: list[dict[str, Any]], unit_weight_g: dict[str, int]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A copy of the document with each change applied to its line (by `line_no`): the line's
    total value recomputed, and for a new quantity its net weight (`unit_weight_g` of its SKU,
    from the catalogue); the gross weight is the lines' sum. Also answers what could not be
    applied (no such line, a field that is not amendable, a value that is no number), each at
    its place in `changes`."""
    document = {**document, "lines": [dict(ln) for ln in document["lines"]]}
    errors: list[dict[str, str]] = []
    for i, change in enumerate(changes):
        n = change.get("line_no")
        line = next((ln for ln in document["lines"] if ln["line_no"] == n), None)
        if line is None:
            errors.append({"loc": f"changes[{i}].line_no", "msg": f"no line {n}"})
            continue
        problems = _amendment_errors(i, change)
        errors += problems
        if problems:
            continue
        line.update({k: v for k, v in change.items() if k not in ("line_no", *RECORDED_ONLY)})
        line["total_value"] = str(
            (Decimal(line["unit_value"]) * line["quantity"]).quantize(Decimal("0.01"))
        )
        if "quantity" in change and line["sku"] in unit_weight_g:
            line["net_weight_g"] = unit_weight_g[line["sku"]] * line["quantity"]
    document["gross_weight_g"] = sum(ln["net_weight_g"] for ln in document["lines"])
    return document, errors
