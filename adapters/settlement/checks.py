"""The reconciliation's checks (the rules are in adapters/settlement/reconcile.py's docstring):
each a boolean mask over the bill lines, on the bill and its labels as arrays in bill-line
order. Money in integer cents, weights in whole grams, percentages in basis points: every
comparison is exact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Billed:
    """What the carrier billed, per bill line."""

    key: pd.Series  # the waybill, normalised
    total: np.ndarray  # cents
    base: np.ndarray
    fuel: np.ndarray
    grams: np.ndarray  # billed weight, whole grams
    currency: np.ndarray  # upper case
    surcharges: dict[str, np.ndarray]  # surcharge name -> cents, in the bill's column order


@dataclass(frozen=True)
class Quoted:
    """The label and quote of each bill line ("" / 0 / NaN where it has none)."""

    idx: np.ndarray  # its row in the labels
    matched: np.ndarray
    status: np.ndarray
    currency: np.ndarray
    base: np.ndarray  # cents
    fuel: np.ndarray
    total: np.ndarray
    chargeable_kg: np.ndarray  # NaN when unmatched or unknown
    fuel_pct: np.ndarray  # the card's, e.g. 19.75; NaN when unmatched or unknown
    order_id: np.ndarray
    shipment_id: np.ndarray

    @property
    def has_chargeable(self) -> np.ndarray:
        return ~np.isnan(self.chargeable_kg)

    @property
    def chargeable_g(self) -> np.ndarray:
        return np.rint(np.nan_to_num(self.chargeable_kg) * 1000).astype(np.int64)


# --- the checks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineClasses:
    unknown: np.ndarray  # no label with that waybill
    voided: np.ndarray  # the label was voided
    repeated_here: np.ndarray  # an earlier line of this bill has the waybill
    billed_before: np.ndarray  # an earlier bill had it
    checkable: np.ndarray  # none of the above: its amounts are checked
    same_currency: np.ndarray  # billed in the quote's currency

    @property
    def duplicate(self) -> np.ndarray:
        return self.repeated_here | self.billed_before

    @property
    def currency_mismatch(self) -> np.ndarray:
        return self.checkable & ~self.same_currency


def classify_lines(billed: Billed, quoted: Quoted, previously_billed: Iterable[str]) -> LineClasses:
    """Lines we expect to pay nothing for (no label, a voided label, billed already: the first
    line with a waybill is billed normally, every later one and every one billed on an earlier
    bill is a duplicate); every other line is checked."""
    n = len(billed.key)
    voided = quoted.matched & (np.char.lower(quoted.status.astype(str)) == "voided")
    prev = {re.sub(r"\s+", "", str(w)).upper() for w in previously_billed}
    dup_here = billed.key.duplicated(keep="first").to_numpy()
    dup_prev = billed.key.isin(prev).to_numpy() if prev else np.zeros(n, dtype=bool)
    live = quoted.matched & ~voided
    checkable = live & ~(dup_here | dup_prev)
    # An unknown or voided line is owed nothing for that reason alone: it is not also a
    # duplicate (that would dispute its amount twice).
    return LineClasses(
        unknown=~quoted.matched,
        voided=voided,
        repeated_here=dup_here & live,
        billed_before=dup_prev & live,
        checkable=checkable,
        same_currency=billed.currency == quoted.currency,
    )


@dataclass(frozen=True)
class WeightCheck:
    over_g: np.ndarray  # billed - chargeable, grams
    tolerance_g: int
    tolerance_pct: float  # as given: the explanation shows it
    tolerance_ppm: int  # the same in parts per million of the chargeable weight, for the check
    overweight: np.ndarray
    agree: np.ndarray  # within both tolerances, either way: the quote is evidence for it


def weight_check(
    billed_g: np.ndarray,
    quoted: Quoted,
    checkable: np.ndarray,
    tolerance_kg: float,
    tolerance_pct: float,
) -> WeightCheck:
    """Overweight: billed above the chargeable weight by more than BOTH tolerances (so the
    larger decides; exactly at one is not flagged), in whole grams, exactly."""
    tol_g = int(round(tolerance_kg * 1000))
    pct_ppm = int(round(tolerance_pct * 1_000_000))
    chg_g = quoted.chargeable_g
    over_g = billed_g - chg_g
    beyond = (np.abs(over_g) > tol_g) & (np.abs(over_g) * 1_000_000 > chg_g * pct_ppm)
    has_chg = quoted.has_chargeable
    return WeightCheck(
        over_g=over_g,
        tolerance_g=tol_g,
        tolerance_pct=tolerance_pct,
        tolerance_ppm=pct_ppm,
        overweight=checkable & has_chg & (over_g > 0) & beyond,
        agree=has_chg & ~beyond,
    )


@dataclass(frozen=True)
class SurchargeCheck:
    not_in_contract: dict[str, np.ndarray]  # per billed surcharge: lines where it is not quoted
    amount: dict[str, tuple[np.ndarray, np.ndarray]]  # per surcharge: (wrong amount, quoted)


def surcharge_check(
    billed: Billed,
    quoted: Quoted,
    quoted_surcharges: pd.Series,
    checkable: np.ndarray,
    amounts_comparable: np.ndarray,
    amount_tolerance_cents: int,
) -> SurchargeCheck:
    """A non-zero billed surcharge the quote does not name is not in the contract; one it names
    is checked against its quoted amount where amounts can be compared (same currency, weights
    agree). `quoted_surcharges` is the labels' column (JSON objects or dicts), one per label."""
    names = list(billed.surcharges)
    quoted_sur = _quoted_surcharges(quoted_surcharges, names)
    out = SurchargeCheck({}, {})
    for s in names:
        has_u, amt_u = quoted_sur[s]
        has = has_u[quoted.idx] & quoted.matched
        q_amt = np.where(has, amt_u[quoted.idx], 0)
        out.not_in_contract[s] = checkable & (billed.surcharges[s] != 0) & ~has
        wrong = amounts_comparable & has
        wrong &= np.abs(billed.surcharges[s] - q_amt) > amount_tolerance_cents
        out.amount[s] = (wrong, q_amt)
    return out


@dataclass(frozen=True)
class FuelCheck:
    base: np.ndarray  # the billed base plus the billed surcharges fuel applies to, cents
    expected: np.ndarray  # the card's % of it, cents (rounded half up)
    implied_pct: np.ndarray  # what the carrier charged, as a % of the fuel base
    wrong: np.ndarray


def fuel_check(
    billed: Billed,
    quoted: Quoted,
    checkable: np.ndarray,
    tolerance_pct: float,
    fuel_on_surcharges: Iterable[str],
) -> FuelCheck:
    """Billed fuel against the card's percentage of the fuel base, within `tolerance_pct`
    percentage points of it plus half a cent (the carrier's rounding). Exact: percentages in
    basis points, amounts x 10,000."""
    fuel_set = {f.lower() for f in fuel_on_surcharges}
    fuel_base = billed.base.copy()
    for s, cents in billed.surcharges.items():
        if s in fuel_set or any(s.startswith(f) for f in fuel_set):
            fuel_base += cents
    has_pct = ~np.isnan(quoted.fuel_pct)
    pct_bp = np.rint(np.nan_to_num(quoted.fuel_pct) * 100).astype(np.int64)
    tol_bp = int(round(tolerance_pct * 100))
    deviation = np.abs(billed.fuel * 10_000 - fuel_base * pct_bp)
    wrong = checkable & has_pct & (deviation > np.abs(fuel_base) * tol_bp + 5_000)
    expected = np.sign(fuel_base * pct_bp) * ((np.abs(fuel_base * pct_bp) + 5_000) // 10_000)
    with np.errstate(divide="ignore", invalid="ignore"):
        implied_pct = np.where(fuel_base != 0, billed.fuel * 100.0 / fuel_base, np.nan)
    return FuelCheck(fuel_base, expected, implied_pct, wrong)


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
