"""Checking a handheld scan against the pick list's next line: the bin, the item (SKU or its
barcode), the lot and the quantity. A mismatch is refused with every wrong field and what the
list expects, so the picker sees where to go; nothing is recorded."""

from __future__ import annotations

from typing import Any

from domains.common import DomainError, InvalidTransition
from domains.reference.model import Product
from domains.warehouse.layout import Layout, parse_bin
from domains.warehouse.picking import PickList


class ScanRejected(DomainError):
    """A scan that does not match what the list expects (422, nothing recorded)."""

    def __init__(self, errors: list[dict[str, Any]], expected: dict[str, Any] | None) -> None:
        super().__init__("; ".join(e["msg"] for e in errors))
        self.errors = errors
        self.expected = expected


def match_scan(
    p: PickList,
    layout: Layout,
    product: Product | None,
    bin_code: str,
    sku: str,
    lot: str,
    quantity: int,
    allow_zero: bool = False,
) -> dict[str, Any]:
    """The list's next line when the scan matches it; `product` is the line's product (for
    its barcode). `allow_zero` admits a count of nothing found (a short pick)."""
    expected = p.next_line()
    if expected is None:
        raise InvalidTransition("every line of this pick list is done")
    remaining = p.remaining(expected)
    want = {
        "line_no": expected["line_no"],
        "bin": expected["bin"],
        "sku": expected["sku"],
        "lot": expected["lot"],
        "quantity": remaining,
    }
    errors = []
    try:
        code = parse_bin(layout, bin_code).code
    except DomainError as exc:
        code = None
        errors.append({"loc": "bin", "msg": str(exc)})
    if code is not None and code != expected["bin"]:
        errors.append({"loc": "bin", "msg": f"wrong bin {code}: go to {expected['bin']}"})
    if sku != expected["sku"] and not (product and product.barcode and sku == product.barcode):
        errors.append({"loc": "sku", "msg": f"wrong item {sku}: expected {expected['sku']}"})
    if lot != expected["lot"]:
        errors.append({"loc": "lot", "msg": f"wrong lot {lot}: expected {expected['lot']}"})
    low = 0 if allow_zero else 1
    if not low <= quantity <= remaining:
        errors.append(
            {"loc": "quantity", "msg": f"quantity {quantity}: between {low} and {remaining}"}
        )
    if errors:
        raise ScanRejected(errors, want)
    return expected


def picked_for(p: PickList, order_id: str, shipment_no: int) -> list[dict[str, Any]]:
    """What the list picked for one shipment: SKU, lot, bin and units, per line."""
    return [
        {"sku": ln["sku"], "lot": ln["lot"], "bin": ln["bin"], "quantity": ln["picked"]}
        for ln in p.lines
        if ln["order_id"] == order_id and ln["shipment_no"] == shipment_no and ln["picked"]
    ]
