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

import json
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from adapters.settlement.bills import BillFrame

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


def _quoted_surcharges(
    values: pd.Series, names: Iterable[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per surcharge name: (present bool, cents int64) per row of `values`.

    JSON is parsed once per distinct value (quotes repeat a handful of surcharge sets), then
    spread back with integer indexing.
    """
    names = list(names)
    if not names:
        return {}
    text = values.map(
        lambda v: json.dumps(v, sort_keys=True) if isinstance(v, dict) else ("" if v is None else v)
    )
    codes, uniques = pd.factorize(text.fillna("").astype(str), use_na_sentinel=False)
    parsed: list[dict[str, Any]] = []
    for u in uniques:  # distinct values only
        u = str(u).strip()
        try:
            obj = json.loads(u) if u and u.lower() not in ("nan", "none", "null") else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"quoted_surcharges is not JSON: {u[:60]!r}: {exc}") from None
        if not isinstance(obj, dict):
            raise ValueError(f"quoted_surcharges is not a JSON object: {u[:60]!r}")
        parsed.append({str(k).strip().lower(): v for k, v in obj.items()})
    out = {}
    for name in names:
        has_u = np.array([name in p for p in parsed], dtype=bool)
        amt_u = np.array([int(round(float(p.get(name) or 0))) for p in parsed], dtype=np.int64)
        out[name] = (has_u[codes], amt_u[codes])
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
    n = len(b)
    # parse_bill's waybills are normalised already
    key = b["waybill"].astype(str) if isinstance(bill, BillFrame) else _key(b["waybill"])
    exp = expected.assign(_key=_key(expected["waybill"])).drop_duplicates("_key", keep="last")
    exp = exp.reset_index(drop=True)
    if len(exp) == 0:  # one placeholder row nothing matches, so indexing stays uniform
        exp = pd.DataFrame({c: [None] for c in exp.columns})
    idx = pd.Index(exp["_key"]).get_indexer(key)
    matched = idx >= 0
    idx = np.where(matched, idx, 0)

    total = b["total_cents"].to_numpy(np.int64)
    base = b["base_cents"].to_numpy(np.int64)
    fuel = b["fuel_cents"].to_numpy(np.int64)
    billed_g = (
        b["billed_weight_g"].to_numpy(np.int64)
        if "billed_weight_g" in b
        else np.rint(b["billed_weight_kg"].to_numpy(np.float64) * 1000).astype(np.int64)
    )
    cur = b["currency"].astype(str).str.upper().to_numpy(object)
    surcharge_names = [m.group(1) for c in b.columns if (m := _SURCHARGE_COL.match(c))]
    billed_sur = {s: b[f"surcharge_{s}_cents"].to_numpy(np.int64) for s in surcharge_names}

    status = _str_col(exp, "status", idx, matched)
    e_cur = np.char.upper(_str_col(exp, "currency", idx, matched).astype(str)).astype(object)
    q_base = _int_col(exp, "quoted_base_cents", idx, matched)
    q_fuel = _int_col(exp, "quoted_fuel_cents", idx, matched)
    q_total = _int_col(exp, "quoted_total_cents", idx, matched)
    chg_kg = pd.to_numeric(exp["chargeable_weight_kg"], errors="coerce").to_numpy(np.float64)[idx]
    chg_kg[~matched] = np.nan
    has_chg = ~np.isnan(chg_kg)
    chg_g = np.rint(np.nan_to_num(chg_kg) * 1000).astype(np.int64)
    fuel_pct = pd.to_numeric(exp["fuel_pct"], errors="coerce").to_numpy(np.float64)[idx]
    fuel_pct[~matched] = np.nan

    # --- line classes
    unknown = ~matched
    voided = matched & (np.char.lower(status.astype(str)) == "voided")
    prev = {re.sub(r"\s+", "", str(w)).upper() for w in previously_billed}
    dup_here = key.duplicated(keep="first").to_numpy()
    dup_prev = key.isin(prev).to_numpy() if prev else np.zeros(n, dtype=bool)
    duplicate = dup_here | dup_prev
    checkable = matched & ~voided & ~duplicate
    same_cur = cur == e_cur
    currency_mismatch = checkable & ~same_cur

    # --- weight, in integer grams
    tol_g = int(round(weight_tolerance_kg * 1000))
    pct_ppm = int(round(weight_tolerance_pct * 1_000_000))
    over_g = billed_g - chg_g
    beyond = (np.abs(over_g) > tol_g) & (np.abs(over_g) * 1_000_000 > chg_g * pct_ppm)
    overweight = checkable & has_chg & (over_g > 0) & beyond
    weights_agree = has_chg & ~beyond
    comparable = checkable & same_cur

    base_diff = base - q_base
    base_mismatch = comparable & weights_agree & (np.abs(base_diff) > amount_tolerance_cents)

    # --- surcharges
    quoted = _quoted_surcharges(
        exp["quoted_surcharges"] if "quoted_surcharges" in exp else pd.Series([""] * len(exp)),
        surcharge_names,
    )
    sur_not_in: dict[str, np.ndarray] = {}
    sur_amount: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in surcharge_names:
        has_u, amt_u = quoted[s]
        has = has_u[idx] & matched
        q_amt = np.where(has, amt_u[idx], 0)
        sur_not_in[s] = checkable & (billed_sur[s] != 0) & ~has
        wrong = comparable & weights_agree & has
        wrong &= np.abs(billed_sur[s] - q_amt) > amount_tolerance_cents
        sur_amount[s] = (wrong, q_amt)

    # --- fuel %, exact: pct in basis points, amounts x 10,000
    fuel_set = {f.lower() for f in fuel_on_surcharges}
    fuel_base = base.copy()
    for s in surcharge_names:
        if s in fuel_set or any(s.startswith(f) for f in fuel_set):
            fuel_base += billed_sur[s]
    has_pct = ~np.isnan(fuel_pct)
    pct_bp = np.rint(np.nan_to_num(fuel_pct) * 100).astype(np.int64)
    tol_bp = int(round(fuel_pct_tolerance * 100))
    deviation = np.abs(fuel * 10_000 - fuel_base * pct_bp)
    wrong_fuel = checkable & has_pct & (deviation > np.abs(fuel_base) * tol_bp + 5_000)
    fuel_expected = np.sign(fuel_base * pct_bp) * ((np.abs(fuel_base * pct_bp) + 5_000) // 10_000)
    with np.errstate(divide="ignore", invalid="ignore"):
        implied_pct = np.where(fuel_base != 0, fuel * 100.0 / fuel_base, np.nan)

    # --- discrepancy rows, one block per kind; a callable argument gets the kind's mask, so
    # only flagged rows are ever formatted
    order_id = _str_col(exp, "order_id", idx, matched)
    shipment_id = _str_col(exp, "shipment_id", idx, matched)
    lines_col = b["line"].to_numpy(np.int64)
    blocks: list[pd.DataFrame] = []
    na = pd.NA

    def block(
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

        blocks.append(
            pd.DataFrame(
                {
                    "line": lines_col[mask],
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
                    "currency": cur[mask],
                    "explanation": pick(explanation),
                    "order_id": order_id[mask],
                    "shipment_id": shipment_id[mask],
                }
            )
        )

    def tot_s(m: np.ndarray) -> pd.Series:
        return money(total[m])

    block(
        "unknown_waybill",
        unknown,
        "",
        tot_s,
        na,
        total,
        total,
        "no label was issued with this waybill",
    )
    block(
        "voided_label_billed",
        voided,
        "0.00",
        tot_s,
        0,
        total,
        total,
        "the label was voided; nothing is owed",
    )

    def dup_expl(m: np.ndarray) -> np.ndarray:
        firsts = pd.Series(lines_col, index=key.to_numpy())
        firsts = firsts[~firsts.index.duplicated(keep="first")]
        first = firsts.reindex(key.to_numpy()[m]).to_numpy()
        return np.where(
            dup_prev[m],
            "already billed on an earlier bill",
            "already billed on line " + pd.Series(first).astype(str) + " of this bill",
        )

    block("duplicate_billing", duplicate, "0.00", tot_s, 0, total, total, dup_expl)
    block(
        "currency_mismatch",
        currency_mismatch,
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
    if overweight.any():
        ow_diff = pd.array(np.where(same_cur, base_diff, 0), dtype="Int64")
        ow_diff[~same_cur] = pd.NA
        pct_g = chg_g * pct_ppm // 1_000_000
        block(
            "overweight",
            overweight,
            lambda m: _kg(chg_g[m]),
            lambda m: _kg(billed_g[m]),
            na,
            na,
            ow_diff,
            lambda m: (
                "billed "
                + _kg(over_g[m])
                + " over the chargeable weight (flagged above both "
                + _kg(np.full(int(m.sum()), tol_g))
                + " and "
                + f"{weight_tolerance_pct:.0%} = "
                + _kg(pct_g[m])
                + "); base "
                + money(base[m])
                + " vs quoted "
                + money(q_base[m])
            ),
        )
    block(
        "base_rate_mismatch",
        base_mismatch,
        lambda m: money(q_base[m]),
        lambda m: money(base[m]),
        q_base,
        base,
        base_diff,
        "base rate is not the quoted contract rate for this zone and weight",
    )
    for s in surcharge_names:
        sur = billed_sur[s]
        block(
            "surcharge_not_in_contract",
            sur_not_in[s],
            "0.00",
            lambda m, sur=sur: money(sur[m]),
            0,
            sur,
            sur,
            f"surcharge {s} is not in the quote",
            surcharge=s,
        )
        wrong, q_amt = sur_amount[s]
        block(
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
    block(
        "wrong_fuel_pct",
        wrong_fuel,
        lambda m: _pct(fuel_pct[m]),
        lambda m: _pct(implied_pct[m]),
        fuel_expected,
        fuel,
        fuel - fuel_expected,
        lambda m: (
            "fuel "
            + money(fuel[m])
            + " on a fuel base of "
            + money(fuel_base[m])
            + "; the card's "
            + _pct(fuel_pct[m])
            + " gives "
            + money(fuel_expected[m])
        ),
    )

    if blocks:
        disc = pd.concat(blocks, ignore_index=True)
        disc["_k"] = disc["kind"].map(_KIND_ORDER)
        disc = disc.sort_values(["line", "_k", "surcharge"], kind="stable").drop(columns="_k")
        disc = disc.reset_index(drop=True)
    else:
        disc = pd.DataFrame({c: pd.Series(dtype=object) for c in DISCREPANCY_COLUMNS})
        for c in ("expected_cents", "billed_cents", "difference_cents"):
            disc[c] = disc[c].astype("Int64")
        disc["line"] = disc["line"].astype("int64")
    for c in (
        "waybill",
        "carrier",
        "bill_line_ref",
        "kind",
        "surcharge",
        "expected",
        "billed",
        "currency",
        "explanation",
        "order_id",
        "shipment_id",
    ):
        disc[c] = disc[c].astype(str)
    disc = disc[list(DISCREPANCY_COLUMNS)]

    # --- lines
    masks = {
        "unknown_waybill": unknown,
        "voided_label_billed": voided,
        "duplicate_billing": duplicate,
        "currency_mismatch": currency_mismatch,
        "overweight": overweight,
        "base_rate_mismatch": base_mismatch,
        "surcharge_not_in_contract": np.logical_or.reduce(
            [m for m in sur_not_in.values()] or [np.zeros(n, dtype=bool)]
        ),
        "surcharge_amount_mismatch": np.logical_or.reduce(
            [m for m, _ in sur_amount.values()] or [np.zeros(n, dtype=bool)]
        ),
        "wrong_fuel_pct": wrong_fuel,
    }
    kinds = np.full(n, "", dtype=object)
    for kind, mask in masks.items():
        if mask.any():
            kinds[mask] = kinds[mask] + ";" + kind
    kinds = pd.Series(kinds, dtype=str).str.lstrip(";")
    expected_cents = np.where(checkable, q_total, 0)
    expected_currency = np.where(checkable, e_cur, cur)
    same_line_cur = cur == expected_currency
    diff = pd.array(total - expected_cents, dtype="Int64")
    diff[~same_line_cur] = pd.NA
    chg_out = chg_kg.copy()
    lines = b.copy()
    lines["matched"] = matched
    lines["order_id"] = order_id
    lines["shipment_id"] = shipment_id
    lines["status"] = status
    lines["chargeable_weight_kg"] = chg_out
    for name, arr in (
        ("quoted_base_cents", q_base),
        ("quoted_fuel_cents", q_fuel),
        ("quoted_total_cents", q_total),
    ):
        col = pd.array(arr, dtype="Int64")
        col[~matched] = pd.NA
        lines[name] = col
    lines["expected_cents"] = expected_cents.astype(np.int64)
    lines["expected_currency"] = expected_currency
    lines["difference_cents"] = diff
    lines["discrepancy_kinds"] = kinds.to_numpy()
    lines["has_discrepancy"] = (kinds != "").to_numpy()
    for c in ("order_id", "shipment_id", "status", "expected_currency", "discrepancy_kinds"):
        lines[c] = lines[c].astype(str)

    # --- totals
    by_currency: dict[str, dict[str, int]] = {}
    billed_by = pd.Series(total).groupby(cur).agg(["sum", "size"])
    for c, row in billed_by.iterrows():
        by_currency.setdefault(str(c), _zero())
        by_currency[str(c)]["billed_total"] = int(row["sum"])
        by_currency[str(c)]["lines"] = int(row["size"])
    for c, v in pd.Series(expected_cents).groupby(expected_currency).sum().items():
        by_currency.setdefault(str(c), _zero())["expected_total"] = int(v)
    d = np.where(same_line_cur, total - expected_cents, 0)
    for c, v in pd.Series(np.maximum(d, 0)).groupby(cur).sum().items():
        by_currency[str(c)]["overcharge"] = int(v)
    for c, v in pd.Series(np.maximum(-d, 0)).groupby(cur).sum().items():
        by_currency[str(c)]["undercharge"] = int(v)
    single = next(iter(by_currency)) if len(by_currency) == 1 else None
    counts = disc["kind"].value_counts()
    totals: dict[str, Any] = {
        "lines": n,
        "matched": int(matched.sum()),
        "discrepancy_lines": int(lines["has_discrepancy"].sum()),
        "currency": single,
        **{
            k: (by_currency[single][k] if single else None)
            for k in ("billed_total", "expected_total", "overcharge", "undercharge")
        },
        "by_currency": by_currency,
        "discrepancies": {k: int(counts.get(k, 0)) for k in DISCREPANCY_KINDS},
    }
    return lines, disc, totals


def _zero() -> dict[str, int]:
    return {"lines": 0, "billed_total": 0, "expected_total": 0, "overcharge": 0, "undercharge": 0}
