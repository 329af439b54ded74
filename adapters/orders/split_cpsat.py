"""Multi-warehouse split with OR-Tools CP-SAT, behind the plain-data `SplitSolver` port.

Model: y_w (ship from w), x_ws (units of s from w). Minimise BIG_M * sum(y) + cost, so
fewer shipments always wins and cost breaks ties. Time-capped, seeded with the greedy plan.
"""

from __future__ import annotations

import time
from decimal import Decimal

from ortools.sat.python import cp_model

from domains.orders.split import SplitPlan, SplitProblem, plan_cost


def _units(amount_times_1000: Decimal) -> int:
    """An amount given in thousandths (per kg x grams, or a fixed cost x 1000) as a whole
    number of hundred-thousandths, rounded where a cost has more than two decimals."""
    return int((amount_times_1000 * 100).to_integral_value())


class CpSatSplitSolver:
    def __init__(self, time_limit_s: float = 2.0, workers: int = 1) -> None:
        self.time_limit_s = time_limit_s
        self.workers = workers

    def __call__(self, problem: SplitProblem, hint: SplitPlan | None) -> SplitPlan:
        started = time.perf_counter()
        model = cp_model.CpModel()
        weights = {ln.sku: ln.unit_weight_g for ln in problem.lines}
        # Cost in integer hundred-thousandths of the currency unit: a lane's fixed and per-kg
        # costs have at most two decimals and weights are whole grams, so every term is exact
        # (whole cents per unit, truncated, made plans a cent apart look equal).
        y, x = {}, {}
        cost_terms = []
        total_units = sum(ln.quantity for ln in problem.lines)
        for o in problem.options:
            w = o.warehouse_id
            y[w] = model.new_bool_var(f"y_{w}")
            cost_terms.append(_units(o.fixed_cost * 1000) * y[w])
            for ln in problem.lines:
                cap = min(ln.quantity, o.available.get(ln.sku, 0))
                if cap <= 0:
                    continue
                x[w, ln.sku] = model.new_int_var(0, cap, f"x_{w}_{ln.sku}")
                model.add(x[w, ln.sku] <= cap * y[w])
                cost_terms.append(_units(o.per_kg_cost * weights[ln.sku]) * x[w, ln.sku])
        for ln in problem.lines:
            model.add(sum(x[w, s] for (w, s) in x if s == ln.sku) == ln.quantity)
        big_m = (
            1
            + sum(_units(o.fixed_cost * 1000) for o in problem.options)
            + sum(
                _units(o.per_kg_cost * weights[ln.sku]) * ln.quantity
                for o in problem.options
                for ln in problem.lines
            )
        )
        model.minimize(big_m * sum(y.values()) + sum(cost_terms))
        if hint is not None:
            for o in problem.options:
                units = hint.allocations.get(o.warehouse_id, {})
                model.add_hint(y[o.warehouse_id], 1 if units else 0)
                for ln in problem.lines:
                    if (o.warehouse_id, ln.sku) in x:
                        model.add_hint(x[o.warehouse_id, ln.sku], units.get(ln.sku, 0))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = self.time_limit_s
        solver.parameters.num_workers = self.workers
        status = solver.solve(model)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or total_units == 0:
            return SplitPlan({}, solver.status_name(status), None, elapsed_ms)
        allocations: dict[str, dict[str, int]] = {}
        for (w, s), var in x.items():
            units = solver.value(var)
            if units:
                allocations.setdefault(w, {})[s] = units
        return SplitPlan(
            allocations,
            solver.status_name(status),
            Decimal(plan_cost(problem, allocations)),
            elapsed_ms,
        )
