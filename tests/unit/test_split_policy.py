"""The split: no solver for one warehouse, CP-SAT otherwise, checked against brute force."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from adapters.orders.split_cpsat import CpSatSplitSolver
from domains.orders.split import (
    SplitLine,
    SplitProblem,
    WarehouseOption,
    decide,
    describe,
    greedy,
    plan_cost,
)


def opt(w, avail, fixed="10", per_kg="1"):
    return WarehouseOption(w, "CN", avail, Decimal(fixed), Decimal(per_kg))


def problem(lines, options):
    return SplitProblem("US", "USD", [SplitLine(s, q, 500) for s, q in lines], options)


def test_one_warehouse_covering_everything_needs_no_solver():
    p = problem(
        [("A", 2), ("B", 1)], [opt("X", {"A": 5, "B": 5}, "20"), opt("Y", {"A": 5, "B": 5}, "8")]
    )

    def boom(*_):
        raise AssertionError("solver must not run")

    plan, used = decide(p, boom)
    assert not used and plan.status == "single_warehouse" and list(plan.allocations) == ["Y"]


def test_a_line_is_split_when_no_warehouse_holds_its_quantity():
    p = problem([("A", 10)], [opt("X", {"A": 6}), opt("Y", {"A": 6}, "5")])
    plan, used = decide(p, CpSatSplitSolver(time_limit_s=5))
    assert used and plan.status == "OPTIMAL"
    assert sum(u["A"] for u in plan.allocations.values()) == 10
    record = describe(p, plan, used)
    assert record["shipments"] == 2 and record["solver"]["status"] == "OPTIMAL"
    assert len(record["candidates"]) == 2


def test_fewer_shipments_beat_cheaper_ones():
    # Cheap X+Y together cover the order; Z alone is dearer but one shipment.
    p = problem(
        [("A", 1), ("B", 1)],
        [opt("X", {"A": 1}, "1"), opt("Y", {"B": 1}, "1"), opt("Z", {"A": 1, "B": 1}, "50")],
    )
    plan, _ = decide(p, CpSatSplitSolver())
    assert list(plan.allocations) == ["Z"]


def test_greedy_can_be_beaten_and_infeasible_is_reported():
    p = problem([("A", 4)], [opt("X", {"A": 1})])
    assert greedy(p).status == "infeasible"
    plan, _ = decide(p, CpSatSplitSolver())
    assert plan.allocations == {}


def brute_force(p):
    """Fewest warehouses, then cheapest, by enumerating warehouse subsets (small cases)."""
    best = None
    for k in range(1, len(p.options) + 1):
        for subset in itertools.combinations(p.options, k):
            remaining = {ln.sku: ln.quantity for ln in p.lines}
            # Cost is linear per unit within a subset: fill from the cheapest per-unit first.
            alloc = {o.warehouse_id: {} for o in subset}
            for ln in p.lines:
                for o in sorted(subset, key=lambda o: o.per_kg_cost):
                    take = min(remaining[ln.sku], o.available.get(ln.sku, 0))
                    if take:
                        alloc[o.warehouse_id][ln.sku] = take
                        remaining[ln.sku] -= take
            if any(remaining.values()) or any(not u for u in alloc.values()):
                continue
            cost = plan_cost(p, alloc)
            if best is None or cost < best:
                best = cost
        if best is not None:
            return k, best
    return None


def test_cpsat_matches_brute_force_on_random_cases():
    rng = random.Random(42)
    solver = CpSatSplitSolver(time_limit_s=5)
    for _ in range(25):
        skus = [f"S{i}" for i in range(rng.randint(2, 4))]
        options = [
            opt(
                f"W{w}",
                {s: rng.randint(0, 4) for s in skus},
                str(rng.randint(3, 30)),
                str(rng.randint(1, 9)),
            )
            for w in range(rng.randint(2, 5))
        ]
        lines = [(s, rng.randint(1, 5)) for s in skus]
        p = problem(lines, options)
        expected = brute_force(p)
        plan, _ = decide(p, solver)
        if expected is None:
            assert plan.allocations == {}
            continue
        assert (len(plan.allocations), plan_cost(p, plan.allocations)) == expected
