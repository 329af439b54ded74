"""Planning's use cases on each store (they read the stock view) over the SYNTHETIC history: what a replenishment
run records and what it leaves alone. An accepted suggestion's inbound shipment counts in the
next day's stock position, so the same need is not suggested twice; stock above the reorder
point gets no suggestion; every suggestion carries the versions it was made with."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from domains.common import InvalidTransition
from tests.use_cases.conftest import BINS, push_web_order

FAST = "SKU-CHARGER-65W"  # a fast mover of LAX in the synthetic history


@pytest.fixture
def planning_app(store, clock, monkeypatch):
    monkeypatch.setenv("CROSSDOCK_DEMAND_HISTORY", "synthetic")
    a = build_app(store, clock=clock)
    seed_reference(a)
    yield a
    a.close()


def run(app, day):
    return app.planning.run_replenishment(day, "planner", 0.95, "LAX", [FAST])[0]


def test_an_accepted_suggestion_is_inbound_stock_the_next_run_counts(planning_app, clock):
    app, today = planning_app, clock.now().date()
    [s] = run(app, today)
    assert s["figures"]["inbound"] == 0
    app.planning.accept(s["suggestion_id"], "admin", "CMA CGM", "CSQU3054383")
    clock.advance(days=1)
    # The booked units are inbound now: position = what was ordered (nothing on hand), above
    # tomorrow's reorder point (which is below the quantity: it covers one week less).
    assert run(app, today + timedelta(days=1)) == []
    with pytest.raises(InvalidTransition):
        app.planning.reject(s["suggestion_id"], "admin", "too late")


def test_stock_above_the_reorder_point_is_not_suggested(planning_app, clock):
    app, today = planning_app, clock.now().date()
    [s] = run(app, today)
    reorder_point = s["figures"]["reorder_point"]
    # The next day, with 200 units more than the reorder point on the shelf, nothing to order.
    app.warehouse.receive_stock("LAX", FAST, int(reorder_point) + 200, "R-1", bin_code="A-01-01-1")
    assert run(app, today + timedelta(days=1)) == []


def test_a_suggestion_records_its_numbers_and_versions(planning_app, clock):
    [s] = run(planning_app, clock.now().date())
    assert set(s["versions"]) == {"lead_times", "history", "model"}
    assert "synthetic" in s["versions"]["history"]
    assert len(s["forecast"]["values"]) == s["figures"]["lead_time_days"] + 7
    assert s["accuracy"]["holdout_days"] == 56 and s["status"] == "pending"


def test_recorded_orders_are_the_demand_history_without_the_synthetic_one(app, clock):
    # The production source: units reserved per business day (view_demand). Three phone cases
    # ordered today are today's demand; the day before shows none.
    app.warehouse.receive_stock("LAX", "SKU-PHONE-CASE", 10, "R-1", bin_code=BINS["SKU-PHONE-CASE"])  # fmt: skip
    push_web_order(app, "PLAN-1", [("SKU-PHONE-CASE", 3, "9.00")])
    today = clock.now().date()
    history = app.planning.history
    assert "synthetic" not in history.version
    assert ("LAX", "SKU-PHONE-CASE") in history.pairs()
    assert history.daily("LAX", "SKU-PHONE-CASE", today, 2) == [0.0, 3.0]
