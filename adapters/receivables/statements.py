"""Bank statements (CSV) into plain lines for the receivables context.

Banks name their columns differently; each field accepts the usual header variants (English
and German exports, spaces, case and punctuation ignored). Amounts take a decimal comma or
point, with thousands separators ("1.234,56", "1,234.56"); dates are ISO (2026-11-30), German
(30.11.2026) or day-first with slashes (30/11/2026). The delimiter is comma, semicolon or tab,
from the header. A bad file raises ValidationFailed naming every bad cell as "line N: column"
(the header is line 1), and nothing is recorded.

Hostile files: the request body is bounded (api/limits.py, CROSSDOCK_MAX_CSV_BYTES), and here
the rows (MAX_ROWS), the columns (adapters/uploads.py MAX_COLUMNS) and each cell's length.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

from adapters.orders.channels.dealer_csv import _decode
from adapters.uploads import MAX_COLUMNS, is_zip
from domains.common import ValidationFailed

MAX_ROWS = 10_000
MAX_CELL = 1_000  # characters; remittance texts are 140 in SEPA
HEADERS = {
    "booked_on": ("booking date", "booked on", "date", "value date", "posting date",
                  "transaction date", "buchungstag", "buchungsdatum", "valuta", "wertstellung"),
    "amount": ("amount", "credit amount", "transaction amount", "betrag", "umsatz"),
    "currency": ("currency", "ccy", "currency code", "waehrung", "wahrung", "wahrung"),
    "reference": ("reference", "remittance", "remittance information", "remittance text",
                  "payment reference", "description", "details", "purpose", "narrative",
                  "verwendungszweck"),
    "counterparty": ("counterparty", "counterparty name", "name", "payer", "payer name",
                     "ordering party", "remitter", "auftraggeber", "zahlungspflichtiger",
                     "beguenstigter auftraggeber"),
    "iban": ("iban", "counterparty iban", "payer iban", "account", "counterparty account",
             "konto"),
    "transaction_id": ("transaction id", "bank reference", "transaction reference",
                       "end to end id", "reference number"),
}  # fmt: skip
REQUIRED = ("booked_on", "amount", "currency")
_AMOUNT = re.compile(r"[+-]?\d+(\.\d{1,2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _header_key(name: str) -> str:
    name = name.strip().lower().replace("ä", "ae").replace("ü", "ue").replace("ö", "oe")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    problems = []
    for field, names in HEADERS.items():
        hits = [i for i, h in enumerate(header) if _header_key(h) in names]
        if len(hits) > 1:
            problems.append(
                f"{field} given by several columns: {', '.join(header[i] for i in hits)}"
            )
        elif hits:
            found[field] = hits[0]
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        problems.append(
            "missing column(s) "
            + "; ".join(f"{f} (e.g. {', '.join(repr(n) for n in HEADERS[f][:3])})" for f in missing)
        )
    if not {"reference", "counterparty", "iban"} & set(found):
        problems.append("a reference, counterparty or IBAN column is needed to match payments")
    return found, problems


def parse_amount(text: str) -> str:
    """A decimal string ("1234.56") from a bank's notation."""
    t = text.strip().replace(" ", "").replace("'", "").replace("\u00a0", "")
    if "," in t and "." in t:
        decimal = "," if t.rfind(",") > t.rfind(".") else "."
        t = t.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif t.count(",") == 1:
        t = t.replace(",", ".")
    elif t.count(",") > 1 or t.count(".") > 1:
        t = t.replace(",", "").replace(".", "")
    if not _AMOUNT.fullmatch(t):
        raise ValueError(f"not an amount with at most 2 decimals: {text[:40]!r}")
    return t.lstrip("+")


def parse_date(text: str) -> date:
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y"):
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date (2026-11-30, 30.11.2026 or 30/11/2026): {t[:40]!r}")


def _line(cells: list[str], cols: dict[str, int], line: int, errors: list[dict]) -> dict:
    def cell(field: str) -> str:
        i = cols.get(field)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def fail(field: str, msg: str) -> None:
        errors.append({"loc": f"line {line}: {field}", "msg": msg, "line": line, "column": field})

    out: dict[str, Any] = {"line": line}
    for field in HEADERS:
        value = cell(field)
        if len(value) > MAX_CELL:
            fail(field, f"longer than {MAX_CELL} characters")
            value = ""
        out[field] = value or None
    try:
        out["booked_on"] = parse_date(cell("booked_on")).isoformat()
    except ValueError as exc:
        fail("booked_on", str(exc))
    try:
        out["amount"] = parse_amount(cell("amount"))
    except ValueError as exc:
        fail("amount", str(exc))
    currency = cell("currency").upper()
    if not _CURRENCY.fullmatch(currency):
        fail("currency", f"not an ISO 4217 code: {cell('currency')[:20]!r}")
    out["currency"] = currency
    if out["iban"]:
        out["iban"] = out["iban"].replace(" ", "").upper()
    return out


def parse_statement(data: bytes) -> list[dict[str, Any]]:
    if is_zip(data):
        raise ValidationFailed([{"loc": "file", "msg": "a bank statement is a CSV file"}])
    text = _decode(data)
    if not text.strip():
        raise ValidationFailed([{"loc": "line 1: header", "msg": "the file is empty"}])
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ValidationFailed(
            [{"loc": "line 1: header", "msg": f"unreadable CSV: {exc}"}]
        ) from None
    if len(header) > MAX_COLUMNS:
        raise ValidationFailed([{"loc": "line 1: header", "msg": f"over {MAX_COLUMNS} columns"}])
    cols, problems = _columns(header)
    if problems:
        raise ValidationFailed([{"loc": "line 1: header", "msg": p} for p in problems])
    errors: list[dict[str, Any]] = []
    lines = []
    end = reader.line_num
    try:
        for cells in reader:
            line, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(lines) >= MAX_ROWS:
                errors.append({"loc": f"line {line}: row", "msg": f"over {MAX_ROWS} lines"})
                break
            if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
                errors.append(
                    {
                        "loc": f"line {line}: row",
                        "msg": f"{len(cells)} fields; {len(header)} in the header",
                    }
                )
                continue
            lines.append(_line(cells, cols, line, errors))
    except csv.Error as exc:
        errors.append({"loc": f"line {reader.line_num}: row", "msg": f"unreadable CSV: {exc}"})
    if not lines and not errors:
        errors.append({"loc": "line 2: row", "msg": "no statement lines after the header"})
    if errors:
        raise ValidationFailed(errors)
    return lines
