"""Safety stock, reorder point and a suggested order quantity per (warehouse, SKU).

Figures come from the daily demand of a trailing window and the supplier lead time:

- The window is ``[as_of - history_days, as_of - 1]`` (``history_days`` calendar days, ``as_of``
  itself excluded). Every day of the window counts: a day without demand is a day of ZERO demand,
  so the daily series is reindexed over the full date range before taking mean and spread.
  Demand outside the window is ignored.
- ``mean_daily`` and ``std_daily`` (sample standard deviation, ddof=1; 0 with fewer than two days).
- ``z = NormalDist().inv_cdf(service_level)`` (cycle service level, one-sided).
- ``safety_stock = z * sqrt(LT * std_daily**2 + mean_daily**2 * LT_std**2)``: demand variability
  over the lead time plus lead-time variability; with ``LT_std = 0`` it is ``z * std * sqrt(LT)``.
- ``reorder_point = mean_daily * LT + safety_stock``.
- ``inventory_position = on_hand - reserved + on_order``.
- ``below_reorder_point`` is ``inventory_position <= reorder_point`` (NOT strict: a position
  exactly at the reorder point triggers a reorder).
- ``suggested_order_qty``: when below, ``reorder_point + mean_daily * order_cycle_days -
  inventory_position`` rounded UP to a whole unit, then UP to a multiple of the SKU's pack size;
  0 when not below (and never negative).

Pairs come from the stock frame and from demand inside the window. A pair with stock but no demand
in the window has mean 0 and spread 0 (so reorder point 0); a pair with demand but no stock row has
on_hand, reserved and on_order 0. Several stock rows for one pair (lots, bins) are summed.

Per-SKU parameters (``lead_time_days``, ``lead_time_std_days``, ``pack_size``) take a number for
every SKU or a dict keyed by SKU; a SKU missing from the dict gets ``DEFAULT_LEAD_TIME_DAYS`` (7),
``DEFAULT_LEAD_TIME_STD_DAYS`` (0) or ``DEFAULT_PACK_SIZE`` (1).

Computed float figures are rounded to 2 decimals for output (``z`` to 4, so it can be checked
against tables); comparisons and the order quantity use the unrounded figures. Input parameters
echoed in the output (service level, lead times) are not rounded.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from numbers import Integral, Real
from statistics import NormalDist

import numpy as np
import pandas as pd

DEFAULT_LEAD_TIME_DAYS = 7.0
DEFAULT_LEAD_TIME_STD_DAYS = 0.0
DEFAULT_PACK_SIZE = 1
SERVICE_LEVEL_BOUNDS = (0.5, 0.9999)  # exclusive on both ends

KEYS = ["warehouse_id", "sku"]
DEMAND_COLUMNS = ["warehouse_id", "sku", "day", "quantity"]
STOCK_COLUMNS = ["warehouse_id", "sku", "on_hand", "reserved"]  # on_order optional

COLUMNS = [
    "warehouse_id",
    "sku",
    "days_of_history",
    "mean_daily",
    "std_daily",
    "service_level",
    "z",
    "lead_time_days",
    "lead_time_std_days",
    "safety_stock",
    "reorder_point",
    "on_hand",
    "reserved",
    "on_order",
    "inventory_position",
    "below_reorder_point",
    "pack_size",
    "suggested_order_qty",
]

# Float noise guard: 40.000000000001 units is 40 units, not 41, and a position equal to the
# reorder point up to float error counts as at the reorder point.
_EPS = 1e-9


def compute_replenishment(
    demand: pd.DataFrame,
    stock: pd.DataFrame,
    *,
    as_of: datetime.date,
    history_days: int = 56,
    service_level: float = 0.95,
    lead_time_days: dict[str, float] | float = DEFAULT_LEAD_TIME_DAYS,
    order_cycle_days: float = 7,
    lead_time_std_days: dict[str, float] | float = DEFAULT_LEAD_TIME_STD_DAYS,
    pack_size: dict[str, int] | None = None,
) -> pd.DataFrame:
    """One row per (warehouse_id, sku) with the replenishment figures (see module docstring).

    Sorted by ``below_reorder_point`` (True first), then ``suggested_order_qty`` (largest first),
    then warehouse_id and sku. Raises ValueError naming the problem on bad input.
    """
    as_of_ts = _check_as_of(as_of)
    _check_positive_int("history_days", history_days)
    _check_service_level(service_level)
    _check_non_negative("order_cycle_days", order_cycle_days)
    _check_per_sku("lead_time_days", lead_time_days)
    _check_per_sku("lead_time_std_days", lead_time_std_days)
    _check_pack_size(pack_size)
    _check_columns("demand", demand, DEMAND_COLUMNS)
    _check_columns("stock", stock, STOCK_COLUMNS)

    window = pd.date_range(
        as_of_ts - pd.Timedelta(days=history_days), as_of_ts - pd.Timedelta(days=1), freq="D"
    )
    in_window = _demand_in_window(demand, window)
    stock_by_pair = _stock_by_pair(stock)

    pairs = pd.concat([stock_by_pair[KEYS], in_window[KEYS]], ignore_index=True).drop_duplicates()
    index = pd.MultiIndex.from_frame(pairs)

    # Daily series: one column per day of the window, every day present, missing days = 0.
    daily = (
        in_window.groupby(KEYS + ["day"], sort=False)["quantity"]
        .sum()
        .unstack("day", fill_value=0.0)
        .reindex(index=index, columns=window, fill_value=0.0)
        .astype(float)
    )
    mean = daily.mean(axis=1)
    std = daily.std(axis=1, ddof=1).fillna(0.0)  # NaN with a single day: no spread measurable

    out = pairs.reset_index(drop=True)
    out["days_of_history"] = len(window)
    out["mean_daily"] = mean.to_numpy()
    out["std_daily"] = std.to_numpy()
    out["service_level"] = float(service_level)
    z = NormalDist().inv_cdf(service_level)
    out["z"] = z
    out["lead_time_days"] = _per_sku(out["sku"], lead_time_days, DEFAULT_LEAD_TIME_DAYS)
    out["lead_time_std_days"] = _per_sku(out["sku"], lead_time_std_days, DEFAULT_LEAD_TIME_STD_DAYS)

    lt, lt_std = out["lead_time_days"], out["lead_time_std_days"]
    variance = lt * out["std_daily"] ** 2 + out["mean_daily"] ** 2 * lt_std**2
    out["safety_stock"] = z * np.sqrt(variance)
    out["reorder_point"] = out["mean_daily"] * lt + out["safety_stock"]

    out = out.merge(stock_by_pair, on=KEYS, how="left")
    for column in ("on_hand", "reserved", "on_order"):
        # Pairs without a stock row hold nothing; keep whole units as integers after the fill.
        filled = out[column].fillna(0)
        out[column] = filled.astype("int64") if (filled % 1 == 0).all() else filled.astype(float)
    out["inventory_position"] = out["on_hand"] - out["reserved"] + out["on_order"]
    out["below_reorder_point"] = out["inventory_position"] <= out["reorder_point"] + _EPS

    out["pack_size"] = _per_sku(out["sku"], pack_size or {}, DEFAULT_PACK_SIZE).astype("int64")
    shortfall = (
        out["reorder_point"] + out["mean_daily"] * order_cycle_days - out["inventory_position"]
    )
    units = np.ceil((shortfall - _EPS).clip(lower=0)).astype("int64")
    packs = -(-units // out["pack_size"])  # ceiling division on integers
    out["suggested_order_qty"] = (packs * out["pack_size"]).where(out["below_reorder_point"], 0)
    out["suggested_order_qty"] = out["suggested_order_qty"].astype("int64")

    for column in ("mean_daily", "std_daily", "safety_stock", "reorder_point"):
        out[column] = out[column].round(2)
    out["z"] = out["z"].round(4)
    for column in ("on_hand", "reserved", "on_order", "inventory_position"):
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(2)
    out["below_reorder_point"] = out["below_reorder_point"].astype(bool)

    return (
        out[COLUMNS]
        .sort_values(
            ["below_reorder_point", "suggested_order_qty", "warehouse_id", "sku"],
            ascending=[False, False, True, True],
            kind="mergesort",
        )
        .reset_index(drop=True)
    )


# --- inputs -------------------------------------------------------------------------------


def _demand_in_window(demand: pd.DataFrame, window: pd.DatetimeIndex) -> pd.DataFrame:
    frame = demand[DEMAND_COLUMNS].copy()
    quantity = _numeric("demand", frame["quantity"], "quantity")
    if (quantity < 0).any():
        raise ValueError("demand: negative quantity")
    frame["quantity"] = quantity.astype(float)
    try:
        days = pd.to_datetime(frame["day"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"demand: day is not a date ({exc})") from exc
    if days.isna().any():
        raise ValueError("demand: missing day")
    if days.dt.tz is not None:
        days = days.dt.tz_localize(None)
    frame["day"] = days.dt.normalize().astype("datetime64[ns]")
    return frame[(frame["day"] >= window[0]) & (frame["day"] <= window[-1])]


def _stock_by_pair(stock: pd.DataFrame) -> pd.DataFrame:
    frame = stock[STOCK_COLUMNS].copy()
    for column in ("on_hand", "reserved"):
        frame[column] = _numeric("stock", stock[column], column)
    # on_order is optional; a missing value means nothing on order.
    frame["on_order"] = (
        _numeric("stock", stock["on_order"].fillna(0), "on_order") if "on_order" in stock else 0
    )
    for column in ("on_hand", "reserved", "on_order"):
        if (frame[column] < 0).any():
            raise ValueError(f"stock: negative {column}")
    # Several rows for one pair (lots, bins) add up.
    return frame.groupby(KEYS, as_index=False, sort=False)[
        ["on_hand", "reserved", "on_order"]
    ].sum()


def _numeric(frame_name: str, values: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values):
        raise ValueError(f"{frame_name}: {column} is not numeric")
    if not pd.api.types.is_numeric_dtype(values):
        try:
            values = pd.to_numeric(values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{frame_name}: {column} is not numeric") from exc
    if values.isna().any():
        raise ValueError(f"{frame_name}: missing {column}")
    if not np.isfinite(values.astype(float)).all():
        raise ValueError(f"{frame_name}: {column} is not finite")
    return values


def _check_columns(frame_name: str, frame: pd.DataFrame, required: list[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{frame_name}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{frame_name}: missing columns {', '.join(missing)}")


def _check_as_of(as_of: datetime.date) -> pd.Timestamp:
    if not isinstance(as_of, datetime.date):
        raise ValueError(f"as_of must be a date, got {type(as_of).__name__}")
    return pd.Timestamp(as_of.year, as_of.month, as_of.day)


def _as_number(value: object) -> float | None:
    """The value as a finite float, or None when it is not a real number (bools refused)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool | np.bool_) or not isinstance(value, Integral) or int(value) < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_non_negative(name: str, value: object) -> None:
    number = _as_number(value)
    if number is None or number < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")


def _check_service_level(value: object) -> None:
    low, high = SERVICE_LEVEL_BOUNDS
    number = _as_number(value)
    if number is None or not low < number < high:
        raise ValueError(f"service_level must be strictly between {low} and {high}, got {value!r}")


def _check_per_sku(name: str, value: object) -> None:
    if isinstance(value, Mapping):
        for sku, days in value.items():
            _check_non_negative(f"{name}[{sku!r}]", days)
    else:
        _check_non_negative(name, value)


def _check_pack_size(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        raise ValueError(f"pack_size must be a dict of SKU to units, got {type(value).__name__}")
    for sku, size in value.items():
        _check_positive_int(f"pack_size[{sku!r}]", size)


def _per_sku(skus: pd.Series, value: Mapping | float, default: float) -> pd.Series:
    if isinstance(value, Mapping):
        return skus.map(dict(value)).fillna(default).astype(float)
    return pd.Series(float(value), index=skus.index)
