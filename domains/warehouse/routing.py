"""Picker routes in a single-block layout: the plan, the baselines and two exact references.

Pure: standard library only. Every tour starts and ends at the depot and every length here is in
integer centimetres (the layout's distances), so the exact methods can be compared to the
centimetre. The solver that plans real routes lives behind the `PickRouter` port in adapters/;
this module is what it is measured and guarded against:

- `s_shape_length`, `largest_gap_length`: the two classic walking policies (Hall 1993), as walks;
- `order_by_bin_name_length`: what Odoo and OpenBoxes do, visiting bins in bin-code order;
- `held_karp`: exact TSP over a distance matrix (depot at 0), for up to about 13 nodes;
- `optimal_length`: exact for any number of picks, Ratliff & Rosenthal's (1983) dynamic program
  over the aisles, linear in their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any, Protocol

from domains.warehouse.layout import BinLocation, Layout

HELD_KARP_MAX_NODES = 16  # 2^15 subsets x 15 x 15 steps: seconds in pure Python beyond this


@dataclass(frozen=True)
class RoutePlan:
    sequence: tuple[str, ...]  # canonical bin codes in visiting order, each once
    length_m: float  # depot -> sequence -> depot, shortest walk between stops
    s_shape_m: float  # the S-shape walk over the same bins, for comparison
    status: str  # solver status name, or why no solver ran / why a baseline was kept
    solve_ms: float
    method: str = "or-tools"  # "or-tools", "trivial", "s-shape" or "largest-gap": whose order

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sequence"] = list(self.sequence)
        return d


class PickRouter(Protocol):
    def route(self, layout: Layout, bin_codes: list[str]) -> RoutePlan: ...


def metres(cm: int) -> float:
    return round(cm / 100, 2)


def tour_length(layout: Layout, stops: Sequence[BinLocation]) -> int:
    """Depot, the stops in this order, depot: shortest walk between consecutive stops."""
    if not stops:
        return 0
    total = layout.distance(layout.depot, stops[0]) + layout.distance(stops[-1], layout.depot)
    for a, b in pairwise(stops):
        total += layout.distance(a, b)
    return total


def distinct(locations: Sequence[BinLocation]) -> list[BinLocation]:
    """Each bin once, first occurrence kept (two lines in one bin are one stop)."""
    seen: dict[str, BinLocation] = {}
    for loc in locations:
        seen.setdefault(loc.code, loc)
    return list(seen.values())


# --- walking policies -------------------------------------------------------------------------
#
# Both are built as a walk: a list of waypoints (x, y) joined by straight moves along an aisle or
# a cross-aisle, so their length is the length the policy really walks (a picker following the
# policy does not shortcut between stops), plus the order in which the walk passes the stops.


def _by_aisle(layout: Layout, locations: Sequence[BinLocation]) -> list[list[BinLocation]]:
    """Non-empty aisles, ordered starting from the end nearer the depot, stops sorted by y."""
    aisles: dict[int, list[BinLocation]] = {}
    for loc in locations:
        aisles.setdefault(loc.aisle_index, []).append(loc)
    order = sorted(aisles)
    if order:
        xd = layout.depot.x_cm
        left, right = layout.aisle_x_cm(order[0]), layout.aisle_x_cm(order[-1])
        if abs(right - xd) < abs(left - xd):
            order.reverse()
    return [sorted(aisles[i], key=lambda loc: (loc.y_cm, loc.code)) for i in order]


def _walk_length(layout: Layout, waypoints: list[tuple[int, int]]) -> int:
    xd = layout.depot.x_cm
    path = [(xd, 0), *waypoints, (xd, 0)]
    return sum(abs(x1 - x2) + abs(y1 - y2) for (x1, y1), (x2, y2) in pairwise(path))


def s_shape_route(
    layout: Layout, locations: Sequence[BinLocation]
) -> tuple[int, list[BinLocation]]:
    """S-shape: every aisle with a stop walked end to end, alternating up and down.

    When the number of such aisles is odd, the last one is entered from the front and left
    from the front after its farthest stop. Returns (walk length in cm, visiting order).
    """
    aisles = _by_aisle(layout, locations)
    h = layout.depth_cm
    waypoints: list[tuple[int, int]] = []
    order: list[BinLocation] = []
    for k, stops in enumerate(aisles):
        x = stops[0].x_cm
        last_odd = k == len(aisles) - 1 and k % 2 == 0
        if last_odd:
            waypoints += [(x, 0), (x, stops[-1].y_cm), (x, 0)]
            order += stops
        elif k % 2 == 0:  # up from the front
            waypoints += [(x, 0), (x, h)]
            order += stops
        else:  # down from the back
            waypoints += [(x, h), (x, 0)]
            order += reversed(stops)
    return _walk_length(layout, waypoints), order


def s_shape_length(layout: Layout, locations: Sequence[BinLocation]) -> int:
    return s_shape_route(layout, locations)[0]


def largest_gap_route(
    layout: Layout, locations: Sequence[BinLocation]
) -> tuple[int, list[BinLocation]]:
    """Largest gap: first and last aisle walked end to end, the others entered from both ends.

    The picker goes up the first aisle, along the back picking each middle aisle's stops above
    its largest gap (entering and leaving from the back), down the last aisle, then back along
    the front picking the stops below each largest gap. The gaps of an aisle are front-to-first
    stop, between consecutive stops, and last stop-to-back; the largest is never walked.
    Returns (walk length in cm, visiting order).
    """
    aisles = _by_aisle(layout, locations)
    if not aisles:
        return 0, []
    if len(aisles) == 1:
        stops = aisles[0]
        x = stops[0].x_cm
        return _walk_length(layout, [(x, 0), (x, stops[-1].y_cm), (x, 0)]), list(stops)
    h = layout.depth_cm
    first, middle, last = aisles[0], aisles[1:-1], aisles[-1]
    waypoints = [(first[0].x_cm, 0), (first[0].x_cm, h)]
    order = list(first)
    lower: list[list[BinLocation]] = []
    for stops in middle:
        x = stops[0].x_cm
        ys = [0] + [s.y_cm for s in stops] + [h]
        gaps = [ys[i + 1] - ys[i] for i in range(len(ys) - 1)]
        cut = max(range(len(gaps)), key=lambda i: (gaps[i], i))  # ties: take more from the front
        below, above = stops[:cut], stops[cut:]
        lower.append(below)
        if above:
            waypoints += [(x, h), (x, above[0].y_cm), (x, h)]
            order += reversed(above)
    x = last[0].x_cm
    waypoints += [(x, h), (x, 0)]
    order += reversed(last)
    for stops in reversed(lower):
        if stops:
            x = stops[0].x_cm
            waypoints += [(x, 0), (x, stops[-1].y_cm), (x, 0)]
            order += stops
    return _walk_length(layout, waypoints), order


def largest_gap_length(layout: Layout, locations: Sequence[BinLocation]) -> int:
    return largest_gap_route(layout, locations)[0]


def order_by_bin_name_length(layout: Layout, locations: Sequence[BinLocation]) -> int:
    """Bins visited in bin-code order (zone, aisle, bay, level), shortest walk between them."""
    return tour_length(layout, sorted(distinct(locations), key=lambda loc: loc.code))


# --- exact references -------------------------------------------------------------------------


def held_karp(dist: Sequence[Sequence[int]]) -> tuple[int, list[int]]:
    """Exact shortest tour from node 0 through every node and back: (length, order of 1..n-1)."""
    n = len(dist)
    if n > HELD_KARP_MAX_NODES:
        raise ValueError(f"Held-Karp is for at most {HELD_KARP_MAX_NODES} nodes, got {n}")
    if n <= 1:
        return 0, []
    m = n - 1  # node i+1 is bit i
    full = (1 << m) - 1
    inf = float("inf")
    # best[mask][i]: shortest path from 0 through exactly `mask`, ending at node i+1 (bit i in mask)
    best: list[list[float]] = [[inf] * m for _ in range(1 << m)]
    parent: list[list[int]] = [[-1] * m for _ in range(1 << m)]
    for i in range(m):
        best[1 << i][i] = dist[0][i + 1]
    for mask in range(1, full + 1):
        row = best[mask]
        for i in range(m):
            here = row[i]
            if here == inf:
                continue
            d_i = dist[i + 1]
            for j in range(m):
                bit = 1 << j
                if mask & bit:
                    continue
                cand = here + d_i[j + 1]
                nxt = mask | bit
                if cand < best[nxt][j]:
                    best[nxt][j] = cand
                    parent[nxt][j] = i
    length, end = min((best[full][i] + dist[i + 1][0], i) for i in range(m))
    order, mask, i = [], full, end
    while i != -1:
        order.append(i + 1)
        mask, i = mask & ~(1 << i), parent[mask][i]
    order.reverse()
    return int(length), order


# Ratliff & Rosenthal (1983). The warehouse is a ladder: aisle j joins its front node a_j and back
# node b_j through its stops; cross-aisle edges join a_j-a_{j+1} and b_j-b_{j+1}. A shortest tour
# is a cheapest connected multigraph on these edges (each used at most twice) with all degrees
# even, touching every stop and the depot. Sweep the aisles left to right, remembering only what
# the right-hand part needs to know about the left-hand part: the degree parity of a_j and b_j
# (or that they are not touched yet) and whether they are already connected. Every component of
# the left part must reach a_j or b_j, or it could never join the rest.
#
# State: (deg_a, deg_b, joined), deg in {_NONE, _ODD, _EVEN}; joined only means something when
# both a_j and b_j are touched.

_NONE, _ODD, _EVEN = 0, 1, 2
_INF = float("inf")


def _add_degree(state: int, added: int) -> int:
    if added == 0:
        return state
    odd = (1 if state == _ODD else 0) + added
    return _ODD if odd % 2 else _EVEN


def _aisle_options(ys: list[int], h: int, walkable: bool) -> list[tuple[int, int, int, bool]]:
    """(cost, degree added at a, at b, joins a and b) for each way to cover one aisle's stops."""
    if not walkable:  # the depot's own column when the depot is not in front of an aisle
        return [(0, 0, 0, False)]
    options = [(h, 1, 1, True), (2 * h, 2, 2, True)]  # through once; through twice
    if not ys:
        options.append((0, 0, 0, False))
        return options
    options.append((2 * ys[-1], 2, 0, False))  # from the front to the farthest stop and back
    options.append((2 * (h - ys[0]), 0, 2, False))  # from the back to the nearest stop and back
    if len(ys) > 1:  # from both ends, skipping the largest gap between two stops
        gap = max(ys[i + 1] - ys[i] for i in range(len(ys) - 1))
        options.append((2 * (h - gap), 2, 2, False))
    return options


_State = tuple[int, int, bool]  # (deg_a, deg_b, joined)


def optimal_length(layout: Layout, locations: Sequence[BinLocation]) -> int:
    """Length in cm of a shortest depot-to-depot tour through all the locations (exact)."""
    if not locations:
        return 0
    xs, aisle_xs, ys_by_x = _columns(layout, locations)
    depot_x = layout.depot.x_cm
    states: dict[_State, float] = {(_NONE, _NONE, False): 0}
    for k, x in enumerate(xs):
        ys = sorted(ys_by_x.get(x, []))
        states = _cover_column(states, ys, layout.depth_cm, x in aisle_xs)
        if k < len(xs) - 1:
            states = _cross_to_next_column(states, xs[k + 1] - x, x == depot_x)
    return _shortest_closed_tour(states, xs[-1] == depot_x)


def _columns(
    layout: Layout, locations: Sequence[BinLocation]
) -> tuple[list[int], set[int], dict[int, list[int]]]:
    """The columns to sweep, left to right: the aisles from the leftmost to the rightmost with
    a stop or the depot (an optimal tour never goes beyond them), plus the depot's own point
    when it is between aisles; the aisles' x; and each column's stops (their y)."""
    ys_by_x: dict[int, list[int]] = {}
    for loc in locations:
        ys_by_x.setdefault(loc.x_cm, []).append(loc.y_cm)
    depot_x = layout.depot.x_cm
    lo = min([depot_x, *ys_by_x])
    hi = max([depot_x, *ys_by_x])
    aisle_xs = {layout.aisle_x_cm(g) for g in range(layout.aisle_count)}
    xs = sorted({x for x in aisle_xs if lo <= x <= hi} | {depot_x})
    return xs, aisle_xs, ys_by_x


def _cover_column(
    states: dict[_State, float], ys: list[int], h: int, walkable: bool
) -> dict[_State, float]:
    """Every way to cover this column's stops, from every state the left part can be in."""
    after: dict[_State, float] = {}
    for (da, db, joined), cost in states.items():
        for extra, add_a, add_b, joins in _aisle_options(ys, h, walkable):
            na, nb = _add_degree(da, add_a), _add_degree(db, add_b)
            # A new touch of a or b by a one-sided option starts a part of its own.
            keeps = joined and da != _NONE and db != _NONE
            key = (na, nb, joins or keeps)
            if cost + extra < after.get(key, _INF):
                after[key] = cost + extra
    return after


def _cross_to_next_column(
    after: dict[_State, float], width: int, is_depot: bool
) -> dict[_State, float]:
    """Cross to the next column: 0, 1 or 2 copies of the front and of the back edge."""
    states: dict[_State, float] = {}
    for (da, db, joined), cost in after.items():
        both = joined and da != _NONE and db != _NONE
        for front in (0, 1, 2):
            for back in (0, 1, 2):
                fa, fb = _add_degree(da, front), _add_degree(db, back)
                if fa == _ODD or fb == _ODD:
                    continue  # a_j and b_j are final now: their degree must be even
                if is_depot and fa == _NONE:
                    continue
                # Every part must continue to the right: there is a stop or the depot there.
                a_goes = fa != _NONE and (front > 0 or (both and back > 0))
                b_goes = fb != _NONE and (back > 0 or (both and front > 0))
                if (fa != _NONE and not a_goes) or (fb != _NONE and not b_goes):
                    continue
                if fa == _NONE and fb == _NONE:
                    continue  # the left part (a stop or the depot) would be cut off
                key = (
                    _add_degree(_NONE, front),
                    _add_degree(_NONE, back),
                    both and front > 0 and back > 0,
                )
                total = cost + (front + back) * width
                if total < states.get(key, _INF):
                    states[key] = total
    return states


def _shortest_closed_tour(states: dict[_State, float], last_is_depot: bool) -> int:
    """The cheapest final state that is one closed tour: even degrees, one part, not empty."""
    best = _INF
    for (da, db, joined), cost in states.items():
        if da == _ODD or db == _ODD:
            continue
        if da != _NONE and db != _NONE and not joined:
            continue  # two parts that never meet
        if da == _NONE and db == _NONE:
            continue
        if last_is_depot and da == _NONE:
            continue
        best = min(best, cost)
    return int(best)
