"""The split as a user sees it, pinned down by the mutation check (`make mutate`, group
`split`): the record stored with the order explains every shipment, and the solver ranks plans
by shipment count first and cost second whichever kind of cost (fixed or per kg) dominates."""

from __future__ import annotations

from decimal import Decimal

from adapters.orders.split_cpsat import CpSatSplitSolver
from domains.orders.split import (
    SplitLine,
    SplitPlan,
    SplitProblem,
    WarehouseOption,
    decide,
    describe,
)


def opt(w, avail, fixed="0", per_kg="0"):
    return WarehouseOption(w, "CN", avail, Decimal(fixed), Decimal(per_kg))


def test_the_split_record_lists_each_shipment_its_lines_weight_and_cost_and_every_candidate():
    p = SplitProblem(
        "US",
        "USD",
        [SplitLine("A", 3, 500), SplitLine("B", 2, 250)],
        [
            opt("SZX", {"A": 3}, "10.50", "2.00"),
            opt("LAX", {"A": 1, "B": 2}, "4.00", "1.25"),
            opt("AMS", {}, "1.00", "1.00"),
        ],
    )
    plan = SplitPlan(
        {"SZX": {"A": 2, "B": 0}, "LAX": {"B": 2, "A": 1}}, "OPTIMAL", Decimal("17.74"), 12.3456
    )
    assert describe(p, plan, True) == {
        "policy": "fewest_shipments_then_cost",
        "destination": "US",
        "currency": "USD",
        "candidates": [
            {"warehouse_id": "SZX", "country": "CN", "available": {"A": 3, "B": 0},
             "fixed_cost": "10.50", "per_kg_cost": "2.00"},
            {"warehouse_id": "LAX", "country": "CN", "available": {"A": 1, "B": 2},
             "fixed_cost": "4.00", "per_kg_cost": "1.25"},
            {"warehouse_id": "AMS", "country": "CN", "available": {"A": 0, "B": 0},
             "fixed_cost": "1.00", "per_kg_cost": "1.00"},
        ],
        "plan": [
            # numbered in warehouse order; a zero-unit line is not listed
            {"shipment_no": 1, "warehouse_id": "LAX",
             "lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}],
             "weight_g": 1000, "estimated_cost": "5.25"},
            {"shipment_no": 2, "warehouse_id": "SZX", "lines": [{"sku": "A", "quantity": 2}],
             "weight_g": 1000, "estimated_cost": "12.50"},
        ],
        "shipments": 2,
        "estimated_cost": "17.75",
        "objective": "17.74",  # the solver's own figure, passed through as given
        "solver": {"used": True, "status": "OPTIMAL", "solve_ms": 12.35},
    }
    unsolved = describe(p, SplitPlan({}, "infeasible"), False)
    assert unsolved["objective"] is None and unsolved["plan"] == []
    assert unsolved["estimated_cost"] == "0" and unsolved["solver"]["used"] is False


def test_two_shipments_beat_three_cheaper_ones_when_fixed_costs_dominate():
    # X+Y: 200.00 in 2 shipments; P+Q+Y: 102.00 in 3
    lines = [SplitLine("A", 1, 1000), SplitLine("B", 1, 1000), SplitLine("C", 1, 1000)]
    p = SplitProblem("US", "USD", lines, [
        opt("X", {"A": 1, "B": 1}, fixed="100"),
        opt("Y", {"C": 1}, fixed="100"),
        opt("P", {"A": 1}, fixed="1"),
        opt("Q", {"B": 1}, fixed="1"),
    ])
    plan, used = decide(p, CpSatSplitSolver(time_limit_s=10))
    assert used and sorted(plan.allocations) == ["X", "Y"]


def test_two_shipments_beat_three_cheaper_ones_when_weight_costs_dominate():
    # X+Y: 800.00 by weight in 2 shipments; P+Q+Y: free in 3
    lines = [SplitLine("A", 4, 1000), SplitLine("B", 4, 1000), SplitLine("C", 4, 1000)]
    p = SplitProblem("US", "USD", lines, [
        opt("X", {"A": 4, "B": 4}, per_kg="100"),
        opt("Y", {"C": 4}),
        opt("P", {"A": 4}),
        opt("Q", {"B": 4}),
    ])
    plan, used = decide(p, CpSatSplitSolver(time_limit_s=10))
    assert used and sorted(plan.allocations) == ["X", "Y"]


def test_among_two_shipment_plans_the_one_cheapest_by_fixed_costs_is_chosen_to_the_cent():
    # X+Y: 500.00 + 500.00 fixed = 1000.00; V+W: 2 x 500.25 by weight = 1000.50;
    # X+W: 1000.25. The fixed-cost plan is cheapest by 25 cents.
    lines = [SplitLine("A", 1, 1000), SplitLine("B", 1, 1000)]
    p = SplitProblem("US", "USD", lines, [
        opt("X", {"A": 1}, fixed="500"),
        opt("Y", {"B": 1}, fixed="500"),
        opt("V", {"A": 1}, per_kg="500.25"),
        opt("W", {"B": 1}, per_kg="500.25"),
    ])
    plan, used = decide(p, CpSatSplitSolver(time_limit_s=10))
    assert used and sorted(plan.allocations) == ["X", "Y"]
    assert plan.objective == Decimal("1000.00")
