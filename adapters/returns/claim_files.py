"""Carriers' claim files: one CSV per carrier, in the columns its claims desk asks for.

A claim's fields come from outside (descriptions, photo URLs): every cell that a spreadsheet
would read as a formula (= + - @, tab, carriage return) is prefixed with a quote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def _lines(c: Row) -> str:
    return "; ".join(f"{x['units']} x {x['sku']}" for x in c["evidence"]["declared_value"]["lines"])


def _photos(c: Row) -> str:
    return " ".join(c["evidence"]["photos"])


def _last_scan(c: Row) -> str:
    tracking = c["evidence"]["tracking"]
    return tracking[-1]["occurred_at"] if tracking else ""


# carrier -> [(column, value of a claim)]; carriers not listed use DEFAULT.
COMMON: list[tuple[str, Callable[[Row], Any]]] = [
    ("claim_reference", lambda c: c["id"]),
    ("waybill", lambda c: c["shipment"]["waybill"]),
    ("service", lambda c: c["shipment"]["service"]),
    ("claim_type", lambda c: c["kind"]),
    ("ship_date", lambda c: c["shipment"]["dispatched_at"][:10]),
    ("destination_country", lambda c: c["shipment"]["destination"]),
    ("declared_value", lambda c: c["evidence"]["declared_value"]["amount"]),
    ("currency", lambda c: c["currency"]),
    ("amount_claimed", lambda c: c["amount"]),
    ("contents", _lines),
    ("last_scan", _last_scan),
    ("photos", _photos),
]
LAYOUTS: dict[str, list[tuple[str, Callable[[Row], Any]]]] = {
    "ups": [
        ("Tracking Number", lambda c: c["shipment"]["waybill"]),
        ("Claim Type", lambda c: {"lost": "Loss", "damaged": "Damage"}[c["kind"]]),
        ("Ship Date", lambda c: c["shipment"]["dispatched_at"][:10]),
        ("Merchandise Value", lambda c: c["evidence"]["declared_value"]["amount"]),
        ("Currency", lambda c: c["currency"]),
        ("Merchandise Description", _lines),
        ("Shipper Reference", lambda c: c["id"]),
        ("Supporting Documents", _photos),
    ],
    "dhl_express": [
        ("AWB Number", lambda c: c["shipment"]["waybill"]),
        ("Claim Reason", lambda c: {"lost": "LOSS", "damaged": "DAMAGE"}[c["kind"]]),
        ("Shipment Date", lambda c: c["shipment"]["dispatched_at"][:10]),
        ("Value Claimed", lambda c: c["amount"]),
        ("Currency Code", lambda c: c["currency"]),
        ("Contents", _lines),
        ("Customer Reference", lambda c: c["id"]),
        ("Last Checkpoint", _last_scan),
        ("Evidence Links", _photos),
    ],
    "fedex": [
        ("Tracking ID", lambda c: c["shipment"]["waybill"]),
        ("Claim Type", lambda c: c["kind"].upper()),
        ("Ship Date", lambda c: c["shipment"]["dispatched_at"][:10]),
        ("Claim Amount", lambda c: c["amount"]),
        ("Currency", lambda c: c["currency"]),
        ("Description", _lines),
        ("Reference", lambda c: c["id"]),
        ("Photo URLs", _photos),
    ],
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS) else text


def claim_file(carrier: str, claims: list[Row]) -> tuple[str, bytes]:
    """The carrier's claim file for `claims` (as ClaimUseCases answers them): its name and
    CSV bytes (UTF-8, header row first)."""
    layout = LAYOUTS.get(carrier, COMMON)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in layout])
    for c in claims:
        writer.writerow([_cell(value(c)) for _, value in layout])
    first = min(c["id"] for c in claims) if claims else "empty"
    return f"claims-{carrier}-{len(claims)}-{first[:8]}.csv", out.getvalue().encode()
