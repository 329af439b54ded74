"""The order split against brute force on hundreds of generated feasible multi-warehouse cases.

Policy (domains/orders/split.py): fewest shipments first, then the lowest estimated cost, where
a shipment from warehouse w carrying g grams costs round(fixed_w + per_kg_w x g / 1000) to the
cent. Every generated case is feasible and no single warehouse holds the whole order, so
`decide` always hands it to the CP-SAT solver (adapters/orders/split_cpsat.py).

The oracle enumerates every allocation: for each line, every way to share its quantity among
the warehouses within their stock, and every combination of those shares over the lines (2-4
warehouses, 1-4 lines of 1-4 units keep that to at most a few thousand per case).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from adapters.orders.split_cpsat import CpSatSplitSolver
from domains.orders.split import (
    CENT,
    SplitLine,
    SplitPlan,
    SplitProblem,
    WarehouseOption,
    decide,
    greedy,
    plan_cost,
    single_warehouse,
)
from tests.properties.settings import REPRODUCIBLE

EXAMPLES = 300
# Unit weights of the sample catalogue (adapters/data/products.json) and round ones.
WEIGHTS = [50, 110, 120, 140, 150, 180, 250, 333, 500, 1050, 1100, 1250, 1350, 1600, 2000]


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    """Amounts with two decimals, like the lane costs in adapters/data/shipping_costs.json."""
    return st.integers(low, high).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def multi_warehouse_problems(draw: st.DrawFn) -> SplitProblem:
    """Feasible by construction, and no warehouse can ship the whole order alone.

    Each warehouse is 'blocked' on one line (holds fewer units of it than ordered), so no single
    warehouse covers the order. Stock is then drawn under those caps, and any line still short
    is topped up in warehouses with room. A line blocked everywhere needs quantity >= 2 to be
    coverable by two or more warehouses holding at most quantity - 1 each.
    """
    n_wh = draw(st.integers(2, 4), label="warehouses")
    n_lines = draw(st.integers(1, 4), label="lines")
    quantities = [draw(st.integers(2 if n_lines == 1 else 1, 4)) for _ in range(n_lines)]
    blocked = [draw(st.integers(0, n_lines - 1)) for _ in range(n_wh)]
    for s, q in enumerate(quantities):
        if q == 1 and all(b == s for b in blocked):
            blocked[0] = (s + 1) % n_lines  # another line: n_lines > 1 since q == 1
    caps = [
        [quantities[s] - 1 if blocked[w] == s else quantities[s] + 1 for s in range(n_lines)]
        for w in range(n_wh)
    ]
    stock = [[draw(st.integers(0, caps[w][s])) for s in range(n_lines)] for w in range(n_wh)]
    order = draw(st.permutations(range(n_wh)), label="top-up order")
    for s, q in enumerate(quantities):
        short = q - sum(stock[w][s] for w in range(n_wh))
        for w in order:
            if short <= 0:
                break
            add = min(short, caps[w][s] - stock[w][s])
            stock[w][s] += add
            short -= add
        assert short <= 0, "the caps always leave room for the order"
    skus = [f"SKU-{s}" for s in range(n_lines)]
    lines = [
        SplitLine(skus[s], quantities[s], draw(st.sampled_from(WEIGHTS))) for s in range(n_lines)
    ]
    options = [
        WarehouseOption(
            f"W{w}",
            draw(st.sampled_from(["CN", "US", "DE", "GB"])),
            {skus[s]: stock[w][s] for s in range(n_lines) if stock[w][s] or draw(st.booleans())},
            draw(cents(100, 3000), label="fixed cost"),
            draw(cents(10, 1000), label="per kg cost"),
        )
        for w in range(n_wh)
    ]
    return SplitProblem(draw(st.sampled_from(["US", "DE", "GB"])), "USD", lines, options)


def _shares(quantity: int, caps: list[int]) -> list[tuple[int, ...]]:
    """Every way to split `quantity` units over warehouses holding at most caps[w] each."""
    return [
        share
        for share in itertools.product(*(range(min(quantity, c) + 1) for c in caps))
        if sum(share) == quantity
    ]


def _shipment_cost(option: WarehouseOption, grams: int) -> Decimal:
    """Money rounds half up to the cent (the house rule, domains/common.py `money`)."""
    return (option.fixed_cost + option.per_kg_cost * grams / 1000).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Oracle:
    best: dict[int, Decimal] = field(default_factory=dict)  # shipments -> lowest cost
    allocations: int = 0  # allocations enumerated

    @property
    def fewest(self) -> int:
        return min(self.best)


def brute_force(problem: SplitProblem) -> Oracle | None:
    """Lowest cost for each shipment count over every allocation; None when infeasible."""
    oracle = Oracle()
    per_line = [
        _shares(ln.quantity, [o.available.get(ln.sku, 0) for o in problem.options])
        for ln in problem.lines
    ]
    for allocation in itertools.product(*per_line):  # one share per line
        oracle.allocations += 1
        cost, shipments = Decimal("0"), 0
        for w, option in enumerate(problem.options):
            grams = sum(
                ln.unit_weight_g * share[w]
                for ln, share in zip(problem.lines, allocation, strict=True)
            )
            if grams:
                shipments += 1
                cost += _shipment_cost(option, grams)
        if shipments not in oracle.best or cost < oracle.best[shipments]:
            oracle.best[shipments] = cost
    return oracle if oracle.best else None


def check_plan_is_an_allocation(problem: SplitProblem, plan: SplitPlan) -> None:
    """Every unit covered, nothing beyond what a warehouse holds, no empty shipment."""
    options = {o.warehouse_id: o for o in problem.options}
    shipped = dict.fromkeys((ln.sku for ln in problem.lines), 0)
    for w, units in plan.allocations.items():
        assert w in options, f"{w} is not a candidate"
        assert any(q > 0 for q in units.values()), f"empty shipment from {w}"
        for sku, q in units.items():
            assert sku in shipped, f"{w} ships {sku}, which was not ordered"
            assert 0 <= q <= options[w].available.get(sku, 0), (w, sku, q)
            shipped[sku] += q
    assert shipped == {ln.sku: ln.quantity for ln in problem.lines}


SOLVER = CpSatSplitSolver(time_limit_s=5)

# Found by this property (test_solver_finds_the_cheapest_plan_to_the_cent, minimal form): 3
# units of 100 g, 2 in each warehouse, same fixed cost. Per kg 1.99 vs 1.90 makes a unit 19.9 or
# 19.0 cents, both 19 in CP-SAT's truncated integer cents, so it sees every plan at the same
# price and returns 2 from W0 + 1 from W1 (1.40 + 1.19 = 2.59) though the greedy hint it was
# given, 2 from W1 + 1 from W0 (1.38 + 1.20 = 2.58), is the cheapest.
CENT_EXAMPLE = SplitProblem(
    "US",
    "USD",
    [SplitLine("SKU-0", 3, 100)],
    [
        WarehouseOption("W0", "CN", {"SKU-0": 2}, Decimal("1.00"), Decimal("1.99")),
        WarehouseOption("W1", "CN", {"SKU-0": 2}, Decimal("1.00"), Decimal("1.90")),
    ],
)


@dataclass
class Tally:
    cases: int = 0
    multi_warehouse: int = 0  # no single warehouse holds the order (the solver must run)
    three_or_more: int = 0  # the fewest shipments is 3 or more
    greedy_beaten: int = 0  # greedy had more shipments or cost more than the optimum
    allocations: int = 0
    cost_gap_cents: list[int] = field(default_factory=list)


def test_split_meets_the_brute_force_optimum_on_generated_multi_warehouse_cases():
    """Hundreds of feasible cases that need 2+ warehouses: the plan has the oracle's fewest
    shipments, and its cost is within the rounding CP-SAT's integer-cent model allows (below):
    at most one cent per unit plus one per shipment above the oracle's lowest cost. The exact
    comparison is the next test."""
    tally = Tally()

    @settings(REPRODUCIBLE, max_examples=EXAMPLES)
    @given(multi_warehouse_problems())
    def check(problem: SplitProblem) -> None:
        oracle = brute_force(problem)
        assert oracle is not None, "generated cases are feasible by construction"
        plan, solver_used = decide(problem, SOLVER)
        note(f"oracle {oracle.best}; plan {plan}")
        tally.cases += 1
        tally.allocations += oracle.allocations
        if single_warehouse(problem) is None:
            tally.multi_warehouse += 1
        tally.three_or_more += oracle.fewest >= 3
        hint = greedy(problem)
        if (len(hint.allocations), hint.objective) != (oracle.fewest, oracle.best[oracle.fewest]):
            tally.greedy_beaten += 1

        assert solver_used and plan.status == "OPTIMAL"
        check_plan_is_an_allocation(problem, plan)
        assert len(plan.allocations) == oracle.fewest
        cost = plan_cost(problem, plan.allocations)
        assert plan.objective == cost
        gap = int((cost - oracle.best[oracle.fewest]) / CENT)
        tally.cost_gap_cents.append(gap)
        # CP-SAT's objective is whole cents: each unit's per-kg cost truncated (< 1 cent off
        # per unit), and the true cost rounds once per shipment (<= half a cent each way).
        units = sum(ln.quantity for ln in problem.lines)
        assert 0 <= gap <= units + len(plan.allocations)

    check()
    print(
        f"split: {tally.cases} cases, {tally.multi_warehouse} multi-warehouse, "
        f"{tally.three_or_more} needing 3+ shipments, greedy beaten in {tally.greedy_beaten}, "
        f"{tally.allocations} allocations enumerated, cost gaps (cents) "
        f"{sorted(set(tally.cost_gap_cents))}"
    )
    assert tally.cases >= EXAMPLES * 0.95
    assert tally.multi_warehouse / tally.cases >= 0.95
    assert tally.three_or_more >= tally.cases * 0.05  # not only two-warehouse cases
    assert tally.greedy_beaten >= tally.cases * 0.05  # the solver has work to do


@REPRODUCIBLE
@given(multi_warehouse_problems())
@example(CENT_EXAMPLE)
def test_solver_finds_the_cheapest_plan_to_the_cent(problem: SplitProblem) -> None:
    oracle = brute_force(problem)
    assert oracle is not None
    plan, _ = decide(problem, SOLVER)
    assert len(plan.allocations) == oracle.fewest
    assert plan_cost(problem, plan.allocations) == oracle.best[oracle.fewest]
