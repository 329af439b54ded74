"""Reconciliation exports: an XLSX report, the same tables as CSV, and a dispute file per carrier.

Every text cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) is written with a leading single quote; numbers (negative ones included) stay
numbers. Money columns (`*_cents`) are exported as amounts in currency units: exact Decimals in
XLSX (number format 0.00 on the red rows; plain rows are written as bare values, which keeps
100,000-line reports to one pass of openpyxl's write-only mode), "12.50"-style text in CSV;
their headers lose the `_cents` suffix.

    to_xlsx(lines, discrepancies, totals) -> bytes   sheets Lines (rows with a discrepancy filled
                                                     red, RED_FILL), Discrepancies, Summary
    to_csv(lines, discrepancies, totals, table="lines"|"discrepancies"|"summary") -> bytes
                                                     UTF-8 with BOM (Excel reads it right)
    dispute_file(discrepancies, carrier) -> bytes    CSV of that carrier's disputed rows
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

RED = "FFFFC7CE"  # Excel's "light red fill"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

LINE_COLUMNS: tuple[str, ...] = (
    "line",
    "waybill",
    "carrier",
    "service",
    "bill_line_ref",
    "order_id",
    "shipment_id",
    "status",
    "billed_weight_kg",
    "chargeable_weight_kg",
    "currency",
    "base_cents",
    "fuel_cents",
    "surcharges_cents",
    "total_cents",
    "expected_currency",
    "quoted_base_cents",
    "quoted_fuel_cents",
    "expected_cents",
    "difference_cents",
    "discrepancy_kinds",
)
DISPUTE_COLUMNS: tuple[str, ...] = (
    "carrier",
    "waybill",
    "bill_line_ref",
    "bill_line",
    "kind",
    "surcharge",
    "expected",
    "billed",
    "disputed_amount",
    "currency",
    "explanation",
    "reason",
)


_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def neutralise(value: Any) -> Any:
    """A string a spreadsheet would evaluate gets a leading "'"; anything else is unchanged.

    Plain numbers written as text ("-12.50") are left alone: they evaluate to themselves.
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_PREFIXES)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def _neutralise_series(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s
    obj = s.astype(object)
    is_str = obj.map(lambda v: isinstance(v, str))
    text = obj.where(is_str, "").astype(str)
    risky = is_str & text.str.startswith(FORMULA_PREFIXES) & ~text.str.match(_PLAIN_NUMBER)
    if risky.any():
        obj = obj.where(~risky, "'" + text)
    return obj


def _columns(frame: pd.DataFrame, wanted: tuple[str, ...] | None) -> list[str]:
    if wanted is None:
        return list(frame.columns)
    extra = [c for c in frame.columns if c.startswith("surcharge_") and c.endswith("_cents")]
    cols = [c for c in wanted if c in frame.columns]
    if "surcharges_cents" in cols and extra:
        at = cols.index("surcharges_cents")
        cols[at:at] = [c for c in extra if c not in cols]
    return cols


def _header(col: str) -> str:
    return col[: -len("_cents")] if col.endswith("_cents") else col


def _cell_values(frame: pd.DataFrame, cols: list[str], money_as: str) -> list[list[Any]]:
    """Rows of plain Python values: cents -> Decimal (xlsx) or "12.50" (csv), NA -> None."""
    out: list[pd.Series] = []
    for c in cols:
        s = frame[c]
        if c.endswith("_cents"):
            num = pd.to_numeric(s, errors="coerce")
            valid = num.notna()
            cents = num.fillna(0).astype(np.int64)
            if money_as == "decimal":
                vals = cents.map(lambda v: Decimal(int(v)).scaleb(-2)).astype(object)
            else:
                vals = _money_text(cents.to_numpy()).astype(object)
            out.append(vals.where(valid.to_numpy(), None))
        elif pd.api.types.is_bool_dtype(s):
            out.append(s.astype(object))
        elif pd.api.types.is_numeric_dtype(s):
            obj = s.astype(object)
            out.append(obj.where(s.notna(), None))
        else:
            obj = _neutralise_series(s)
            out.append(obj.where(s.notna(), None))
    if not out:
        return [[] for _ in range(len(frame))]
    return [list(r) for r in zip(*(o.tolist() for o in out), strict=True)]


def _money_text(cents: np.ndarray) -> pd.Series:
    a = np.abs(cents)
    sign = pd.Series(np.where(cents < 0, "-", ""), dtype=str)
    return (
        sign + pd.Series(a // 100).astype(str) + "." + pd.Series(a % 100).astype(str).str.zfill(2)
    )


def _summary_rows(totals: dict[str, Any]) -> list[list[Any]]:
    def amount(v: Any) -> Any:
        return None if v is None else Decimal(int(v)).scaleb(-2)

    rows: list[list[Any]] = [["item", "value"]]
    for k in ("lines", "matched", "discrepancy_lines", "currency"):
        rows.append([k, totals.get(k)])
    for k in ("billed_total", "expected_total", "overcharge", "undercharge"):
        rows.append([k, amount(totals.get(k))])
    rows.append([])
    rows.append(
        ["currency", "lines", "billed_total", "expected_total", "overcharge", "undercharge"]
    )
    for cur, t in sorted((totals.get("by_currency") or {}).items()):
        rows.append(
            [
                cur,
                t.get("lines", 0),
                *(amount(t.get(k, 0)) for k in ("billed_total", "expected_total")),
                *(amount(t.get(k, 0)) for k in ("overcharge", "undercharge")),
            ]
        )
    rows.append([])
    rows.append(["discrepancy kind", "count"])
    for kind, count in (totals.get("discrepancies") or {}).items():
        rows.append([kind, count])
    return [[neutralise(v) for v in r] for r in rows]


def to_xlsx(lines: pd.DataFrame, discrepancies: pd.DataFrame, totals: dict[str, Any]) -> bytes:
    """The report workbook: Lines (discrepancy rows red), Discrepancies, Summary."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    wb = Workbook(write_only=True)
    fill = PatternFill(fill_type="solid", start_color=RED, end_color=RED)
    bold = Font(bold=True)

    def sheet(title: str, frame: pd.DataFrame, cols: list[str], red: np.ndarray | None) -> None:
        ws = wb.create_sheet(title)
        header = []
        for c in cols:
            cell = WriteOnlyCell(ws, value=_header(c))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        money_cols = {i for i, c in enumerate(cols) if c.endswith("_cents")}
        for r, values in enumerate(_cell_values(frame, cols, "decimal")):
            if red is not None and red[r]:
                cells = []
                for i, v in enumerate(values):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.fill = fill
                    if i in money_cols:
                        cell.number_format = "0.00"
                    cells.append(cell)
                ws.append(cells)
            else:
                ws.append(values)

    line_cols = _columns(lines, LINE_COLUMNS)
    red = (
        lines["has_discrepancy"].to_numpy(bool)
        if "has_discrepancy" in lines
        else np.zeros(len(lines), dtype=bool)
    )
    sheet("Lines", lines.reset_index(drop=True), line_cols, red)
    sheet("Discrepancies", discrepancies.reset_index(drop=True), list(discrepancies.columns), None)
    ws = wb.create_sheet("Summary")
    for row in _summary_rows(totals):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([neutralise(h) for h in header])
    w.writerows(["" if v is None else v for v in r] for r in rows)
    return buf.getvalue().encode("utf-8-sig")


def to_csv(
    lines: pd.DataFrame,
    discrepancies: pd.DataFrame,
    totals: dict[str, Any],
    table: str = "lines",
) -> bytes:
    """One table of the report as CSV; "lines" carries discrepancy_kinds in place of the red."""
    if table == "lines":
        cols = _columns(lines, LINE_COLUMNS)
        return _csv_bytes([_header(c) for c in cols], _cell_values(lines, cols, "text"))
    if table == "discrepancies":
        cols = list(discrepancies.columns)
        return _csv_bytes([_header(c) for c in cols], _cell_values(discrepancies, cols, "text"))
    if table == "summary":
        rows = _summary_rows(totals)
        return _csv_bytes(rows[0], [[_plain(v) for v in r] for r in rows[1:]])
    raise ValueError(f"table must be lines, discrepancies or summary, not {table!r}")


def _plain(v: Any) -> Any:
    return f"{v:.2f}" if isinstance(v, Decimal) else v


def dispute_file(discrepancies: pd.DataFrame, carrier: str) -> bytes:
    """CSV of the rows to dispute with `carrier` (matched case-insensitively).

    If the frame has a `resolution` (or `status`) column, only rows whose value is "disputed"
    are included; otherwise every row of that carrier is. A `reason` column, if present, is
    carried over. disputed_amount is the difference in the bill's currency ("" if none).
    """
    d = discrepancies
    if "carrier" in d:
        d = d[d["carrier"].astype(str).str.lower() == carrier.lower()]
    for flag in ("resolution", "status"):
        if flag in d:
            d = d[d[flag].astype(str).str.lower() == "disputed"]
            break
    d = d.reset_index(drop=True)
    diff = (
        pd.to_numeric(d["difference_cents"], errors="coerce") if "difference_cents" in d else None
    )
    out = pd.DataFrame(
        {
            "carrier": d.get("carrier", carrier),
            "waybill": d.get("waybill", ""),
            "bill_line_ref": d.get("bill_line_ref", ""),
            "bill_line": d.get("line", ""),
            "kind": d.get("kind", ""),
            "surcharge": d.get("surcharge", ""),
            "expected": d.get("expected", ""),
            "billed": d.get("billed", ""),
            "disputed_amount_cents": diff if diff is not None else pd.NA,
            "currency": d.get("currency", ""),
            "explanation": d.get("explanation", ""),
            "reason": d.get("reason", ""),
        },
        index=d.index,
    )
    cols = [c if c != "disputed_amount" else "disputed_amount_cents" for c in DISPUTE_COLUMNS]
    return _csv_bytes(list(DISPUTE_COLUMNS), _cell_values(out, cols, "text"))
