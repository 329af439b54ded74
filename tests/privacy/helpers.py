"""Shared by the privacy tests: a person with recognisable personal data, an order for them
shipped from Frankfurt to Great Britain (a customs declaration is drafted), and a scan of a
whole SQLite database for any trace of them."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

ZOFIA = {
    "name": "Zofia Kowalczyk-Brennan",
    "email": "Zofia.K.Brennan@Example.org",
    "phone": "+44 7700 900461",
    "line1": "Flat 9, 41 Wisteria Gardens",
    "line2": "Quenby Court",
}
HUGO = {
    "name": "Hugo Marchetti-Lund",
    "email": "hugo.ml@example.net",
    "phone": "+44 7700 900777",
    "line1": "2 Orchard Lane",
    "line2": None,
}


def order_body(person: dict[str, Any], ext: str, sku: str, qty: int, price: str) -> dict:
    return {
        "external_id": ext,
        "placed_at": "2026-11-20T08:00:00Z",
        "currency": "EUR",
        "customer": {"name": person["name"], "email": person["email"], "phone": person["phone"]},
        "ship_to": {
            "name": person["name"],
            "line1": person["line1"],
            "line2": person["line2"],
            "city": "London",
            "postcode": "SW1A 1AA",
            "country": "GB",
            "phone": person["phone"],
        },
        "lines": [{"sku": sku, "quantity": qty, "unit_price": price}],
    }


def ship_to_gb(c: Any, person: dict[str, Any], ext: str) -> tuple[str, str, str]:
    """An order for `person` received, picked and packed at FRA: (order id, shipment id,
    declaration id)."""
    from tests.journey import pack, place, scan_all, stock, wave  # it builds on this module

    stock(c, ext)
    order = place(c, person, ext)
    assert order["status"] == "allocated", order
    sid = f"{order['id']}-S1"
    scan_all(c, wave(c), ext)
    return order["id"], sid, pack(c, sid)["declaration_id"]


def needles(person: dict[str, Any]) -> dict[str, bytes]:
    """Every form the person's data could be stored in: as given, lower-cased, JSON-escaped,
    UTF-16 (as SQLite may store text), and base64 at each of the three byte alignments."""
    out: dict[str, bytes] = {}
    digits = "".join(ch for ch in person["phone"] if ch.isdigit())
    values = {
        "name": person["name"],
        "surname": person["name"].split()[-1],
        "email": person["email"],
        "email_lower": person["email"].lower(),
        "phone": person["phone"],
        "phone_digits": digits,
        "line1": person["line1"],
    }
    for label, value in values.items():
        out[label] = value.encode()
        out[f"{label}_json"] = json.dumps(value)[1:-1].encode()
        out[f"{label}_utf16"] = value.encode("utf-16-le")
        for shift in range(3):
            encoded = base64.b64encode(b"\0" * shift + value.encode())
            # Drop the characters that mix in the neighbouring bytes.
            core = encoded[4 if shift else 0 : -4]
            if len(core) >= 8:
                out[f"{label}_b64_{shift}"] = core
    return out


def find_in(blob: bytes, person: dict[str, Any]) -> list[str]:
    low = blob.lower()
    return [
        label
        for label, needle in needles(person).items()
        if needle in blob or (not label.endswith(tuple("012")) and needle.lower() in low)
    ]


def scan_sqlite(path: str | Path, person: dict[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """Every table's every value, and the database files' raw bytes (WAL included), searched
    for the person: ({where: [which forms were found]}, the tables scanned)."""
    found: dict[str, list[str]] = {}
    conn = sqlite3.connect(str(path))
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from schema
                for value in row:
                    if value is None or isinstance(value, int | float):
                        continue
                    blob = value if isinstance(value, bytes) else str(value).encode()
                    hits = find_in(blob, person)
                    if hits:
                        found.setdefault(table, []).extend(hits)
    finally:
        conn.close()
    for suffix in ("", "-wal"):
        file = Path(str(path) + suffix)
        if file.exists():
            hits = find_in(file.read_bytes(), person)
            if hits:
                found[file.name] = hits
    return found, tables
