"""Three-way match of a carrier bill against what we quoted and labelled, vectorised with pandas.

`reconcile(bill, expected, ...)` -> (lines, discrepancies, totals).

`bill`: a BillFrame or its `.frame` (columns: see adapters/settlement/bills.py).
`expected`: one row per label ever issued, columns
    waybill, carrier, service, order_id, shipment_id,
    status ("labelled" | "dispatched" | "voided"), chargeable_weight_kg (float),
    quoted_base_cents, quoted_fuel_cents, fuel_pct (e.g. 19.75),
    quoted_surcharges (JSON object name -> cents, or a dict; "" / None = none),
    quoted_total_cents, currency.
Waybills match after removing spaces and upper-casing, on both sides. If `expected` holds a
waybill twice, the last row wins.

`reconcile` matches the lines, runs the checks (adapters/settlement/checks.py, one per rule
below), then writes the discrepancy rows, the lines and the totals.

Rules (each a row of `discrepancies`; one bill line can have several):

- unknown_waybill: no label with that waybill. Nothing more is checked on the line.
- voided_label_billed: the label was voided. Nothing more is checked.
- duplicate_billing: the waybill is on an earlier line of this bill (the first line is billed
  normally, every later one is flagged) or in `previously_billed` (every line is flagged).
  Nothing more is checked on a flagged line. For these three kinds the whole line total is the
  difference: we expect to pay nothing for it.
- currency_mismatch: billed in another currency than the quote. Amounts are then not compared
  (difference_cents is empty), and base/surcharge amount checks are skipped; the weight, the
  surcharge names and the fuel % (a ratio) are still checked.
- overweight: billed weight above the chargeable weight by more than BOTH tolerances, i.e.
  over > weight_tolerance_kg AND over > weight_tolerance_pct x chargeable (so the larger one
  decides); exactly at a tolerance is not flagged. Compared in whole grams, exactly.
  difference_cents = billed base - quoted base.
- base_rate_mismatch: only when the weights agree (billed within the same tolerances of the
  chargeable weight, in either direction: the quote is only evidence for that weight) and the
  currencies match: |billed base - quoted base| > amount_tolerance_cents.
  difference_cents = billed - quoted (negative = undercharged).
- surcharge_not_in_contract: a non-zero billed surcharge whose name is not a key of the quote's
  quoted_surcharges; one row per surcharge (column `surcharge`), difference = billed amount.
- surcharge_amount_mismatch (extra kind): a quoted surcharge billed at another amount beyond
  amount_tolerance_cents, when weights and currencies agree.
- wrong_fuel_pct: billed fuel against the card's fuel_pct on the fuel base, where the fuel base
  is the billed base plus the billed surcharges named in `fuel_on_surcharges` (as on our rate
  cards: fuel applies to base + remote area + oversize; pass () for base only). Flagged when
  |fuel - pct x fuel base| > fuel_pct_tolerance (0.1 percentage point) x fuel base + half a cent
  (the carrier's rounding), in exact integer arithmetic. difference_cents = billed fuel -
  card pct x billed fuel base (rounded half up).

`lines`: the bill frame plus
    matched (bool), order_id, shipment_id, status (str, "" if unmatched),
    chargeable_weight_kg (float, NaN if unmatched), quoted_base_cents, quoted_fuel_cents,
    quoted_total_cents (Int64, NA if unmatched), expected_cents (int64: what we expect to pay
    for this line: the quoted total, or 0 for unknown/voided/duplicate lines),
    expected_currency (str), difference_cents (Int64: total - expected; NA on a currency
    mismatch), discrepancy_kinds (str, ";"-joined, "" if none), has_discrepancy (bool).

`discrepancies` columns: line, waybill, carrier, bill_line_ref, kind, surcharge ("" unless a
surcharge kind), expected, billed (display strings: "12.50", "2.500 kg", "19.75%", "EUR"),
expected_cents, billed_cents (Int64, NA when the kind is not an amount), difference_cents
(Int64), currency (the bill line's), explanation, order_id, shipment_id. Sorted by line, then
kind in DISCREPANCY_KINDS order.

`totals`: lines, matched, discrepancy_lines, currency (the only currency, or None if mixed),
billed_total, expected_total, overcharge, undercharge (int cents when one currency, else None),
by_currency {code: {lines, billed_total, expected_total, overcharge, undercharge}},
discrepancies {kind: count} (every kind, zeros included). Over- and undercharge add up the
per-line differences (total - expected) that are comparable (same currency): positive ones
make the overcharge, negative ones the undercharge. billed totals are per bill currency,
expected totals per quote currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adapters.settlement.bills import BillFrame
from adapters.settlement.checks import (
    Billed,
    FuelCheck,
    LineClasses,
    Quoted,
    SurchargeCheck,
    WeightCheck,
    classify_lines,
    fuel_check,
    surcharge_check,
    weight_check,
)

DISCREPANCY_KINDS: tuple[str, ...] = (
    "unknown_waybill",
    "voided_label_billed",
    "duplicate_billing",
    "currency_mismatch",
    "overweight",
    "base_rate_mismatch",
    "surcharge_not_in_contract",
    "surcharge_amount_mismatch",
    "wrong_fuel_pct",
)
_KIND_ORDER = {k: i for i, k in enumerate(DISCREPANCY_KINDS)}
_SURCHARGE_COL = re.compile(r"^surcharge_(.+)_cents$")
DISCREPANCY_COLUMNS: tuple[str, ...] = (
    "line",
    "waybill",
    "carrier",
    "bill_line_ref",
    "kind",
    "surcharge",
    "expected",
    "billed",
    "expected_cents",
    "billed_cents",
    "difference_cents",
    "currency",
    "explanation",
    "order_id",
    "shipment_id",
)
_CENTS_COLUMNS = ("expected_cents", "billed_cents", "difference_cents")


def _key(s: pd.Series) -> pd.Series:
    s = s.fillna("").astype(str)
    if s.str.contains(r"\s", regex=True).any():
        s = s.str.replace(r"\s+", "", regex=True)
    return s.str.upper()


def money(cents: Any) -> pd.Series:
    """Integer cents -> "12.50" / "-0.05" strings, vectorised."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    sign = np.where(c < 0, "-", "")
    whole = pd.Series(a // 100).astype(str)
    frac = pd.Series(a % 100).astype(str).str.zfill(2)
    return pd.Series(sign, dtype=str) + whole + "." + frac


def _kg(grams: Any) -> pd.Series:
    g = np.asarray(grams, dtype=np.int64)
    a = np.abs(g)
    sign = np.where(g < 0, "-", "")
    return (
        pd.Series(sign, dtype=str)
        + pd.Series(a // 1000).astype(str)
        + "."
        + pd.Series(a % 1000).astype(str).str.zfill(3)
        + " kg"
    )


def _pct(values: Any) -> pd.Series:
    v = pd.Series(np.asarray(values, dtype=np.float64))
    return v.map(lambda x: "n/a" if np.isnan(x) else f"{x:.2f}%")


def _int_col(frame: pd.DataFrame, name: str, idx: np.ndarray, matched: np.ndarray) -> np.ndarray:
    """frame[name] at idx as int64 (0 where unmatched or missing)."""
    if name not in frame.columns or len(frame) == 0:
        return np.zeros(len(idx), dtype=np.int64)
    col = pd.to_numeric(frame[name], errors="coerce").fillna(0).to_numpy()
    out = np.rint(col[idx]).astype(np.int64)
    out[~matched] = 0
    return out


def _str_col(frame: pd.DataFrame, name: str, idx: np.ndarray, matched: np.ndarray) -> np.ndarray:
    if name not in frame.columns or len(frame) == 0:
        return np.full(len(idx), "", dtype=object)
    col = frame[name].astype(object).where(frame[name].notna(), "").astype(str).to_numpy(object)
    out = col[idx]
    out[~matched] = ""
    return out


def reconcile(
    bill: BillFrame | pd.DataFrame,
    expected: pd.DataFrame,
    *,
    weight_tolerance_kg: float = 0.5,
    weight_tolerance_pct: float = 0.05,
    amount_tolerance_cents: int = 1,
    previously_billed: Iterable[str] = frozenset(),
    fuel_pct_tolerance: float = 0.1,
    fuel_on_surcharges: Iterable[str] = ("remote_area", "oversize"),
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Match every bill line to its label and quote; see the module doc for the rules."""
    b = (bill.frame if isinstance(bill, BillFrame) else bill).reset_index(drop=True)
    # parse_bill's waybills are normalised already
    key = b["waybill"].astype(str) if isinstance(bill, BillFrame) else _key(b["waybill"])
    exp, idx, matched = _match_labels(expected, key)
    billed = _billed(b, key)
    quoted = _quoted(exp, idx, matched)

    classes = classify_lines(billed, quoted, previously_billed)
    weight = weight_check(
        billed.grams, quoted, classes.checkable, weight_tolerance_kg, weight_tolerance_pct
    )
    comparable = classes.checkable & classes.same_currency
    base_diff = billed.base - quoted.base
    base_mismatch = comparable & weight.agree & (np.abs(base_diff) > amount_tolerance_cents)
    surcharges = surcharge_check(
        billed,
        quoted,
        exp["quoted_surcharges"] if "quoted_surcharges" in exp else pd.Series([""] * len(exp)),
        classes.checkable,
        comparable & weight.agree,
        amount_tolerance_cents,
    )
    fuel = fuel_check(billed, quoted, classes.checkable, fuel_pct_tolerance, fuel_on_surcharges)
    masks = {
        "unknown_waybill": classes.unknown,
        "voided_label_billed": classes.voided,
        "duplicate_billing": classes.duplicate,
        "currency_mismatch": classes.currency_mismatch,
        "overweight": weight.overweight,
        "base_rate_mismatch": base_mismatch,
        "surcharge_not_in_contract": _any(list(surcharges.not_in_contract.values()), len(b)),
        "surcharge_amount_mismatch": _any([m for m, _ in surcharges.amount.values()], len(b)),
        "wrong_fuel_pct": fuel.wrong,
    }

    rows = _DiscrepancyRows(b, billed.currency, quoted.order_id, quoted.shipment_id)
    _rows_for_lines_not_owed(rows, billed, quoted, classes)
    _rows_for_weight_and_base(rows, billed, quoted, classes, weight, base_diff, base_mismatch)
    _rows_for_surcharges(rows, billed, surcharges)
    _rows_for_fuel(rows, billed, quoted, fuel)
    disc = rows.frame()
    owed = _owed(billed, quoted, classes)
    lines = _line_frame(b, quoted, owed, masks)
    return lines, disc, _totals(lines, disc, billed, quoted, owed)


# --- both sides of the match, as arrays in bill-line order ---------------------------------


def _match_labels(
    expected: pd.DataFrame, key: pd.Series
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The labels (one row per waybill: the last one wins), and for each bill line the row of
    its label (0 where it has none) and whether it has one."""
    exp = expected.assign(_key=_key(expected["waybill"])).drop_duplicates("_key", keep="last")
    exp = exp.reset_index(drop=True)
    if len(exp) == 0:  # one placeholder row nothing matches, so indexing stays uniform
        exp = pd.DataFrame({c: [None] for c in exp.columns})
    idx = pd.Index(exp["_key"]).get_indexer(key)
    matched = idx >= 0
    return exp, np.where(matched, idx, 0), matched


def _billed(b: pd.DataFrame, key: pd.Series) -> Billed:
    names = [m.group(1) for c in b.columns if (m := _SURCHARGE_COL.match(c))]
    return Billed(
        key=key,
        total=b["total_cents"].to_numpy(np.int64),
        base=b["base_cents"].to_numpy(np.int64),
        fuel=b["fuel_cents"].to_numpy(np.int64),
        grams=(
            b["billed_weight_g"].to_numpy(np.int64)
            if "billed_weight_g" in b
            else np.rint(b["billed_weight_kg"].to_numpy(np.float64) * 1000).astype(np.int64)
        ),
        currency=b["currency"].astype(str).str.upper().to_numpy(object),
        surcharges={s: b[f"surcharge_{s}_cents"].to_numpy(np.int64) for s in names},
    )


def _quoted(exp: pd.DataFrame, idx: np.ndarray, matched: np.ndarray) -> Quoted:
    chg_kg = pd.to_numeric(exp["chargeable_weight_kg"], errors="coerce").to_numpy(np.float64)[idx]
    chg_kg[~matched] = np.nan
    fuel_pct = pd.to_numeric(exp["fuel_pct"], errors="coerce").to_numpy(np.float64)[idx]
    fuel_pct[~matched] = np.nan
    return Quoted(
        idx=idx,
        matched=matched,
        status=_str_col(exp, "status", idx, matched),
        currency=np.char.upper(_str_col(exp, "currency", idx, matched).astype(str)).astype(object),
        base=_int_col(exp, "quoted_base_cents", idx, matched),
        fuel=_int_col(exp, "quoted_fuel_cents", idx, matched),
        total=_int_col(exp, "quoted_total_cents", idx, matched),
        chargeable_kg=chg_kg,
        fuel_pct=fuel_pct,
        order_id=_str_col(exp, "order_id", idx, matched),
        shipment_id=_str_col(exp, "shipment_id", idx, matched),
    )


def _any(masks: list[np.ndarray], n: int) -> np.ndarray:
    return np.logical_or.reduce(masks or [np.zeros(n, dtype=bool)])


# --- discrepancy rows -----------------------------------------------------------------------


class _DiscrepancyRows:
    """The discrepancy rows, one block per kind. A callable argument gets the kind's mask, so
    only flagged rows are ever formatted."""

    def __init__(
        self, b: pd.DataFrame, currency: np.ndarray, order_id: np.ndarray, shipment_id: np.ndarray
    ) -> None:
        self.b = b
        self.currency = currency
        self.order_id = order_id
        self.shipment_id = shipment_id
        self.line = b["line"].to_numpy(np.int64)
        self.blocks: list[pd.DataFrame] = []

    def add(
        self,
        kind: str,
        mask: np.ndarray,
        expected_s: Any,
        billed_s: Any,
        expected_c: Any,
        billed_c: Any,
        diff: Any,
        explanation: Any,
        surcharge: str = "",
    ) -> None:
        if not mask.any():
            return
        count = int(mask.sum())

        def pick(v: Any, dtype: str | None = None) -> Any:
            if callable(v):
                v = v(mask)
                v = v.to_numpy() if isinstance(v, pd.Series) else v
                return pd.array(v, dtype=dtype) if dtype else np.asarray(v, dtype=object)
            if isinstance(v, pd.api.extensions.ExtensionArray):
                return v[mask]
            if isinstance(v, (pd.Series, np.ndarray)):
                arr = np.asarray(v)[mask]
                return pd.array(arr, dtype=dtype) if dtype else arr
            return pd.array([v] * count, dtype=dtype) if dtype else v

        b = self.b
        self.blocks.append(
            pd.DataFrame(
                {
                    "line": self.line[mask],
                    "waybill": b["waybill"].to_numpy(object)[mask],
                    "carrier": b["carrier"].to_numpy(object)[mask] if "carrier" in b else "",
                    "bill_line_ref": (
                        b["bill_line_ref"].to_numpy(object)[mask] if "bill_line_ref" in b else ""
                    ),
                    "kind": kind,
                    "surcharge": surcharge,
                    "expected": pick(expected_s),
                    "billed": pick(billed_s),
                    "expected_cents": pick(expected_c, "Int64"),
                    "billed_cents": pick(billed_c, "Int64"),
                    "difference_cents": pick(diff, "Int64"),
                    "currency": self.currency[mask],
                    "explanation": pick(explanation),
                    "order_id": self.order_id[mask],
                    "shipment_id": self.shipment_id[mask],
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        """Every row, by line, then kind in DISCREPANCY_KINDS order."""
        if self.blocks:
            disc = pd.concat(self.blocks, ignore_index=True)
            disc["_k"] = disc["kind"].map(_KIND_ORDER)
            disc = disc.sort_values(["line", "_k", "surcharge"], kind="stable").drop(columns="_k")
            disc = disc.reset_index(drop=True)
        else:
            disc = pd.DataFrame({c: pd.Series(dtype=object) for c in DISCREPANCY_COLUMNS})
            for c in _CENTS_COLUMNS:
                disc[c] = disc[c].astype("Int64")
            disc["line"] = disc["line"].astype("int64")
        for c in DISCREPANCY_COLUMNS:
            if c != "line" and c not in _CENTS_COLUMNS:
                disc[c] = disc[c].astype(str)
        return disc[list(DISCREPANCY_COLUMNS)]


def _rows_for_lines_not_owed(
    rows: _DiscrepancyRows, billed: Billed, quoted: Quoted, classes: LineClasses
) -> None:
    """Unknown, voided and duplicate lines (the whole total is the difference: we expect to pay
    nothing), and lines billed in another currency than the quote (amounts not compared)."""
    total, cur, e_cur, na = billed.total, billed.currency, quoted.currency, pd.NA

    def tot_s(m: np.ndarray) -> pd.Series:
        return money(total[m])

    def dup_expl(m: np.ndarray) -> np.ndarray:
        firsts = pd.Series(rows.line, index=billed.key.to_numpy())
        firsts = firsts[~firsts.index.duplicated(keep="first")]
        first = firsts.reindex(billed.key.to_numpy()[m]).to_numpy()
        return np.where(
            classes.billed_before[m],
            "already billed on an earlier bill",
            "already billed on line " + pd.Series(first).astype(str) + " of this bill",
        )

    rows.add(
        "unknown_waybill",
        classes.unknown,
        "",
        tot_s,
        na,
        total,
        total,
        "no label was issued with this waybill",
    )
    rows.add(
        "voided_label_billed",
        classes.voided,
        "0.00",
        tot_s,
        0,
        total,
        total,
        "the label was voided; nothing is owed",
    )
    rows.add("duplicate_billing", classes.duplicate, "0.00", tot_s, 0, total, total, dup_expl)
    rows.add(
        "currency_mismatch",
        classes.currency_mismatch,
        e_cur,
        cur,
        na,
        na,
        na,
        lambda m: (
            "billed in "
            + pd.Series(cur[m]).astype(str)
            + ", quoted in "
            + pd.Series(e_cur[m]).astype(str)
            + "; amounts not compared"
        ),
    )


def _rows_for_weight_and_base(
    rows: _DiscrepancyRows,
    billed: Billed,
    quoted: Quoted,
    classes: LineClasses,
    weight: WeightCheck,
    base_diff: np.ndarray,
    base_mismatch: np.ndarray,
) -> None:
    base, q_base, na = billed.base, quoted.base, pd.NA
    if weight.overweight.any():
        same_cur = classes.same_currency
        ow_diff = pd.array(np.where(same_cur, base_diff, 0), dtype="Int64")
        ow_diff[~same_cur] = pd.NA
        chg_g = quoted.chargeable_g
        pct_g = chg_g * weight.tolerance_ppm // 1_000_000
        rows.add(
            "overweight",
            weight.overweight,
            lambda m: _kg(chg_g[m]),
            lambda m: _kg(billed.grams[m]),
            na,
            na,
            ow_diff,
            lambda m: (
                "billed "
                + _kg(weight.over_g[m])
                + " over the chargeable weight (flagged above both "
                + _kg(np.full(int(m.sum()), weight.tolerance_g))
                + " and "
                + f"{weight.tolerance_pct:.0%} = "
                + _kg(pct_g[m])
                + "); base "
                + money(base[m])
                + " vs quoted "
                + money(q_base[m])
            ),
        )
    rows.add(
        "base_rate_mismatch",
        base_mismatch,
        lambda m: money(q_base[m]),
        lambda m: money(base[m]),
        q_base,
        base,
        base_diff,
        "base rate is not the quoted contract rate for this zone and weight",
    )


def _rows_for_surcharges(rows: _DiscrepancyRows, billed: Billed, check: SurchargeCheck) -> None:
    for s, sur in billed.surcharges.items():
        rows.add(
            "surcharge_not_in_contract",
            check.not_in_contract[s],
            "0.00",
            lambda m, sur=sur: money(sur[m]),
            0,
            sur,
            sur,
            f"surcharge {s} is not in the quote",
            surcharge=s,
        )
        wrong, q_amt = check.amount[s]
        rows.add(
            "surcharge_amount_mismatch",
            wrong,
            lambda m, q_amt=q_amt: money(q_amt[m]),
            lambda m, sur=sur: money(sur[m]),
            q_amt,
            sur,
            sur - q_amt,
            f"surcharge {s} differs from the quote",
            surcharge=s,
        )


def _rows_for_fuel(rows: _DiscrepancyRows, billed: Billed, quoted: Quoted, fuel: FuelCheck) -> None:
    rows.add(
        "wrong_fuel_pct",
        fuel.wrong,
        lambda m: _pct(quoted.fuel_pct[m]),
        lambda m: _pct(fuel.implied_pct[m]),
        fuel.expected,
        billed.fuel,
        billed.fuel - fuel.expected,
        lambda m: (
            "fuel "
            + money(billed.fuel[m])
            + " on a fuel base of "
            + money(fuel.base[m])
            + "; the card's "
            + _pct(quoted.fuel_pct[m])
            + " gives "
            + money(fuel.expected[m])
        ),
    )


# --- the lines and the totals ----------------------------------------------------------------


@dataclass(frozen=True)
class _Owed:
    """What we expect to pay for each line: the quoted total in the quote's currency, or
    nothing (in the bill line's currency) for a line not owed."""

    cents: np.ndarray
    currency: np.ndarray
    difference: np.ndarray  # billed - expected, cents; 0 where the currencies differ
    comparable: np.ndarray  # billed in the expected currency


def _owed(billed: Billed, quoted: Quoted, classes: LineClasses) -> _Owed:
    cents = np.where(classes.checkable, quoted.total, 0)
    currency = np.where(classes.checkable, quoted.currency, billed.currency)
    comparable = billed.currency == currency
    return _Owed(cents, currency, np.where(comparable, billed.total - cents, 0), comparable)


def _line_frame(
    b: pd.DataFrame, quoted: Quoted, owed: _Owed, masks: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The bill frame plus, per line, its label, what we expect to pay and the kinds found."""
    kinds = np.full(len(b), "", dtype=object)
    for kind, mask in masks.items():
        if mask.any():
            kinds[mask] = kinds[mask] + ";" + kind
    kinds = pd.Series(kinds, dtype=str).str.lstrip(";")
    diff = pd.array(owed.difference, dtype="Int64")
    diff[~owed.comparable] = pd.NA  # amounts in two currencies are not compared
    lines = b.copy()
    lines["matched"] = quoted.matched
    lines["order_id"] = quoted.order_id
    lines["shipment_id"] = quoted.shipment_id
    lines["status"] = quoted.status
    lines["chargeable_weight_kg"] = quoted.chargeable_kg.copy()
    for name, arr in (
        ("quoted_base_cents", quoted.base),
        ("quoted_fuel_cents", quoted.fuel),
        ("quoted_total_cents", quoted.total),
    ):
        col = pd.array(arr, dtype="Int64")
        col[~quoted.matched] = pd.NA
        lines[name] = col
    lines["expected_cents"] = owed.cents.astype(np.int64)
    lines["expected_currency"] = owed.currency
    lines["difference_cents"] = diff
    lines["discrepancy_kinds"] = kinds.to_numpy()
    lines["has_discrepancy"] = (kinds != "").to_numpy()
    for c in ("order_id", "shipment_id", "status", "expected_currency", "discrepancy_kinds"):
        lines[c] = lines[c].astype(str)
    return lines


def _totals(
    lines: pd.DataFrame, disc: pd.DataFrame, billed: Billed, quoted: Quoted, owed: _Owed
) -> dict[str, Any]:
    """Billed totals per bill currency, expected totals per quote currency; over- and
    undercharge add up the comparable (same currency) per-line differences."""
    total, cur = billed.total, billed.currency
    by_currency: dict[str, dict[str, int]] = {}
    billed_by = pd.Series(total).groupby(cur).agg(["sum", "size"])
    for c, row in billed_by.iterrows():
        by_currency.setdefault(str(c), _zero())
        by_currency[str(c)]["billed_total"] = int(row["sum"])
        by_currency[str(c)]["lines"] = int(row["size"])
    for c, v in pd.Series(owed.cents).groupby(owed.currency).sum().items():
        by_currency.setdefault(str(c), _zero())["expected_total"] = int(v)
    d = owed.difference
    for c, v in pd.Series(np.maximum(d, 0)).groupby(cur).sum().items():
        by_currency[str(c)]["overcharge"] = int(v)
    for c, v in pd.Series(np.maximum(-d, 0)).groupby(cur).sum().items():
        by_currency[str(c)]["undercharge"] = int(v)
    single = next(iter(by_currency)) if len(by_currency) == 1 else None
    counts = disc["kind"].value_counts()
    return {
        "lines": len(lines),
        "matched": int(quoted.matched.sum()),
        "discrepancy_lines": int(lines["has_discrepancy"].sum()),
        "currency": single,
        **{
            k: (by_currency[single][k] if single else None)
            for k in ("billed_total", "expected_total", "overcharge", "undercharge")
        },
        "by_currency": by_currency,
        "discrepancies": {k: int(counts.get(k, 0)) for k in DISCREPANCY_KINDS},
    }


def _zero() -> dict[str, int]:
    return {"lines": 0, "billed_total": 0, "expected_total": 0, "overcharge": 0, "undercharge": 0}
