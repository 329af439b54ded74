"""Dealer order upload: a CSV with one row per order line.

Rows are grouped into orders by (dealer_id, order_number). Error locations
read "line N: column", N being the 1-based line in the file (header = 1), so a
dealer can find the cell in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re

from .base import (
    FieldError,
    Invalid,
    MappedOrder,
    Node,
    PayloadError,
    Reading,
    Val,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)

COLUMNS = (
    "dealer_id",
    "order_number",
    "placed_at",
    "currency",
    "customer_name",
    "customer_email",
    "customer_phone",
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_region",
    "ship_postcode",
    "ship_country",
    "sku",
    "quantity",
    "unit_price",
)
_ORDER_COLUMNS = COLUMNS[2:-3]  # must repeat identically on every row of an order
_UPPER_COLUMNS = {"currency", "ship_country"}
MAX_ROWS = 10_000
HEADER_LOC = "line 1: header"


class _Row(Node):
    def __init__(self, reading: Reading, line: int, data: dict[str, str]) -> None:
        super().__init__(reading, data, f"line {line}")
        self.line = line

    def loc(self, key: str) -> str:
        return f"line {self.line}: {key}"


def parse_dealer_csv(data: bytes | str) -> list[MappedOrder]:
    text = _decode(data)
    reading = Reading()
    delimiter = _delimiter(text)
    orders: dict[tuple[str, str], list[_Row]] = {}
    for row in _rows(reading, text, delimiter):
        dealer, number = row.text("dealer_id"), row.text("order_number")
        for key in (dealer, number):
            if key.value is None:
                reading.fail(key.loc or row.path, "missing required field")
        if dealer.value is not None and number.value is not None:
            orders.setdefault((dealer.value, number.value), []).append(row)
    mapped = [_order(reading, rows, delimiter == ";") for rows in orders.values()]
    reading.raise_if_errors()
    return mapped


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"expected bytes or str, got {type(data).__name__}")
    raw = bytes(data)
    # utf-8-sig drops a BOM if there is one. Spreadsheet exports that are not
    # UTF-8 are almost always Windows-1252; Latin-1 decodes anything at all.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _delimiter(text: str) -> str:
    # The header names contain neither character, so counting them there is
    # more reliable than csv.Sniffer on free-text data rows.
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _rows(reading: Reading, text: str, delimiter: str) -> list[_Row]:
    if not text.strip():
        expected = ",".join(COLUMNS)
        raise PayloadError(
            [FieldError(HEADER_LOC, f"file is empty; expected a header row: {expected}")]
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    doubled = sorted({c for c in header if c in COLUMNS and header.count(c) > 1})
    if missing or doubled:
        problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
        problems += [f"duplicate column(s) {', '.join(doubled)}"] if doubled else []
        raise PayloadError([FieldError(HEADER_LOC, "; ".join(problems))])
    position = {c: header.index(c) for c in COLUMNS}

    rows: list[_Row] = []
    count, end = 0, reader.line_num
    try:
        for cells in reader:
            # reader.line_num is the record's last line; quoted fields may span lines
            line, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                reading.fail(
                    f"line {line}: row", f"too many rows; the limit is {MAX_ROWS} per file"
                )
                break
            if len(cells) < len(header) or any(c.strip() for c in cells[len(header) :]):
                reading.fail(
                    f"line {line}: row", f"expected {len(header)} fields, got {len(cells)}"
                )
                continue
            rows.append(_Row(reading, line, {c: cells[i] for c, i in position.items()}))
    except csv.Error as exc:
        reading.fail(f"line {reader.line_num}: row", f"unreadable CSV: {exc}")
    if count == 0:
        reading.fail("line 2: row", "no order rows after the header")
    return rows


def _order(reading: Reading, rows: list[_Row], decimal_comma: bool) -> MappedOrder:
    head = rows[0]
    dealer, number = head.text("dealer_id"), head.text("order_number")
    for row in rows[1:]:
        for column in _ORDER_COLUMNS:
            here, there = _same_key(column, row.data[column]), _same_key(column, head.data[column])
            if here != there:
                reading.fail(
                    row.loc(column),
                    f"{here!r} differs from {there!r} on line {head.line} "
                    f"for order {dealer.value}:{number.value}",
                )

    currency = reading.convert(head.text("currency"), to_currency)
    fields = {
        "external_id": Val(f"{dealer.value}:{number.value}", number.loc),
        "placed_at": reading.convert(head.text("placed_at"), to_timestamp),
        "currency": currency,
        "customer.name": head.text("customer_name"),
        "customer.email": head.text("customer_email"),
        "customer.phone": head.text("customer_phone"),
        "ship_to.country": reading.convert(head.text("ship_country"), to_country),
        "dealer_id": dealer,
    }
    for key in ("name", "line1", "line2", "city", "region", "postcode"):
        fields[f"ship_to.{key}"] = head.text(f"ship_{key}")

    def price(text: str) -> str:
        if decimal_comma and text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # "12,50" from a European-locale spreadsheet
        return format_price(to_money(text), currency.value)

    lines = [
        {
            "sku": row.text("sku"),
            "quantity": reading.convert(row.text("quantity"), _quantity),
            "unit_price": reading.convert(row.text("unit_price"), price),
        }
        for row in rows
    ]
    return reading.assemble(fields, lines)


def _same_key(column: str, value: str) -> str:
    value = value.strip()
    return value.upper() if column in _UPPER_COLUMNS else value


def _quantity(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise Invalid(f"expected a positive whole number, got {text!r}")
    return to_quantity(int(text))
