"""The split record when trade lanes price the options (each candidate priced on a carrier
service, stocked warehouses left out for want of one) and when no solver is configured (the
greedy plan is recorded as such, with its own cost). Part of the mutation check's `split` group."""

from __future__ import annotations

from decimal import Decimal

from domains.orders.split import (
    SplitLine,
    SplitProblem,
    WarehouseOption,
    decide,
    describe,
    lane_service,
)

OFFER = {"carrier": "dhl_express", "service": "express", "card_version": 3,
         "quote": "18.40", "weight_band_g": 2000}  # fmt: skip


def test_a_lane_service_is_named_by_carrier_service_and_card_version_unless_it_has_a_ref():
    assert lane_service(OFFER) == {
        "ref": "dhl_express/express@3",
        "quote": "18.40",
        "weight_band_g": 2000,
    }
    assert lane_service({**OFFER, "ref": "ups/saver@7"})["ref"] == "ups/saver@7"


def test_the_record_names_each_candidates_service_and_the_excluded_and_the_greedy_plan():
    service = lane_service(OFFER)
    excluded = [{"warehouse_id": "FRA", "sku": "A", "reason": "no_carrier_for_goods"}]
    problem = SplitProblem(
        "US",
        "USD",
        [SplitLine("A", 3, 500), SplitLine("B", 2, 250)],
        [
            WarehouseOption("SZX", "CN", {"A": 3}, Decimal("10.50"), Decimal("2.00"), service),
            WarehouseOption("LAX", "US", {"B": 2}, Decimal("4.00"), Decimal("1.25")),
        ],
        excluded,
    )
    plan, solver_used = decide(problem, None)  # no solver: the greedy plan stands
    record = describe(problem, plan, solver_used)
    assert [c.get("service") for c in record["candidates"]] == [service, None]
    assert "service" not in record["candidates"][1]  # an option with no service lists none
    assert record["excluded_candidates"] == excluded
    # SZX ships A (1.5 kg: 10.50 + 3.00), LAX ships B (0.5 kg: 4.00 + 0.625 -> 4.63)
    assert [(s["warehouse_id"], s["estimated_cost"]) for s in record["plan"]] == [
        ("LAX", "4.63"),
        ("SZX", "13.50"),
    ]
    assert record["solver"] == {"used": False, "status": "greedy", "solve_ms": 0.0}
    assert record["objective"] == record["estimated_cost"] == "18.13"
    # nothing excluded: no such key at all
    plain = describe(SplitProblem("US", "USD", problem.lines, problem.options), plan, False)
    assert "excluded_candidates" not in plain


def _opt(w: str, avail: dict[str, int], fixed: str, per_kg: str) -> WarehouseOption:
    return WarehouseOption(w, "CN", avail, Decimal(fixed), Decimal(per_kg))


def test_one_warehouse_with_exactly_the_stock_ships_everything_at_the_whole_orders_weight():
    lines = [SplitLine("A", 3, 500), SplitLine("B", 2, 250)]  # 2.0 kg in all
    options = [
        _opt("AMS", {"A": 3, "B": 1}, "1.00", "1.00"),  # short of B: not a candidate
        _opt("SZX", {"A": 3, "B": 2}, "4.00", "5.00"),  # exactly enough: 4 + 10 = 14.00
        _opt("LAX", {"A": 9, "B": 9}, "5.00", "5.00"),  # 5 + 10 = 15.00
    ]
    plan, solver_used = decide(SplitProblem("US", "USD", lines, options), None)
    assert (plan.allocations, plan.status, solver_used) == (
        {"SZX": {"A": 3, "B": 2}},
        "single_warehouse",
        False,
    )
    assert plan.objective == Decimal("14.00")


def test_without_a_solver_the_greedy_plan_takes_the_warehouse_covering_most_first():
    lines = [SplitLine("A", 3, 100), SplitLine("B", 2, 100), SplitLine("C", 1, 100)]
    options = [
        _opt("W3", {"A": 1}, "1.00", "0"),
        _opt("W2", {"B": 2, "C": 1}, "1.00", "0"),
        _opt("W1", {"A": 3, "B": 1}, "1.00", "0"),
    ]
    plan, _ = decide(SplitProblem("US", "USD", lines, options), None)
    assert plan.status == "greedy"
    # 2 shipments, not 3; each lists only what it ships (no zero-unit lines to reserve)
    assert plan.allocations == {"W1": {"A": 3, "B": 1}, "W2": {"B": 1, "C": 1}}
    assert plan.objective == Decimal("2.00")


def test_stock_short_everywhere_is_infeasible_without_a_solver():
    lines = [SplitLine("A", 5, 100)]
    options = [_opt("W1", {"A": 2}, "1.00", "0"), _opt("W2", {"A": 2, "B": 9}, "1.00", "0")]
    plan, solver_used = decide(SplitProblem("US", "USD", lines, options), None)
    assert (plan.allocations, plan.status, solver_used) == ({}, "infeasible", False)
