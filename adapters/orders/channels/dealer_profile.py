"""A dealer's own purchase-order export, read through the dealer's import profile
(domains/reference/import_profiles.py): its encoding, delimiter and header line, its column
names, its dates (strptime patterns, local time in the dealer's zone) and numbers (decimal and
thousands separators). Rows are grouped into orders by the dealer's order number.

Every problem names the file line, the dealer's own column name and the value, e.g.
"line 4: Menge" -> "expected a number written like '1.234,56', got 'zwei'".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from domains.reference.import_profiles import AMOUNT_FIELDS, ORDER_FIELDS, ImportProfile

from .base import (
    Invalid,
    MappedOrder,
    Reading,
    Val,
    format_price,
    minor_units,
    to_country,
    to_currency,
    to_money,
    to_quantity,
)
from .csv_rows import Row, decode_strictly, file_rows, read_rows

# canonical order path <- profile field, for the fields copied as text
_TEXT = {
    "customer.name": "customer_name",
    "customer.email": "customer_email",
    "customer.phone": "customer_phone",
    "ship_to.name": "ship_name",
    "ship_to.line1": "ship_line1",
    "ship_to.line2": "ship_line2",
    "ship_to.city": "ship_city",
    "ship_to.region": "ship_region",
    "ship_to.postcode": "ship_postcode",
}


def parse_dealer_export(data: bytes, profile: ImportProfile) -> list[MappedOrder]:
    text = decode_strictly(bytes(data), profile.encoding)
    reading = Reading()
    delimiter = profile.delimiter or _sniff(text, profile.header_row)
    columns = list(dict.fromkeys(profile.columns.values()))
    optional = {c for f, c in profile.columns.items() if f in profile.defaults}
    rows = read_rows(
        reading,
        text,
        delimiter,
        columns,
        first_line=profile.header_row,
        fold=str.casefold,
        optional=optional,
    )
    cells = _Cells(reading, profile)
    orders: dict[str, list[Row]] = {}
    for row in rows:
        number = cells.get(row, "order_number")
        if number.value is None:
            reading.fail(number.loc or row.path, "missing the dealer's order number")
        else:
            orders.setdefault(number.value, []).append(row)
    mapped = [cells.order(group) for group in orders.values()]
    reading.raise_if_errors()
    return mapped


def _sniff(text: str, header_row: int) -> str:
    lines = text.splitlines()
    header = lines[header_row - 1] if len(lines) >= header_row else ""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


class _Cells:
    """Reads a profile's canonical fields from rows: the column's cell, else the default, or
    the constant; and turns the dealer's dates and numbers into canonical ones."""

    def __init__(self, reading: Reading, profile: ImportProfile) -> None:
        self.reading = reading
        self.profile = profile
        self.zone = ZoneInfo(profile.time_zone)
        dec, thou = profile.decimal_separator, profile.thousands_separator
        self.example = f"1{thou}234{dec}56"
        digits = rf"\d{{1,3}}(?:{re.escape(thou)}\d{{3}})+|\d+" if thou else r"\d+"
        self.number_pattern = re.compile(rf"-?(?:{digits})(?:{re.escape(dec)}\d+)?")

    def get(self, row: Row, field: str) -> Val:
        profile = self.profile
        if field in profile.constants:
            return Val(profile.constants[field], f"import profile: constants.{field}")
        column = profile.columns.get(field)
        val = row.text(column) if column in row.data else Val(None, None)
        if val.value is None and field in profile.defaults:
            return Val(profile.defaults[field], val.loc or f"import profile: defaults.{field}")
        if column is not None and val.loc is None:
            return Val(None, row.loc(column))
        return val

    # ---------------------------------------------------------------- converters
    def number(self, text: str) -> str:
        """The dealer's number as canonical decimal text ('1.234,56' -> '1234.56')."""
        if not self.number_pattern.fullmatch(text):
            raise Invalid(f"expected a number written like {self.example!r}, got {text!r}")
        out = (
            text.replace(self.profile.thousands_separator, "")
            if self.profile.thousands_separator
            else text
        )
        return out.replace(self.profile.decimal_separator, ".")

    def quantity(self, text: str) -> int:
        amount = Decimal(self.number(text))
        if amount != amount.to_integral_value():
            raise Invalid(f"expected a whole number of units, got {text!r}")
        try:
            return to_quantity(int(amount))
        except Invalid as exc:
            raise Invalid(f"{exc} (cell {text!r})") from None

    def money(self, currency: str | None) -> Callable[[str], str]:
        def parse(text: str) -> str:
            try:
                return format_price(to_money(self.number(text)), currency)
            except Invalid as exc:
                message = str(exc)
                shown = message if repr(text) in message else f"{message} (cell {text!r})"
                raise Invalid(shown) from None

        return parse

    def instant(self, text: str) -> str:
        """A date as UTC ISO-8601; a date without an offset is the dealer's local time."""
        formats = self.profile.date_formats
        parsed = None
        for pattern in formats:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if parsed is None and not formats:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                raise Invalid(f"expected an ISO-8601 date, got {text!r}") from None
        if parsed is None:
            shown = ", ".join(repr(f) for f in formats)
            raise Invalid(f"{text!r} matches none of the profile's date formats ({shown})")
        if parsed.tzinfo is None:
            local = parsed.replace(tzinfo=self.zone)
            # A wall-clock time skipped when the clocks go forward does not round-trip.
            if local.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != parsed:
                raise Invalid(
                    f"{text!r} does not exist in {self.profile.time_zone} "
                    "(the clocks were put forward at that hour)"
                )
            parsed = local
        return parsed.astimezone(UTC).isoformat()

    # ---------------------------------------------------------------- one order
    def _order_level(self, rows: list[Row], number: str) -> dict[str, Val]:
        """Order-level fields from the order's first row; a later row may leave a cell blank
        but not write something else."""
        head = rows[0]
        out: dict[str, Val] = {}
        for field in (*ORDER_FIELDS, *AMOUNT_FIELDS):
            out[field] = self.get(head, field)
            column = self.profile.columns.get(field)
            if column is None or field in self.profile.constants:
                continue
            for row in rows[1:]:
                here = (row.data.get(column) or "").strip()
                there = (head.data.get(column) or "").strip()
                if here and here != there:
                    self.reading.fail(
                        row.loc(column),
                        f"{here!r} differs from {there!r} on line {head.line} for order {number}",
                    )
        return out

    def order(self, rows: list[Row]) -> MappedOrder:
        reading = self.reading
        number = self.get(rows[0], "order_number")
        top = self._order_level(rows, str(number.value))
        currency = reading.convert(top["currency"], to_currency)
        money = self.money(currency.value)
        fields: dict[str, Val] = {
            "external_id": number,
            "placed_at": reading.convert(top["placed_at"], self.instant),
            "currency": currency,
            "customer.email": top["customer_email"],
            "customer.phone": top["customer_phone"],
            "ship_to.country": reading.convert(top["ship_country"], to_country),
            "dealer_id": Val(self.profile.dealer_id, "import profile: dealer"),
        }
        fields.update({path: top[field] for path, field in _TEXT.items()})
        lines = [
            {
                "sku": self.get(row, "sku"),
                "quantity": reading.convert(self.get(row, "quantity"), self.quantity),
                "unit_price": reading.convert(self.get(row, "unit_price"), money),
            }
            for row in rows
        ]
        mapped = reading.assemble(fields, lines)
        parts = {f: reading.convert(top[f], money) for f in AMOUNT_FIELDS}
        mapped_amounts = any(
            f in self.profile.columns or f in self.profile.constants or f in self.profile.defaults
            for f in AMOUNT_FIELDS
        )
        if mapped_amounts and not reading.errors:
            mapped.canonical["amounts"] = amounts(
                mapped.canonical["lines"],
                {f: v.value for f, v in parts.items()},
                currency.value,
                self.profile.tax_included,
            )
            for f, v in parts.items():
                if v.loc is not None:
                    mapped.source_paths[f"amounts.{f}"] = v.loc
        return MappedOrder(mapped.canonical, mapped.source_paths, file_rows(rows))


def amounts(
    lines: list[dict[str, Any]],
    reported: dict[str, str | None],
    currency: str | None,
    tax_included: bool,
) -> dict[str, Any]:
    """The order's amounts (the shared canonical["amounts"] contract): the parts the dealer
    reported (0 when not), items_subtotal from the lines, and the dealer's total, with the
    mismatch recorded (not fixed) when its parts do not add up to it."""
    step = Decimal(1).scaleb(-minor_units(currency))
    part = {f: Decimal(reported.get(f) or "0") for f in AMOUNT_FIELDS if f != "total"}
    subtotal = sum((Decimal(ln["unit_price"]) * ln["quantity"] for ln in lines), Decimal(0))
    computed = (
        subtotal
        - part["items_discount"]
        + part["shipping"]
        - part["shipping_discount"]
        + (Decimal(0) if tax_included else part["tax"])
        + part["fees"]
    )
    total = Decimal(reported["total"]) if reported.get("total") is not None else computed

    def text(amount: Decimal) -> str:
        return str(amount.quantize(step))

    return {
        "items_subtotal": text(subtotal),
        **{f: text(v) for f, v in part.items()},
        "total": text(total),
        "tax_included": tax_included,
        "mismatch": None
        if total == computed
        else {
            "reported_total": text(total),
            "computed_total": text(computed),
            "difference": text(total - computed),
        },
    }
