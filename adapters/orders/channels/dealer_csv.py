"""Dealer order upload: a CSV with one row per order line.

Rows are grouped into orders by (dealer_id, order_number). Error locations
read "line N: column", N being the 1-based line in the file (header = 1), so a
dealer can find the cell in a spreadsheet.
"""

from __future__ import annotations

import re

from domains.reference.import_profiles import LINE_FIELDS as PROFILE_LINE_FIELDS
from domains.reference.import_profiles import ORDER_FIELDS as PROFILE_ORDER_FIELDS

from .base import (
    Invalid,
    MappedOrder,
    Reading,
    format_price,
    to_country,
    to_currency,
    to_money,
    to_quantity,
    to_timestamp,
)
from .csv_rows import MAX_ROWS, Row, file_rows, header_loc, read_rows

# Today's format is the default profile: every canonical field a profile can map
# (domains/reference/import_profiles.py) is a column of its own name, after the dealer's id.
COLUMNS = ("dealer_id", *PROFILE_ORDER_FIELDS, *PROFILE_LINE_FIELDS)
_ORDER_COLUMNS = COLUMNS[2:-3]  # must repeat identically on every row of an order
_UPPER_COLUMNS = {"currency", "ship_country"}
HEADER_LOC = header_loc()
__all__ = ["COLUMNS", "HEADER_LOC", "MAX_ROWS", "parse_dealer_csv"]


def parse_dealer_csv(data: bytes | str) -> list[MappedOrder]:
    text = _decode(data)
    reading = Reading()
    delimiter = _delimiter(text)
    orders: dict[tuple[str, str], list[Row]] = {}
    for row in read_rows(reading, text, delimiter, COLUMNS):
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


def _order(reading: Reading, rows: list[Row], decimal_comma: bool) -> MappedOrder:
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
        # The dealer's own number; the order's stream is keyed by (dealer, number), see
        # Order.create_id. Before, the number was stored prefixed "<dealer>:<number>".
        "external_id": number,
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
    mapped = reading.assemble(fields, lines)
    return MappedOrder(mapped.canonical, mapped.source_paths, file_rows(rows))


def _same_key(column: str, value: str) -> str:
    value = value.strip()
    return value.upper() if column in _UPPER_COLUMNS else value


def _quantity(text: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise Invalid(f"expected a positive whole number, got {text!r}")
    return to_quantity(int(text))
