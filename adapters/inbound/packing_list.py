"""A forwarder's packing list (CSV or XLSX) read into packing-list rows for an inbound
shipment: one row per carton and SKU (carton no, SKU, quantity, lot, expiry, weights, volume,
unit value), the usual column-name variants mapped ("Ctn No", "Item Code", "Qty (pcs)",
"Batch", "Best before", "N.W. (kg)", "CBM"...). Each row says where it came from ("row 3",
the file's line) and which file column each field was read from, so a 422 names both.

An XLSX file is checked for what it would cost to inflate before it is opened
(adapters/uploads.py); the body itself is bounded by api/limits.py. Values are read as text:
the domain (domains/inbound/receiving.py) checks them.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from adapters.uploads import MAX_COLUMNS, check_zip, is_zip
from domains.common import ValidationFailed

MAX_ROWS = 20_000
COLUMNS: dict[str, tuple[str, ...]] = {
    "carton_no": ("carton no", "carton", "carton number", "ctn", "ctn no", "box", "box no",
                  "case no", "package no", "package", "cartons no"),
    "sku": ("sku", "item", "item code", "item no", "article", "article no", "product code",
            "part no", "material"),
    "quantity": ("quantity", "qty", "pcs", "units", "qty pcs", "quantity pcs", "qty units"),
    "lot": ("lot", "lot no", "lot number", "batch", "batch no", "batch number"),
    "expiry": ("expiry", "expiry date", "exp", "exp date", "expiration date", "best before",
               "bbd", "use by"),
    "unit_value": ("unit value", "unit price", "price", "value per unit"),
    "weight_kg": ("net weight", "nw", "n w", "net wt", "weight", "net weight kg", "nw kg"),
    "gross_weight_kg": ("gross weight", "gw", "g w", "gross wt", "gross weight kg", "gw kg"),
    "volume_m3": ("volume", "cbm", "m3", "volume m3", "volume cbm"),
    "currency": ("currency", "cur", "ccy"),
}  # fmt: skip
REQUIRED = ("carton_no", "sku", "quantity")


def normalise_header(name: str) -> str:
    """'N.W. (kg)' -> 'n w', 'Qty (pcs)' -> 'qty pcs', 'Carton_No.' -> 'carton no'."""
    words = re.sub(r"[^a-z0-9]+", " ", name.lower()).split()
    if words and words[-1] == "kg" and len(words) > 1:
        words = words[:-1]
    return " ".join(words)


_LOOKUP = {variant: field for field, names in COLUMNS.items() for variant in names}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(data: bytes, filename: str) -> list[list[str]]:
    if is_zip(data) or filename.lower().endswith(".xlsx"):
        check_zip(data)  # refuses a zip bomb before openpyxl inflates anything
        import openpyxl  # noqa: PLC0415  (only XLSX uploads pay for the import)

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ValidationFailed(
                [{"loc": "file", "msg": f"not a readable XLSX: {exc}"}]
            ) from None
        try:
            if not wb.worksheets:
                raise ValidationFailed([{"loc": "file", "msg": "the workbook has no sheet"}])
            rows = []
            for row in wb.worksheets[0].iter_rows(values_only=True):
                rows.append([_cell(v) for v in row])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            wb.close()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=first.count)
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
        rows.append([c.strip() for c in row])
        if len(rows) > MAX_ROWS + 1:
            break
    return rows


def read_packing_list(data: bytes, filename: str = "packing-list.csv") -> list[dict[str, Any]]:
    """Packing-list rows ({"where", "columns", carton_no, sku, quantity, ...}) or
    ValidationFailed naming what is wrong with the file or its header (rows are checked by
    the domain, every bad row and column named)."""
    if not data.strip():
        raise ValidationFailed([{"loc": "file", "msg": "the file is empty"}])
    table = _table(data, filename)
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ValidationFailed([{"loc": "file", "msg": "no header row"}])
    header = table[0]
    if len(header) > MAX_COLUMNS:
        raise ValidationFailed([{"loc": "row 1", "msg": f"more than {MAX_COLUMNS} columns"}])
    where: dict[str, int] = {}
    errors = []
    for i, name in enumerate(header):
        field = _LOOKUP.get(normalise_header(name))
        if field is None:
            continue
        if field in where:
            msg = f"{name!r} and {header[where[field]]!r} both read as {field}"
            errors.append({"loc": f"row 1.{name}", "msg": msg})
        where[field] = i
    for field in REQUIRED:
        if field not in where:
            wanted = " or ".join(repr(n) for n in COLUMNS[field][:4])
            errors.append({"loc": f"row 1.{field}", "msg": f"missing column: {wanted}"})
    if len(table) - 1 > MAX_ROWS:
        errors.append({"loc": "file", "msg": f"more than {MAX_ROWS:,} rows"})
    if errors:
        raise ValidationFailed(errors)
    columns = {field: header[i] for field, i in where.items()}
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        row: dict[str, Any] = {"where": f"row {number}", "columns": columns}
        for field, i in where.items():
            row[field] = cells[i] if i < len(cells) else ""
        rows.append(row)
    return rows
