"""Pick routes with OR-Tools routing, behind the plain-data `PickRouter` port.

One vehicle, depot start and end, on the layout's integer-centimetre aisle distance matrix:
PATH_CHEAPEST_ARC for a first tour, then guided local search. GLS never proves optimality and
runs until told to stop, so its time budget is what makes it fast (see `__init__`). The plan is
never longer than the better of the S-shape and largest-gap walks: if GLS did worse, that
baseline's order is returned and the status says so.
"""

from __future__ import annotations

import time

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from domains.warehouse.layout import BinLocation, Layout, parse_bin
from domains.warehouse.routing import (
    RoutePlan,
    distinct,
    largest_gap_route,
    metres,
    s_shape_route,
    tour_length,
)


class OrToolsPickRouter:
    def __init__(
        self, time_limit_ms: int = 60, ms_per_stop: float = 1.5, min_time_ms: int = 20
    ) -> None:
        """GLS budget per list: min(time_limit_ms, max(min_time_ms, ms_per_stop * stops)).

        Measured in the 10-aisle bench layout (scripts/bench_routes.py): 10 stops reach the
        optimum within 10 ms on an idle machine (the 20 ms floor keeps that true under load);
        30 stops are ~0.5% over it after 25 ms and ~0.4% after 90 ms; 60 stops gain little
        after 50 ms. A `solution_limit` (50 solutions: ~0.5% over at 30 stops, but 2-5x the
        time) and stopping after N solutions without improvement did no better for the time
        spent, and `lns_time_limit` made no difference (GLS on one vehicle barely uses LNS), so
        the budget is time alone, growing with the list. Being time-based, quality drops a
        little on a loaded machine (fewer CPU cycles per millisecond).
        """
        self.time_limit_ms = time_limit_ms
        self.ms_per_stop = ms_per_stop
        self.min_time_ms = min_time_ms

    def budget_ms(self, stops: int) -> int:
        return max(1, int(min(self.time_limit_ms, max(self.min_time_ms, self.ms_per_stop * stops))))

    def route(self, layout: Layout, bin_codes: list[str]) -> RoutePlan:
        started = time.perf_counter()
        stops = distinct([parse_bin(layout, code) for code in bin_codes])
        s_len, s_order = s_shape_route(layout, stops)
        if len(stops) <= 2:
            # Any order of two stops is the same tour backwards: nothing to optimise.
            return self._plan(layout, stops, s_len, "TRIVIAL", "trivial", started)
        # The walks' orders scored as tours (shortest walk between consecutive stops, so never
        # longer than the walk itself): the floor GLS has to beat.
        baselines = [
            (tour_length(layout, order), method, order)
            for method, order in (
                ("s-shape", s_order),
                ("largest-gap", largest_gap_route(layout, stops)[1]),
            )
        ]
        floor_len, floor_method, floor_order = min(baselines, key=lambda b: b[0])
        order, status = self._solve(layout, stops)
        if order is not None and tour_length(layout, order) <= floor_len:
            return self._plan(layout, order, s_len, status, "or-tools", started)
        kept = floor_method.upper().replace("-", "_")
        return self._plan(
            layout, floor_order, s_len, f"{status}; KEPT_{kept}", floor_method, started
        )

    def _solve(
        self, layout: Layout, stops: list[BinLocation]
    ) -> tuple[list[BinLocation] | None, str]:
        matrix = layout.distance_matrix([layout.depot, *stops])
        manager = pywrapcp.RoutingIndexManager(len(matrix), 1, 0)
        routing = pywrapcp.RoutingModel(manager)
        # A matrix registered natively: no Python callback per arc evaluation.
        transit = routing.RegisterTransitMatrix(matrix)
        routing.SetArcCostEvaluatorOfAllVehicles(transit)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
        params.time_limit.FromMilliseconds(self.budget_ms(len(stops)))
        solution = routing.SolveWithParameters(params)
        status = _status_name(routing.status())
        if solution is None:
            return None, status
        order = []
        index = routing.Start(0)
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            if node:
                order.append(stops[node - 1])
            index = solution.Value(routing.NextVar(index))
        return order, status

    @staticmethod
    def _plan(
        layout: Layout,
        order: list[BinLocation],
        s_len: int,
        status: str,
        method: str,
        started: float,
    ) -> RoutePlan:
        return RoutePlan(
            sequence=tuple(loc.code for loc in order),
            length_m=metres(tour_length(layout, order)),
            s_shape_m=metres(s_len),
            status=status,
            solve_ms=round((time.perf_counter() - started) * 1000, 2),
            method=method,
        )


def _status_name(status: int) -> str:
    try:
        return str(routing_enums_pb2.RoutingSearchStatus.Value.Name(status))
    except ValueError:
        return f"STATUS_{status}"
