"""Replenishment figures on known series, worked out by hand."""

from __future__ import annotations

import datetime as dt
import math
import re
from statistics import NormalDist

import pandas as pd
import pytest

from adapters.warehouse.replenishment import COLUMNS, compute_replenishment

AS_OF = dt.date(2026, 3, 1)
Z95 = NormalDist().inv_cdf(0.95)  # 1.644853...


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def demand(rows: list[tuple[str, str, int, float]]) -> pd.DataFrame:
    """rows of (warehouse, sku, days before as_of, quantity)."""
    return pd.DataFrame(
        [(w, s, days_before(n), q) for w, s, n, q in rows],
        columns=["warehouse_id", "sku", "day", "quantity"],
    )


def stock(rows: list[tuple]) -> pd.DataFrame:
    """rows of (warehouse, sku, on_hand, reserved[, on_order])."""
    columns = ["warehouse_id", "sku", "on_hand", "reserved", "on_order"][: len(rows[0])]
    return pd.DataFrame(rows, columns=columns)


def row(result: pd.DataFrame, warehouse: str, sku: str) -> pd.Series:
    match = result[(result["warehouse_id"] == warehouse) & (result["sku"] == sku)]
    assert len(match) == 1
    return match.iloc[0]


# Demand 10, 12, 8, 10 on the four days before as_of; the 12 comes as two rows (5 + 7).
KNOWN = demand(
    [
        ("W1", "A", 4, 10),
        ("W1", "A", 3, 5),
        ("W1", "A", 3, 7),
        ("W1", "A", 2, 8),
        ("W1", "A", 1, 10),
    ]
)
KNOWN_STD = math.sqrt(8 / 3)  # squared deviations 0 + 4 + 4 + 0 over n - 1 = 3


def test_known_series_by_hand():
    result = compute_replenishment(
        KNOWN, stock([("W1", "A", 30, 0)]), as_of=AS_OF, history_days=4, lead_time_days=4
    )
    r = row(result, "W1", "A")
    ss = Z95 * KNOWN_STD * 2  # sqrt(LT) = 2
    assert r["days_of_history"] == 4
    assert r["mean_daily"] == 10.0
    assert r["std_daily"] == round(KNOWN_STD, 2) == 1.63
    assert r["z"] == pytest.approx(1.6449)
    assert r["service_level"] == 0.95 and r["lead_time_days"] == 4.0
    assert r["safety_stock"] == round(ss, 2) == 5.37
    assert r["reorder_point"] == round(40 + ss, 2) == 45.37
    assert r["inventory_position"] == 30 and bool(r["below_reorder_point"])
    # 45.372 + 10 * 7 - 30 = 85.372, rounded up
    assert r["suggested_order_qty"] == 86
    assert list(result.columns) == COLUMNS


def test_days_without_demand_count_as_zero():
    spike = demand([("W1", "A", 10, 28)])
    r = row(
        compute_replenishment(
            spike, stock([("W1", "A", 0, 0)]), as_of=AS_OF, history_days=28, lead_time_days=4
        ),
        "W1",
        "A",
    )
    assert r["mean_daily"] == 1.0  # 28 units over 28 days, not 28 over the 1 day with demand
    # deviations: 27 once, -1 on the 27 other days -> (729 + 27) / 27 = 28
    assert r["std_daily"] == round(math.sqrt(28), 2)
    assert r["safety_stock"] == round(Z95 * math.sqrt(28) * 2, 2)
    assert r["reorder_point"] == round(4 + Z95 * math.sqrt(28) * 2, 2)


def test_window_excludes_as_of_and_older_days():
    rows = demand(
        [
            ("W1", "A", 0, 1000),
            ("W1", "A", 5, 1000),  # as_of itself, before the window
            ("W1", "A", 4, 10),
            ("W1", "A", 1, 10),
        ]
    )
    r = row(
        compute_replenishment(rows, stock([("W1", "A", 0, 0)]), as_of=AS_OF, history_days=4),
        "W1",
        "A",
    )
    assert r["mean_daily"] == 5.0
    assert r["std_daily"] == round(math.sqrt(100 / 3), 2)  # 5, -5, -5, 5 squared over 3


def test_lead_time_variability_adds_to_safety_stock():
    result = compute_replenishment(
        KNOWN,
        stock([("W1", "A", 30, 0)]),
        as_of=AS_OF,
        history_days=4,
        lead_time_days={"A": 4},
        lead_time_std_days={"A": 2},
    )
    r = row(result, "W1", "A")
    ss = Z95 * math.sqrt(4 * 8 / 3 + 10**2 * 2**2)  # LT * std^2 + mean^2 * LT_std^2
    assert r["lead_time_std_days"] == 2.0
    assert r["safety_stock"] == round(ss, 2) == 33.33
    assert r["reorder_point"] == round(40 + ss, 2)


def test_per_sku_dicts_fall_back_to_defaults():
    rows = demand([("W1", "A", 1, 7), ("W1", "B", 1, 7)])
    result = compute_replenishment(
        rows,
        stock([("W1", "A", 0, 0), ("W1", "B", 0, 0)]),
        as_of=AS_OF,
        history_days=7,
        lead_time_days={"A": 3},
        lead_time_std_days={"A": 1},
        pack_size={"A": 5},
    )
    a, b = row(result, "W1", "A"), row(result, "W1", "B")
    assert (a["lead_time_days"], a["lead_time_std_days"], a["pack_size"]) == (3.0, 1.0, 5)
    assert (b["lead_time_days"], b["lead_time_std_days"], b["pack_size"]) == (7.0, 0.0, 1)


def test_order_quantity_rounds_up_to_pack_size():
    kwargs = {"as_of": AS_OF, "history_days": 4, "lead_time_days": 4}
    st = stock([("W1", "A", 30, 0)])
    assert (
        row(compute_replenishment(KNOWN, st, pack_size={"A": 12}, **kwargs), "W1", "A")[
            "suggested_order_qty"
        ]
        == 96
    )  # 86 -> 8 packs of 12
    assert (
        row(compute_replenishment(KNOWN, st, pack_size={"A": 43}, **kwargs), "W1", "A")[
            "suggested_order_qty"
        ]
        == 86
    )  # already 2 packs of 43
    assert (
        row(compute_replenishment(KNOWN, st, pack_size={"B": 12}, **kwargs), "W1", "A")[
            "suggested_order_qty"
        ]
        == 86
    )  # A not in the dict: pack of 1


def test_position_at_reorder_point_reorders_and_whole_units_are_not_bumped():
    flat = demand([("W1", "A", n, 10) for n in (1, 2, 3, 4)])  # std 0: ROP = 10 * 4 = 40
    kwargs = {"as_of": AS_OF, "history_days": 4, "lead_time_days": 4}
    at = row(compute_replenishment(flat, stock([("W1", "A", 40, 0)]), **kwargs), "W1", "A")
    assert at["reorder_point"] == 40.0 and at["safety_stock"] == 0.0
    assert bool(at["below_reorder_point"])  # <=, not <
    assert at["suggested_order_qty"] == 70  # exactly 40 + 70 - 40, not rounded up to 71
    above = row(compute_replenishment(flat, stock([("W1", "A", 41, 0)]), **kwargs), "W1", "A")
    assert not bool(above["below_reorder_point"]) and above["suggested_order_qty"] == 0


def test_position_counts_reserved_and_on_order():
    st = stock([("W1", "A", 50, 15, 5)])
    r = row(
        compute_replenishment(KNOWN, st, as_of=AS_OF, history_days=4, lead_time_days=4), "W1", "A"
    )
    assert (r["on_hand"], r["reserved"], r["on_order"]) == (50, 15, 5)
    assert r["inventory_position"] == 40
    assert r["suggested_order_qty"] == math.ceil(40 + Z95 * KNOWN_STD * 2 + 70 - 40)
    no_on_order = stock([("W1", "A", 50, 15)])  # column optional, default 0
    r = row(compute_replenishment(KNOWN, no_on_order, as_of=AS_OF, history_days=4), "W1", "A")
    assert r["on_order"] == 0 and r["inventory_position"] == 35


def test_stock_rows_of_one_pair_are_summed():
    st = stock([("W1", "A", 10, 1, 0), ("W1", "A", 20, 2, 3)])  # two lots / bins
    r = row(compute_replenishment(KNOWN, st, as_of=AS_OF, history_days=4), "W1", "A")
    assert (r["on_hand"], r["reserved"], r["on_order"], r["inventory_position"]) == (30, 3, 3, 30)


def test_pairs_in_stock_without_demand_and_demand_without_stock():
    st = stock([("W1", "A", 30, 0), ("W1", "Z", 8, 3)])
    result = compute_replenishment(KNOWN, st.iloc[[1]], as_of=AS_OF, history_days=4)
    z = row(result, "W1", "Z")
    assert (z["mean_daily"], z["std_daily"], z["safety_stock"], z["reorder_point"]) == (0, 0, 0, 0)
    assert z["inventory_position"] == 5
    assert not bool(z["below_reorder_point"]) and z["suggested_order_qty"] == 0
    a = row(result, "W1", "A")  # demand but no stock row: nothing on hand
    assert (a["on_hand"], a["reserved"], a["on_order"], a["inventory_position"]) == (0, 0, 0, 0)
    assert bool(a["below_reorder_point"]) and a["suggested_order_qty"] > 0
    assert str(result["on_hand"].dtype) == "int64"


def test_several_warehouses_in_one_frame_are_kept_apart_and_sorted():
    rows = pd.concat(
        [
            KNOWN,
            demand([("W2", "A", n, 20) for n in (1, 2, 3, 4)]),  # same SKU, other warehouse
            demand([("W2", "B", 2, 4)]),
        ]
    )
    st = stock([("W1", "A", 30, 0), ("W2", "A", 500, 0), ("W2", "B", 0, 0), ("W3", "C", 1, 0)])
    result = compute_replenishment(rows, st, as_of=AS_OF, history_days=4, lead_time_days=4)
    assert len(result) == 4
    assert row(result, "W1", "A")["mean_daily"] == 10.0
    w2a = row(result, "W2", "A")
    assert (w2a["mean_daily"], w2a["std_daily"], w2a["reorder_point"]) == (20.0, 0.0, 80.0)
    assert not bool(w2a["below_reorder_point"])
    # below first, larger orders first; then the rest by warehouse and SKU
    assert list(zip(result["warehouse_id"], result["sku"], strict=True)) == [
        ("W1", "A"),
        ("W2", "B"),
        ("W2", "A"),
        ("W3", "C"),
    ]
    assert list(result["below_reorder_point"]) == [True, True, False, False]
    assert result["suggested_order_qty"].is_monotonic_decreasing


def test_timestamps_and_dates_both_accepted():
    as_dates = compute_replenishment(
        KNOWN, stock([("W1", "A", 30, 0)]), as_of=AS_OF, history_days=4
    )
    stamped = KNOWN.assign(day=pd.to_datetime(KNOWN["day"]) + pd.Timedelta(hours=13))
    as_stamps = compute_replenishment(
        stamped, stock([("W1", "A", 30, 0)]), as_of=dt.datetime(2026, 3, 1, 9, 30), history_days=4
    )
    pd.testing.assert_frame_equal(as_dates, as_stamps)


def test_empty_inputs_give_an_empty_frame():
    empty_demand = pd.DataFrame(columns=["warehouse_id", "sku", "day", "quantity"])
    empty_stock = pd.DataFrame(columns=["warehouse_id", "sku", "on_hand", "reserved"])
    result = compute_replenishment(empty_demand, empty_stock, as_of=AS_OF)
    assert result.empty and list(result.columns) == COLUMNS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"demand": KNOWN.drop(columns=["day"])}, "demand: missing columns day"),
        (
            {"stock": stock([("W1", "A", 1, 0)]).drop(columns=["reserved", "on_hand"])},
            "stock: missing columns on_hand, reserved",
        ),
        ({"demand": KNOWN.assign(quantity=[10, 5, -7, 8, 10])}, "demand: negative quantity"),
        ({"stock": stock([("W1", "A", -1, 0)])}, "stock: negative on_hand"),
        ({"stock": stock([("W1", "A", 1, 0, -2)])}, "stock: negative on_order"),
        (
            {"demand": KNOWN.assign(quantity=["10", "x", "7", "8", "10"])},
            "demand: quantity is not numeric",
        ),
        (
            {"demand": KNOWN.assign(day=["2026-02-25", "nope", None, None, None])},
            "demand: day is not a date",
        ),
        ({"service_level": 0.5}, "service_level must be strictly between"),
        ({"service_level": 0.9999}, "service_level must be strictly between"),
        ({"service_level": 1.2}, "service_level must be strictly between"),
        ({"history_days": 0}, "history_days must be a positive integer"),
        ({"lead_time_days": -1}, "lead_time_days must be a non-negative number"),
        ({"lead_time_std_days": {"A": -0.5}}, "lead_time_std_days['A']"),
        ({"pack_size": {"A": 0}}, "pack_size['A'] must be a positive integer"),
        ({"order_cycle_days": float("nan")}, "order_cycle_days must be a non-negative number"),
        ({"as_of": "2026-03-01"}, "as_of must be a date"),
    ],
)
def test_bad_input_is_refused_with_the_reason(change, message):
    kwargs = {
        "demand": KNOWN,
        "stock": stock([("W1", "A", 30, 0)]),
        "as_of": AS_OF,
        "history_days": 4,
    } | change
    with pytest.raises(ValueError, match=re.escape(message)):
        compute_replenishment(**kwargs)
