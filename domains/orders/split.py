"""Which warehouses ship which lines: fewest shipments first, then lowest estimated cost.

Pure planning over plain data. The exact solver for the hard case lives behind a port
(`SplitSolver`) in adapters/; here are the problem, the cost model, the no-solver cases and the
greedy plan that seeds the solver and stands in when it has nothing better.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

CENT = Decimal("0.01")


@dataclass(frozen=True)
class SplitLine:
    sku: str
    quantity: int
    unit_weight_g: int


@dataclass(frozen=True)
class WarehouseOption:
    warehouse_id: str
    country: str
    available: dict[str, int]  # sku -> units available now
    fixed_cost: Decimal  # estimated cost of one shipment from here to the destination
    per_kg_cost: Decimal
    # The carrier service the estimate comes from (carrier, service, card_version, quote at
    # the weight band); None when estimated from the lane table.
    service: dict[str, Any] | None = None


@dataclass(frozen=True)
class SplitProblem:
    destination: str
    currency: str
    lines: list[SplitLine]
    options: list[WarehouseOption]
    # Stocked warehouses left out for a line, with why (no carrier for the lane or goods).
    excluded: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SplitPlan:
    allocations: dict[str, dict[str, int]]  # warehouse -> sku -> units
    status: str  # "single_warehouse", "OPTIMAL", "FEASIBLE", "greedy", "infeasible"
    objective: Decimal | None = None
    solve_ms: float = 0.0


class SplitSolver(Protocol):
    def __call__(self, problem: SplitProblem, hint: SplitPlan | None) -> SplitPlan: ...


def lane_service(offer: dict[str, Any]) -> dict[str, Any]:
    """What a split event records of the service an option is priced on: which one, on which
    card version (`carrier/service@version`), and its quote (USD) at the weight band."""
    return {
        "ref": offer.get("ref") or f"{offer['carrier']}/{offer['service']}@{offer['card_version']}",
        "quote": offer["quote"],
        "weight_band_g": offer["weight_band_g"],
    }


def option_cost(problem: SplitProblem, option: WarehouseOption, units: dict[str, int]) -> Decimal:
    grams = 0
    for ln in problem.lines:
        grams += ln.unit_weight_g * units.get(ln.sku, 0)
    return _cost_of(option, grams)


def _cost_of(option: WarehouseOption, grams: int) -> Decimal:
    return (option.fixed_cost + option.per_kg_cost * grams / 1000).quantize(CENT, ROUND_HALF_UP)


def shipment_costs(
    problem: SplitProblem, allocations: dict[str, dict[str, int]]
) -> dict[str, Decimal]:
    """Each warehouse's shipment cost under a plan."""
    options = {o.warehouse_id: o for o in problem.options}
    return {w: option_cost(problem, options[w], units) for w, units in allocations.items()}


def plan_cost(problem: SplitProblem, allocations: dict[str, dict[str, int]]) -> Decimal:
    return sum(shipment_costs(problem, allocations).values(), Decimal("0"))


def single_warehouse(problem: SplitProblem) -> SplitPlan | None:
    """The common case, decided without a solver: the cheapest warehouse holding everything."""
    # Plain loops: this runs for nearly every order, and generator-based all()/min() over a
    # handful of options cost more than the comparisons themselves.
    grams = 0
    for ln in problem.lines:
        grams += ln.unit_weight_g * ln.quantity
    best: tuple[Decimal, str] | None = None
    for o in problem.options:
        available = o.available
        for ln in problem.lines:
            if available.get(ln.sku, 0) < ln.quantity:
                break
        else:
            candidate = (_cost_of(o, grams), o.warehouse_id)
            if best is None or candidate < best:
                best = candidate
    if best is None:
        return None
    return SplitPlan(
        {best[1]: {ln.sku: ln.quantity for ln in problem.lines}}, "single_warehouse", best[0]
    )


def greedy(problem: SplitProblem) -> SplitPlan:
    """Repeatedly take the warehouse that covers the most remaining units (cheaper on ties)."""
    remaining = {ln.sku: ln.quantity for ln in problem.lines}
    allocations: dict[str, dict[str, int]] = {}
    while any(remaining.values()):
        best, best_take = None, {}
        for o in problem.options:
            if o.warehouse_id in allocations:
                continue
            take = {s: min(q, o.available.get(s, 0)) for s, q in remaining.items() if q}
            take = {s: q for s, q in take.items() if q > 0}
            if not take:
                continue
            key = (-sum(take.values()), option_cost(problem, o, take))
            if best is None or key < best[0]:
                best, best_take = (key, o.warehouse_id), take
        if best is None:
            return SplitPlan({}, "infeasible")
        allocations[best[1]] = best_take
        for s, q in best_take.items():
            remaining[s] -= q
    return SplitPlan(allocations, "greedy", plan_cost(problem, allocations))


def describe(problem: SplitProblem, plan: SplitPlan, solver_used: bool) -> dict[str, Any]:
    """The split event's payload: candidates, the chosen plan, objective and solver status."""
    weights = {ln.sku: ln.unit_weight_g for ln in problem.lines}
    skus = list(weights)
    options = {o.warehouse_id: o for o in problem.options}
    shipments = []
    total = Decimal("0")
    for n, warehouse_id in enumerate(sorted(plan.allocations), start=1):
        units = plan.allocations[warehouse_id]
        grams = sum(weights[s] * q for s, q in units.items())
        cost = _cost_of(options[warehouse_id], grams)
        total += cost
        shipments.append(
            {
                "shipment_no": n,
                "warehouse_id": warehouse_id,
                "lines": [{"sku": s, "quantity": units[s]} for s in sorted(units) if units[s] > 0],
                "weight_g": grams,
                "estimated_cost": str(cost),
            }
        )
    return {
        "policy": "fewest_shipments_then_cost",
        "destination": problem.destination,
        "currency": problem.currency,
        "candidates": [
            {
                "warehouse_id": o.warehouse_id,
                "country": o.country,
                "available": {s: o.available.get(s, 0) for s in skus},
                "fixed_cost": str(o.fixed_cost),
                "per_kg_cost": str(o.per_kg_cost),
                **({"service": o.service} if o.service is not None else {}),
            }
            for o in problem.options
        ],
        **({"excluded_candidates": problem.excluded} if problem.excluded else {}),
        "plan": shipments,
        "shipments": len(shipments),
        "estimated_cost": str(total),
        "objective": None if plan.objective is None else str(plan.objective),
        "solver": {"used": solver_used, "status": plan.status, "solve_ms": round(plan.solve_ms, 2)},
    }


def decide(problem: SplitProblem, solver: SplitSolver | None) -> tuple[SplitPlan, bool]:
    """Decide the plan. Returns (plan, solver_used); an infeasible plan has no allocations."""
    plan = single_warehouse(problem)
    if plan is not None:
        return plan, False
    hint = greedy(problem)
    if hint.status == "infeasible" or solver is None:
        return hint, False
    solved = solver(problem, hint)
    if not solved.allocations:
        return hint, True
    return solved, True
