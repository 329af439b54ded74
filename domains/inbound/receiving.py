"""The packing list checked line by line, and what the dock counted weighed against it.

`packing_lines` checks every line of an advance shipping notice (JSON cartons or an uploaded
packing list, both flattened to rows that say where they came from) and answers the cartons
or every error, each naming its row and column. `discrepancies` compares counts per carton,
SKU and lot with the packing list: short, over and damaged units, each with its reason, and
the good units that go to stock. Pure: data in, data out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_UNITS = 10_000_000


def _qty(value: Any) -> int | None:
    try:
        q = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return int(q) if q == q.to_integral_value() and 0 < q <= MAX_UNITS else None


def _amount(value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return Decimal(-1)
    return d if d.is_finite() else Decimal(-1)


def packing_lines(
    rows: list[dict[str, Any]], product: Callable[[str], Any | None], today: date
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """`rows`: {"where" (e.g. "row 3" or "cartons[0].lines[1]"), "carton_no", "sku",
    "quantity", "lot", "expiry", "unit_value", "weight_kg", "volume_m3"}; `product(sku)` the
    catalogue entry or None. Answers the cartons (in first-seen order) or the errors."""
    errors: list[dict[str, str]] = []
    cartons: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, str, str | None]] = set()
    if not rows:
        errors.append({"loc": "cartons", "msg": "no lines: an inbound carries goods"})

    columns: dict[str, str] = {}

    def bad(where: str, column: str, msg: str) -> None:
        # an uploaded file's rows name the file's own column ("row 3.Qty (pcs)")
        errors.append({"loc": f"{where}.{columns.get(column, column)}", "msg": msg})

    for r in rows:
        where = r["where"]
        columns = r.get("columns") or {}
        carton = str(r.get("carton_no") or "").strip()
        sku = str(r.get("sku") or "").strip()
        lot = str(r.get("lot") or "").strip() or None
        if not carton:
            bad(where, "carton_no", "a carton number is required")
        p = product(sku) if sku else None
        if not sku:
            bad(where, "sku", "a SKU is required")
        elif p is None:
            bad(where, "sku", f"unknown SKU {sku!r}")
        quantity = _qty(r.get("quantity"))
        if quantity is None:
            bad(where, "quantity", f"a whole number of units above 0, not {r.get('quantity')!r}")
        expiry = str(r.get("expiry") or "").strip() or None
        if expiry is not None:
            try:
                exp = date.fromisoformat(expiry[:10])
                expiry = exp.isoformat()
                if exp <= today:
                    bad(where, "expiry", f"expired on {expiry}")
            except ValueError:
                bad(where, "expiry", f"not a date (YYYY-MM-DD): {expiry!r}")
        elif p is not None and p.perishable:
            bad(where, "expiry", f"{sku} is perishable: an expiry date is required")
        if p is not None and p.perishable and lot is None:
            bad(where, "lot", f"{sku} is perishable: a lot is required")
        numbers = {}
        for column in ("unit_value", "weight_kg", "volume_m3", "gross_weight_kg"):
            v = _amount(r.get(column))
            if v is not None and v < 0:
                bad(where, column, f"not an amount of 0 or more: {r.get(column)!r}")
            numbers[column] = v
        key = (carton, sku, lot)
        if carton and sku and key in seen:
            bad(where, "sku", f"{sku} lot {lot} is listed twice in carton {carton}")
        seen.add(key)
        if p is None or quantity is None or not carton:
            continue
        length, width, height = p.dimensions_mm
        line = {
            "sku": sku,
            "quantity": quantity,
            "lot": lot,
            "expiry": expiry,
            "unit_value": str(numbers["unit_value"] if numbers["unit_value"] is not None
                              else p.unit_value),
            "value_currency": r.get("currency") or p.currency,
            # per unit: the packing list's line weight shared over its units, else the catalogue's
            "unit_weight_kg": str((numbers["weight_kg"] / quantity).quantize(Decimal("0.0001"))
                                  if numbers["weight_kg"] else Decimal(p.unit_weight_g) / 1000),
            "unit_volume_m3": str((numbers["volume_m3"] / quantity).quantize(Decimal("0.000001"))
                                  if numbers["volume_m3"]
                                  else Decimal(length * width * height) / 10**9),
        }  # fmt: skip
        c = cartons.setdefault(carton, {"carton_no": carton, "gross_weight_kg": None, "lines": []})
        if numbers["gross_weight_kg"] is not None:
            c["gross_weight_kg"] = str(numbers["gross_weight_kg"])
        c["lines"].append(line)
    return (list(cartons.values()) if not errors else []), errors


def discrepancies(
    expected: dict[tuple[str, str, str | None], int],
    counted: dict[tuple[str, str, str | None], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Short, over and damaged units per carton, SKU and lot. A carton line nobody counted is
    short by all of it ("not found at the dock"); a counted line the packing list does not
    have is over by all of it."""
    out = []
    for key in sorted(set(expected) | set(counted), key=lambda k: (k[0], k[1], k[2] or "")):
        carton, sku, lot = key
        want = expected.get(key, 0)
        c = counted.get(key)
        good = c["good"] if c else 0
        damaged = c["damaged"] if c else 0
        reason = (c or {}).get("reason") or ""
        here = {"carton_no": carton, "sku": sku, "lot": lot, "expected": want}
        if c is None:
            out.append({**here, "kind": "short", "quantity": want,
                        "reason": "not found at the dock"})  # fmt: skip
            continue
        if damaged:
            out.append({**here, "kind": "damaged", "quantity": damaged, "reason": reason})
        if good + damaged < want:
            out.append({**here, "kind": "short", "quantity": want - good - damaged,
                        "reason": reason})  # fmt: skip
        elif good + damaged > want:
            out.append({**here, "kind": "over", "quantity": good + damaged - want,
                        "reason": reason})  # fmt: skip
    return out


def good_units(
    counted: dict[tuple[str, str, str | None], dict[str, Any]],
) -> dict[tuple[str, str | None], int]:
    """(SKU, lot) -> good units counted across cartons: what goes to stock."""
    out: dict[tuple[str, str | None], int] = {}
    for (_carton, sku, lot), c in counted.items():
        if c["good"]:
            out[(sku, lot)] = out.get((sku, lot), 0) + c["good"]
    return out
