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
        # Each shipment's cost as the plan prices it: its exact cost in hundred-thousandths
        # (a lane's fixed and per-kg costs have at most two decimals, weights are whole grams)
        # rounded half up to whole cents, so the solver's cheapest is the plan's cheapest to
        # the cent (whole cents per unit, truncated, made plans a cent apart look equal).
        y, x = {}, {}
        cents, cents_bounds = [], []
        total_units = sum(ln.quantity for ln in problem.lines)
        for o in problem.options:
            w = o.warehouse_id
            y[w] = model.new_bool_var(f"y_{w}")
            exact = [_units(o.fixed_cost * 1000) * y[w]]
            most = _units(o.fixed_cost * 1000)
            for ln in problem.lines:
                cap = min(ln.quantity, o.available.get(ln.sku, 0))
                if cap <= 0:
                    continue
                x[w, ln.sku] = model.new_int_var(0, cap, f"x_{w}_{ln.sku}")
                model.add(x[w, ln.sku] <= cap * y[w])
                per_unit = _units(o.per_kg_cost * weights[ln.sku])
                exact.append(per_unit * x[w, ln.sku])
                most += per_unit * cap
            cents_bounds.append(most // 1000 + 1)
            rounded = model.new_int_var(0, cents_bounds[-1], f"cents_{w}")
            model.add(1000 * rounded - 500 <= sum(exact))
            model.add(sum(exact) <= 1000 * rounded + 499)
            cents.append(rounded)
        for ln in problem.lines:
            model.add(sum(x[w, s] for (w, s) in x if s == ln.sku) == ln.quantity)
        big_m = 1 + sum(cents_bounds)  # more than any plan's cost: fewer shipments always win
        model.minimize(big_m * sum(y.values()) + sum(cents))
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
