"""Replenishment figures, slow movers and co-purchase rules on hand-computed numbers: safety
stock grows with the forecast's error, the reorder point and quantity follow from the
forecast and the stock position, a planted pair is found with the support, confidence and lift
worked out by hand, and a slow mover gets a transfer, a bundle and a markdown with numbers."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from adapters.planning.bundles import association_rules
from domains.planning import references
from domains.planning.replenishment import figures
from domains.planning.slow_movers import review

Z95 = 1.6448536  # NormalDist().inv_cdf(0.95)


def test_safety_stock_grows_with_the_forecast_error_and_the_lead_time():
    flat = [10.0] * 60
    small = figures(flat, rmse_daily=2.0, lead_time_days=25, service_level=0.95, stock={})
    large = figures(flat, rmse_daily=4.0, lead_time_days=25, service_level=0.95, stock={})
    # z * rmse * sqrt(LT): 1.6449 * 2 * 5 = 16.45, twice that with twice the error
    assert small["safety_stock"] == pytest.approx(Z95 * 2 * 5, abs=0.01)
    assert large["safety_stock"] == pytest.approx(2 * small["safety_stock"], abs=0.01)
    longer = figures(flat, 2.0, 36, 0.95, {})
    assert longer["safety_stock"] == pytest.approx(Z95 * 2 * 6, abs=0.01)
    higher = figures(flat, 2.0, 25, 0.99, {})
    assert higher["safety_stock"] > small["safety_stock"]


def test_reorder_point_and_quantity_from_the_forecast_and_the_position():
    # 10 a day, lead time 5, review 7: over the lead time 50, over the cover 120;
    # safety = 1.6449 * 3 * sqrt(5) = 11.03; reorder point 61.03.
    # position = 40 on hand - 5 reserved + 20 inbound - 2 pre-sold = 53 <= 61.03: order
    # 120 + 11.03 - 53 = 78.03 -> 79 units -> 80 in packs of 10.
    stock = {"on_hand": 40, "reserved": 5, "inbound": 20, "reserved_inbound": 2}
    f = figures([10.0] * 12, 3.0, 5, 0.95, stock, pack_size=10)
    safety = Z95 * 3 * math.sqrt(5)
    assert f["reorder_point"] == pytest.approx(50 + safety, abs=0.01)
    assert f["position"] == 53 and f["below_reorder_point"]
    assert f["order_quantity"] == 80
    # Nine more units on hand put the position (62) above the reorder point: nothing to order.
    above = figures([10.0] * 12, 3.0, 5, 0.95, {**stock, "on_hand": 49})
    assert not above["below_reorder_point"] and above["order_quantity"] == 0


def test_a_forecast_shorter_than_the_cover_is_refused():
    with pytest.raises(ValueError, match="12 are needed"):
        figures([1.0] * 11, 1.0, 5, 0.95, {})


def test_association_rules_find_a_planted_pair_with_hand_counted_numbers():
    # 10 orders: A and B together in 4, A alone in 1, B alone in 3, C alone in 2.
    orders = [["A", "B"]] * 4 + [["A"]] + [["B"]] * 3 + [["C"]] * 2
    lines = [{"order_id": f"o{i}", "sku": s} for i, o in enumerate(orders) for s in o]
    lines.append({"order_id": "o0", "sku": "A"})  # a repeated line counts once
    rules = {(r["antecedent"], r["consequent"]): r for r in association_rules(lines, 0.1, 2)}
    a_b = rules[("A", "B")]
    # support 4/10; confidence 4/5 (A is in 5 orders); lift 0.8 / (7/10) (B is in 7)
    assert a_b["support"] == pytest.approx(0.4)
    assert a_b["confidence"] == pytest.approx(0.8)
    assert a_b["lift"] == pytest.approx(round(0.8 / 0.7, 4))
    b_a = rules[("B", "A")]  # 4/7 of B's orders carry A; the lift is symmetric
    assert b_a["confidence"] == pytest.approx(round(4 / 7, 4)) and b_a["lift"] == a_b["lift"]
    assert not any("C" in k for k in rules)


def test_a_slow_mover_gets_a_transfer_a_bundle_and_a_markdown_with_its_numbers():
    as_of = date(2026, 12, 1)
    stock = [
        {"warehouse_id": "LAX", "sku": "KETTLE", "on_hand": 310, "reserved": 10},
        {"warehouse_id": "FRA", "sku": "KETTLE", "on_hand": 20, "reserved": 0},
    ]
    lots = [{"warehouse_id": "LAX", "sku": "KETTLE", "lot": "L1", "on_hand": 310,
             "received_on": "2026-05-15"}]  # fmt: skip
    rates = {("LAX", "KETTLE"): 1.0, ("FRA", "KETTLE"): 4.0}
    rules = [{"antecedent": "KETTLE", "consequent": "TEA", "support": 0.05, "confidence": 0.6,
              "lift": 2.0, "orders": 150}]  # fmt: skip
    m3 = {"KETTLE": Decimal("0.004")}
    [slow] = review(stock, lots, rates, m3, rules, as_of)
    # 300 free units at 1 a day: 300 days of cover; the lot is 200 days old.
    assert (slow["warehouse_id"], slow["days_of_cover"], slow["oldest_lot_days"]) == ("LAX", 300.0, 200)  # fmt: skip
    # 310 units x 0.004 m3 x 200 days x the sample rate a m3-day
    cost = Decimal(310) * Decimal("0.004") * 200 * references.STORAGE_RATE_PER_M3_DAY
    assert Decimal(slow["storage_cost"]["amount"]) == cost.quantize(Decimal("0.01"))
    transfer, bundle, markdown = slow["suggestions"]
    # excess here 300 - 60 days x 1 = 240; FRA lacks 60 days x 4 - 20 = 220: move 220
    assert transfer == {"kind": "transfer", "to": "FRA", "units": 220, "target_rate_per_day": 4.0,
                        "target_free_units": 20, "target_cover_days": 60}  # fmt: skip
    assert bundle["with"] == "TEA" and bundle["lift"] == 2.0
    # 300 days of cover is over the 180-day markdown threshold: 20 %, said in words too
    assert markdown == {
        "kind": "markdown",
        "percent": 20,
        "days_of_cover": 300.0,
        "reason": "300 days of cover, over 180: 20 %",
    }


def test_stock_that_sells_within_its_cover_is_not_a_slow_mover():
    stock = [{"warehouse_id": "LAX", "sku": "X", "on_hand": 50, "reserved": 0}]
    assert review(stock, [], {("LAX", "X"): 1.0}, {}, [], date(2026, 12, 1)) == []

    # Nothing sold: held 55 days it is too new to judge; held 56 days (the rate's window) it
    # is a slow mover with no cover figure and the deepest markdown.
    def lot(received_on: str) -> list[dict]:
        return [{"warehouse_id": "LAX", "sku": "X", "lot": "L", "on_hand": 50,
                 "received_on": received_on}]  # fmt: skip

    assert review(stock, lot("2026-10-07"), {}, {}, [], date(2026, 12, 1)) == []
    [dead] = review(stock, lot("2026-10-06"), {}, {}, [], date(2026, 12, 1))
    assert dead["days_of_cover"] is None and dead["suggestions"][-1]["percent"] == 30
