"""Carrier bills: CSV or XLSX uploads in a carrier's invoice layout, normalised to one frame.

`parse_bill(data, filename, layout)` returns a `BillFrame` whose `.frame` has one row per bill
line and these columns (money is always integer cents, int64):

    line                    int64   1-based line of the file (the header is line 1)
    waybill                 str     as billed, spaces removed, upper case
    carrier                 str     the layout's carrier code (rate-card codes: dhl_express, ups,
                                    fedex) or, for "generic", the file's carrier column
    service                 str     as billed ("" if the layout has none)
    billed_weight_kg        float64 kg
    billed_weight_g         int64   the same, in whole grams (rounded); comparisons use this
    base_cents              int64
    fuel_cents              int64   0 when blank or absent
    surcharge_<name>_cents  int64   one column per surcharge the layout/file has; 0 when blank
    surcharges_cents        int64   the sum of the surcharge columns
    total_cents             int64   base + fuel + surcharges
    currency                str     ISO 4217 shape, upper case
    bill_line_ref           str     the carrier's own line/invoice reference, "" if none

Surcharge names are the rate cards' charge types where they exist (remote_area, oversize), else
a snake_case name (additional_handling, residential, ...). `BillFrame.surcharge_names` lists them.

Layouts (headers match case-insensitively, spaces collapsed; other columns are ignored; * =
required column):

    dhl     *Waybill Number, Product, *Weight (kg), *Weight Charge, Fuel Surcharge, Remote Area,
            Oversize Piece, Overweight Piece, Emergency Situation, *Currency, Line Number
    ups     *Tracking Number, Service, *Billed Weight (kg), *Transportation Charges,
            Fuel Surcharge, Extended Area Surcharge, Large Package Surcharge, Additional
            Handling, Residential Surcharge, *Currency Code, Invoice Line Number
    fedex   *Express or Ground Tracking ID, Service Type, *Rated Weight Amount (kg),
            *Transportation Charge Amount, Fuel Surcharge Amount, Out of Delivery Area
            Surcharge, Oversize Charge, Additional Handling Surcharge, Residential Delivery
            Charge, *Currency, Invoice Line Number
    generic *waybill, carrier, service, *billed_weight_kg, *base, fuel, surcharge_<name>...,
            *currency, bill_line_ref

Files: CSV (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252; comma, semicolon or
tab separated, picked from the header line) or XLSX (first sheet, first row = header). Amounts
take a dot or a comma as decimal separator, an optional sign, no thousands separators, and at
most two non-zero decimals ("12.5000" is fine, "12.345" is not). Blank rows are skipped (they
still count for line numbers). A formula cell in an XLSX file is read as its text ("=B2*1.2"),
never evaluated and never taken for the value the file says it computed, so a formula where an
amount belongs is rejected as one. Limits: 10 MB (CROSSDOCK_MAX_BILL_BYTES), 200,000 data rows,
MAX_COLUMNS columns; an XLSX file's archive is checked before it is opened (adapters/uploads.py:
what it unpacks to, and how much each member inflates).

A bad file raises `BillRejected(errors)`: every bad row at once as {line, field, msg} (field is
the file's column header; line None = the file as a whole; a missing required column is line 1),
at most MAX_ERRORS of them plus one "... more" entry. Nothing is returned for a rejected file.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from adapters.uploads import MAX_COLUMNS, check_zip

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 200_000
MAX_ERRORS = 500
FORMULA_PREFIXES = ("=", "+", "-", "@")
_PLAIN_SIGNED = re.compile(r"[+-]?\d+(?:[.,]\d+)?")

# field -> accepted headers (normalised: lower case, single spaces)
_Spec = dict[str, Any]


def _layout(
    carrier: str | None,
    waybill: tuple[str, ...],
    service: tuple[str, ...],
    weight: tuple[str, ...],
    base: tuple[str, ...],
    fuel: tuple[str, ...],
    currency: tuple[str, ...],
    ref: tuple[str, ...],
    surcharges: dict[str, str],
    carrier_col: tuple[str, ...] = (),
) -> _Spec:
    return {
        "carrier": carrier,
        "fields": {
            "waybill": waybill,
            "service": service,
            "billed_weight_kg": weight,
            "base": base,
            "fuel": fuel,
            "currency": currency,
            "bill_line_ref": ref,
            "carrier": carrier_col,
        },
        "surcharges": surcharges,
    }


LAYOUTS: dict[str, _Spec] = {
    "dhl": _layout(
        "dhl_express",
        waybill=("waybill number", "air waybill number", "awb number"),
        service=("product", "product name"),
        weight=("weight (kg)", "billed weight (kg)"),
        base=("weight charge",),
        fuel=("fuel surcharge",),
        currency=("currency",),
        ref=("line number", "invoice line"),
        surcharges={
            "remote area": "remote_area",
            "oversize piece": "oversize",
            "overweight piece": "overweight_piece",
            "emergency situation": "emergency_situation",
        },
    ),
    "ups": _layout(
        "ups",
        waybill=("tracking number",),
        service=("service", "service level"),
        weight=("billed weight (kg)", "billed weight"),
        base=("transportation charges",),
        fuel=("fuel surcharge",),
        currency=("currency code",),
        ref=("invoice line number", "line number"),
        surcharges={
            "extended area surcharge": "remote_area",
            "large package surcharge": "oversize",
            "additional handling": "additional_handling",
            "residential surcharge": "residential",
        },
    ),
    "fedex": _layout(
        "fedex",
        waybill=("express or ground tracking id",),
        service=("service type",),
        weight=("rated weight amount (kg)", "rated weight amount"),
        base=("transportation charge amount",),
        fuel=("fuel surcharge amount",),
        currency=("currency",),
        ref=("invoice line number", "line number"),
        surcharges={
            "out of delivery area surcharge": "remote_area",
            "oversize charge": "oversize",
            "additional handling surcharge": "additional_handling",
            "residential delivery charge": "residential",
        },
    ),
    "generic": _layout(
        None,
        waybill=("waybill",),
        service=("service",),
        weight=("billed_weight_kg",),
        base=("base",),
        fuel=("fuel",),
        currency=("currency",),
        ref=("bill_line_ref",),
        surcharges={},  # surcharge_<name> columns, found by prefix
        carrier_col=("carrier",),
    ),
}
_REQUIRED = ("waybill", "billed_weight_kg", "base", "currency")

# after stripping and turning a decimal comma into a dot; 13 digits keep float -> cents exact
_AMOUNT = re.compile(r"[+-]?\d{1,13}(?:\.\d{1,2}0*)?")
_AMOUNT_SUBCENT = re.compile(r"[+-]?\d{1,13}\.\d+")
_WEIGHT = re.compile(r"\d{1,7}(?:\.\d+)?")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SPACES = re.compile(r"\s+")


class BillRejected(ValueError):
    """A bill that cannot be used; `errors` lists every problem as {line, field, msg}."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        first = errors[0] if errors else {}
        super().__init__(
            f"bill rejected: {len(errors)} error(s); first: line {first.get('line')}, "
            f"{first.get('field')}: {first.get('msg')}"
        )


@dataclass(frozen=True)
class BillFrame:
    """A parsed bill: `frame` (columns in the module doc) and where it came from."""

    frame: pd.DataFrame
    layout: str
    filename: str
    file_type: str  # "csv" | "xlsx"
    encoding: str | None  # CSV only
    surcharge_names: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.frame)


def _err(line: int | None, fld: str | None, msg: str) -> dict[str, Any]:
    return {"line": line, "field": fld, "msg": msg}


def _norm_header(h: object) -> str:
    return _SPACES.sub(" ", str(h or "").replace("\ufeff", "")).strip().lower()


# ---------------------------------------------------------------------------------------------
# Reading: bytes -> header + string cells + line numbers


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _read_csv(data: bytes, max_rows: int) -> tuple[list[str], pd.DataFrame, np.ndarray, str]:
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError:
        raise BillRejected(
            [_err(None, None, "not UTF-8, UTF-16 (with BOM) or Windows-1252 text")]
        ) from None
    if "\x00" in text:
        raise BillRejected([_err(None, None, "binary data in a CSV file (UTF-16 needs a BOM)")])
    first = text.split("\n", 1)[0]
    sep = max((",", ";", "\t"), key=first.count)
    if first.count(sep) + 1 > MAX_COLUMNS:
        raise BillRejected([_err(1, None, f"more than {MAX_COLUMNS} columns")])
    if text.count("\n") > max_rows + 1_000:  # cheap early stop; the exact check follows
        raise BillRejected([_err(None, None, f"more than {max_rows:,} rows")])
    frame: pd.DataFrame | None = None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise BillRejected([_err(1, None, "the file is empty")]) from None
    except (pd.errors.ParserError, ValueError):
        frame = None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if frame is not None and len(frame) == physical:
        header = [str(h) for h in frame.iloc[0].tolist()]
        body = frame.iloc[1:].reset_index(drop=True)
        body.columns = range(body.shape[1])
        lines = np.arange(2, len(frame) + 1, dtype=np.int64)
        return header, body, lines, encoding
    # Quoted line breaks, ragged rows or lone CRs: the csv module, which knows each record's line
    return (*_read_csv_exact(text, sep), encoding)


def _read_csv_exact(text: str, sep: str) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    errors: list[dict[str, Any]] = []
    start = 1
    try:
        for record in reader:
            if header is None:
                header = record
            else:
                width = len(header)
                if len(record) > width and any(c.strip() for c in record[width:]):
                    errors.append(_err(start, None, f"{len(record)} cells, the header has {width}"))
                rows.append((record + [""] * width)[:width])
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BillRejected([*errors, _err(start, None, f"unreadable CSV: {exc}")]) from None
    if header is None:
        raise BillRejected([_err(1, None, "the file is empty")])
    if errors:
        raise BillRejected(errors[:MAX_ERRORS])
    body = pd.DataFrame(rows, columns=range(len(header)), dtype=str)
    return header, body, np.asarray(lines, dtype=np.int64)


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = f"{v:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _read_xlsx(data: bytes, max_rows: int) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    import openpyxl  # noqa: PLC0415  (only XLSX uploads pay for the import)

    try:
        # data_only=False: a formula cell reads as its text ("=A1*2"), never as a value the
        # file claims it computed; amounts that are formulas are then rejected as such.
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise BillRejected([_err(None, None, f"not a readable XLSX workbook: {exc}")]) from None
    try:
        if not wb.worksheets:
            raise BillRejected([_err(None, None, "the workbook has no sheet")])
        ws = wb.worksheets[0]
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in row]
            if header is None:
                if len(cells) > MAX_COLUMNS:  # trailing blank cells of a padded row are fine
                    while cells and cells[-1] == "":
                        cells.pop()
                    if len(cells) > MAX_COLUMNS:
                        raise BillRejected([_err(1, None, f"more than {MAX_COLUMNS} columns")])
                header = cells
                continue
            if len(rows) >= max_rows + 1_000 and number > max_rows + 1:
                raise BillRejected([_err(None, None, f"more than {max_rows:,} rows")])
            width = len(header)
            rows.append((cells + [""] * width)[:width])
            lines.append(number)
    finally:
        wb.close()
    if header is None:
        raise BillRejected([_err(1, None, "the first sheet is empty")])
    body = pd.DataFrame(rows, columns=range(len(header)), dtype=str)
    return header, body, np.asarray(lines, dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# Vectorised cell parsing: each returns values and a Series of error messages ("" = fine)


def _strip(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str).str.strip()  # str.strip also strips no-break spaces


def _per_unique(s: pd.Series, fn: Any) -> np.ndarray:
    """fn applied once per distinct value (codes, services, currencies repeat a lot)."""
    codes, uniques = pd.factorize(s.fillna("").astype(str), use_na_sentinel=False)
    return np.array([fn(str(u)) for u in uniques], dtype=object)[codes]


def _decimal_text(raw: pd.Series) -> pd.Series:
    s = _strip(raw)
    if s.str.contains(",", regex=False).any():
        s = s.str.replace(",", ".", regex=False)
    return s


def _parse_cents(raw: pd.Series, required: bool) -> tuple[np.ndarray, pd.Series]:
    s = _decimal_text(raw)
    empty = (s == "").to_numpy()
    ok = s.str.fullmatch(_AMOUNT).to_numpy(dtype=bool)
    value = pd.to_numeric(s.where(ok, "0"), errors="coerce").to_numpy(dtype=np.float64)
    cents = np.rint(value * 100).astype(np.int64)
    msgs = pd.Series("", index=raw.index, dtype=object)
    bad = ~ok & ~empty
    if bad.any():
        msgs[bad] = [
            "more than 2 decimal places"
            if _AMOUNT_SUBCENT.fullmatch(v)
            else _not_a_number("amount", v)
            for v in s[bad]
        ]
    if required and empty.any():
        msgs[empty] = "missing"
    return cents, msgs


def _not_a_number(what: str, v: str) -> str:
    if v.startswith(FORMULA_PREFIXES) and not _PLAIN_SIGNED.fullmatch(v):
        return f"a formula, not an {what}: {v[:40]!r} (formulas are read as text, never run)"
    return f"not a{'n' if what[0] in 'aeiou' else ''} {what}: {v[:40]!r}"


def _parse_grams(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    s = _decimal_text(raw)
    ok = s.str.fullmatch(_WEIGHT).to_numpy(dtype=bool)
    kg = pd.to_numeric(s.where(ok, "0"), errors="coerce").to_numpy(dtype=np.float64)
    grams = np.rint(kg * 1000).astype(np.int64)
    msgs = pd.Series("", index=raw.index, dtype=object)
    if not ok.all():
        msgs[~ok] = [_not_a_number("weight in kg", v) if v else "missing" for v in s[~ok]]
    return grams, msgs


def _collect(
    msgs: pd.Series, lines: np.ndarray, header: str, out: list[tuple[int, int, str, str]], k: int
) -> None:
    bad = (msgs != "").to_numpy()
    if bad.any():
        for line, msg in zip(
            lines[bad][: MAX_ERRORS + 1], msgs[bad][: MAX_ERRORS + 1], strict=True
        ):
            out.append((int(line), k, header, str(msg)))


# ---------------------------------------------------------------------------------------------


def _kind(data: bytes, filename: str) -> str:
    name = filename.lower()
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise BillRejected([_err(None, None, "legacy .xls is not supported: save as XLSX or CSV")])
    if name.endswith((".xlsx", ".xlsm")):
        raise BillRejected([_err(None, None, "not a readable XLSX workbook")])
    return "csv"


def _snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def parse_bill(
    data: bytes,
    filename: str,
    layout: str,
    *,
    carrier: str | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS,
) -> BillFrame:
    """Parse and validate a whole bill; raise BillRejected listing every bad row.

    `carrier` overrides the layout's carrier code (for "generic": the default for rows whose
    carrier cell is blank or when the file has no carrier column).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {sorted(LAYOUTS)}")
    spec = LAYOUTS[layout]
    if max_bytes is None:
        max_bytes = int(os.environ.get("CROSSDOCK_MAX_BILL_BYTES", "").strip() or MAX_BYTES)
    if len(data) > max_bytes:
        raise BillRejected([_err(None, None, f"larger than {max_bytes:,} bytes")])
    if not data.strip():
        raise BillRejected([_err(1, None, "the file is empty")])
    kind = _kind(data, filename)
    encoding: str | None = None
    if kind == "xlsx":
        check_zip(data)  # refuses a zip bomb before openpyxl inflates anything
        header, body, lines = _read_xlsx(data, max_rows)
    else:
        header, body, lines, encoding = _read_csv(data, max_rows)

    # Columns
    norm = [_norm_header(h) for h in header]
    where: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    for fld, names in spec["fields"].items():
        hits = [i for i, h in enumerate(norm) if h in names]
        if len(hits) > 1:
            errors.append(_err(1, header[hits[1]], f"column for {fld} appears twice"))
        elif hits:
            where[fld] = hits[0]
    for fld in _REQUIRED:
        if fld not in where:
            wanted = " or ".join(repr(n) for n in spec["fields"][fld])
            errors.append(_err(1, fld, f"missing required column {wanted}"))
    surcharge_cols: dict[str, int] = {}
    for i, h in enumerate(norm):
        name = spec["surcharges"].get(h)
        if name is None and layout == "generic" and h.startswith("surcharge_"):
            name = _snake(h[len("surcharge_") :])
        if name:
            if name in surcharge_cols:
                errors.append(_err(1, header[i], f"surcharge {name} appears twice"))
            surcharge_cols[name] = i
    if errors:
        raise BillRejected(errors)

    # Rows: drop blank ones, then the row limit
    if body.shape[1]:
        filled = (body.fillna("") != "").any(axis=1).to_numpy()
        body, lines = body[filled].reset_index(drop=True), lines[filled]
    if len(body) > max_rows:
        raise BillRejected([_err(None, None, f"{len(body):,} rows; at most {max_rows:,}")])
    if len(body) == 0:
        raise BillRejected([_err(None, None, "no bill lines")])

    def col(fld: str) -> pd.Series:
        if fld in where:
            return body[where[fld]]
        return pd.Series("", index=body.index, dtype=str)

    problems: list[tuple[int, int, str, str]] = []
    waybill = _strip(col("waybill"))
    if waybill.str.contains(r"\s", regex=True).any():
        waybill = waybill.str.replace(r"\s+", "", regex=True)
    waybill = waybill.str.upper()
    wb_msgs = pd.Series("", index=body.index, dtype=object)
    wb_msgs[waybill == ""] = "missing waybill"
    wb_msgs[waybill.str.len() > 64] = "waybill longer than 64 characters"
    _collect(wb_msgs, lines, header[where["waybill"]], problems, 0)

    grams, w_msgs = _parse_grams(col("billed_weight_kg"))
    _collect(w_msgs, lines, header[where["billed_weight_kg"]], problems, 1)
    base, b_msgs = _parse_cents(col("base"), required=True)
    _collect(b_msgs, lines, header[where["base"]], problems, 2)
    fuel, f_msgs = _parse_cents(col("fuel"), required=False)
    if "fuel" in where:
        _collect(f_msgs, lines, header[where["fuel"]], problems, 3)
    surcharges: dict[str, np.ndarray] = {}
    for k, (name, i) in enumerate(surcharge_cols.items()):
        cents, s_msgs = _parse_cents(body[i], required=False)
        _collect(s_msgs, lines, header[i], problems, 4 + k)
        surcharges[name] = cents
    currency = pd.Series(_per_unique(col("currency"), lambda v: v.strip().upper()), dtype=str)
    currency.index = body.index
    c_msgs = pd.Series("", index=body.index, dtype=object)
    bad_cur = pd.Series(
        _per_unique(currency, lambda v: not _CURRENCY.match(v)), index=body.index, dtype=bool
    )
    if bad_cur.any():
        c_msgs[bad_cur] = "not a 3-letter currency code: " + currency[bad_cur].map(repr)
        c_msgs[currency == ""] = "missing currency"
    _collect(c_msgs, lines, header[where["currency"]], problems, 99)
    if problems:
        problems.sort()
        errors = [_err(line, fld, msg) for line, _k, fld, msg in problems[:MAX_ERRORS]]
        if len(problems) > MAX_ERRORS:
            errors.append(_err(None, None, f"... and {len(problems) - MAX_ERRORS:,} more"))
        raise BillRejected(errors)

    default_carrier = (carrier if carrier is not None else spec["carrier"]) or ""
    carriers = _per_unique(col("carrier"), lambda v: v.strip().lower() or default_carrier)
    out = pd.DataFrame(
        {
            "line": lines,
            "waybill": waybill.to_numpy(),
            "carrier": carriers,
            "service": _per_unique(col("service"), str.strip),
            "billed_weight_kg": grams / 1000.0,
            "billed_weight_g": grams,
            "base_cents": base,
            "fuel_cents": fuel,
        }
    )
    total_s = np.zeros(len(out), dtype=np.int64)
    for name, cents in surcharges.items():
        out[f"surcharge_{name}_cents"] = cents
        total_s += cents
    out["surcharges_cents"] = total_s
    out["total_cents"] = out["base_cents"] + out["fuel_cents"] + total_s
    out["currency"] = currency.to_numpy()
    out["bill_line_ref"] = _strip(col("bill_line_ref")).to_numpy()
    for c in ("waybill", "carrier", "service", "currency", "bill_line_ref"):
        out[c] = out[c].astype(str)
    return BillFrame(
        frame=out,
        layout=layout,
        filename=filename,
        file_type=kind,
        encoding=encoding,
        surcharge_names=tuple(surcharges),
    )
