"""Reading the rows of an order file (CSV), shared by today's dealer CSV format and the dealers'
own exports read through an import profile.

Locations read "line N: column", N being the 1-based line in the file as a spreadsheet or text
editor shows it (quoted cells spanning lines counted), so a dealer can find the cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Collection, Sequence
from typing import Any

from adapters.uploads import MAX_COLUMNS

from .base import FieldError, Node, PayloadError, Reading

MAX_ROWS = 10_000  # as the other uploads (adapters/uploads.py)


class Row(Node):
    """One data row: its cells by column name and the file line it starts on."""

    def __init__(self, reading: Reading, line: int, data: dict[str, str]) -> None:
        super().__init__(reading, data, f"line {line}")
        self.line = line

    def loc(self, key: str) -> str:
        return f"line {self.line}: {key}"


def file_rows(rows: Sequence[Row]) -> dict[str, Any]:
    """An order's rows as read from the file (its raw payload): line number and cells."""
    return {"rows": [{"line": row.line, "cells": dict(row.data)} for row in rows]}


def header_loc(line: int = 1) -> str:
    return f"line {line}: header"


def decode_strictly(raw: bytes, encoding: str) -> str:
    """The file's text in the encoding its profile names; a byte that is not of that encoding is
    a 422 naming its offset and line (nothing is guessed: a wrong guess garbles names)."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        bad = raw[exc.start : exc.end].hex(" ")
        raise PayloadError(
            [
                FieldError(
                    "file",
                    f"not {encoding} text: byte(s) {bad} at offset {exc.start} (line {line}); "
                    "the import profile names the file's encoding",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def read_rows(
    reading: Reading,
    text: str,
    delimiter: str,
    columns: Sequence[str],
    *,
    first_line: int = 1,
    fold: Callable[[str], str] = str.lower,
    optional: Collection[str] = (),
) -> list[Row]:
    """The data rows under the header on `first_line` (lines above it are skipped), each with
    the cells of `columns` (matched to the header after `fold`). A missing column (unless
    `optional`: then the rows lack it) or a doubled one rejects the file; a short row or too
    many rows is an error at its line."""
    skipped = 0
    for _ in range(first_line - 1):
        if "\n" not in text:
            break
        text = text.split("\n", 1)[1]
        skipped += 1
    head = header_loc(skipped + 1)
    if not text.strip():
        expected = delimiter.join(columns)
        raise PayloadError([FieldError(head, f"file is empty; expected a header row: {expected}")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [fold(name.strip()) for name in next(reader)]
    if len(header) > MAX_COLUMNS:
        raise PayloadError([FieldError(head, f"more than {MAX_COLUMNS} columns")])
    present = [c for c in columns if c not in optional or fold(c.strip()) in header]
    wanted = [fold(c.strip()) for c in present]
    missing = [c for c, w in zip(present, wanted, strict=True) if w not in header]
    doubled = sorted({c for c, w in zip(present, wanted, strict=True) if header.count(w) > 1})
    if missing or doubled:
        problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
        problems += [f"duplicate column(s) {', '.join(doubled)}"] if doubled else []
        raise PayloadError([FieldError(head, "; ".join(problems))])
    position = {c: header.index(w) for c, w in zip(present, wanted, strict=True)}

    rows: list[Row] = []
    count, end = 0, reader.line_num + skipped
    try:
        for cells in reader:
            # reader.line_num is the record's last line; quoted fields may span lines
            line, end = end + 1, reader.line_num + skipped
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
            rows.append(Row(reading, line, {c: cells[i] for c, i in position.items()}))
    except csv.Error as exc:
        reading.fail(f"line {reader.line_num + skipped}: row", f"unreadable CSV: {exc}")
    if count == 0:
        reading.fail(f"line {skipped + 2}: row", "no order rows after the header")
    return rows
