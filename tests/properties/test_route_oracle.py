"""The pick router against the exact optimum on a hundred generated pick lists of 5-12 stops.

Layout: the one the README's "Pick routes" table was measured in (scripts/bench_routes.py: one
zone, 10 aisles x 30 bays x 2 levels). The optimum is Ratliff & Rosenthal's dynamic program
(`optimal_length`), itself checked against Held-Karp on the lists small enough for it.

The router's search is time-budgeted: min(60, max(20, 1.5 x stops)) ms per list, so 20 ms for
every list here; with parsing, baselines and model building a list takes ~25-40 ms, a hundred
lists a few seconds.

Bounds: the README's table gives a mean route/optimum of 1.0000 at 10 lines (worst 1.0000)
and 1.0028 at 30 (worst 1.0351), against a target of 1.01. Lists of 5-12 stops are no harder
than 30 lines, so the mean here must stay within 1.0028 and the worst within 1.0351. Being
time-based, GLS finds a little less on a loaded machine; these are the README's own figures,
not tighter ones, so that does not make the test flaky.
"""

from __future__ import annotations

import statistics

from hypothesis import given, note, settings
from hypothesis import strategies as st

from adapters.warehouse.pick_route import OrToolsPickRouter
from domains.warehouse.layout import parse_bin
from domains.warehouse.routing import distinct, held_karp, optimal_length, tour_length
from scripts.bench_routes import LAYOUT
from tests.properties.settings import REPRODUCIBLE

LISTS = 100
README_MEAN = 1.0028  # README "Pick routes": mean route/optimum at 30 lines (1.0000 at 10)
README_WORST = 1.0351  # README "Pick routes": worst route/optimum at 30 lines
HELD_KARP_UP_TO = 9  # stops: 2^9 x 9^2 steps, milliseconds in pure Python

ROUTER = OrToolsPickRouter()


def _code(aisle: int, bay: int, level: int, padded: bool) -> str:
    return f"A-{aisle:02d}-{bay:02d}-{level}" if padded else f"a-{aisle}-{bay}-{level}"


@st.composite
def pick_lists(draw: st.DrawFn) -> list[str]:
    """5-12 distinct bins, some named twice (a second line in the same bin, sometimes written
    unpadded and in lower case): the router must make each bin one stop."""
    bins = draw(
        st.lists(
            st.tuples(
                st.integers(1, LAYOUT.aisles_per_zone),
                st.integers(1, LAYOUT.bays_per_aisle),
                st.integers(1, LAYOUT.levels),
            ),
            min_size=5,
            max_size=12,
            unique=True,
        )
    )
    codes = [_code(*b, padded=True) for b in bins]
    repeats = draw(st.lists(st.sampled_from(bins), max_size=3))
    for b in repeats:
        at = draw(st.integers(0, len(codes)))
        codes.insert(at, _code(*b, padded=draw(st.booleans())))
    return codes


def test_router_is_near_the_exact_optimum_on_generated_pick_lists():
    ratios: list[float] = []
    times_ms: list[float] = []

    @settings(REPRODUCIBLE, max_examples=LISTS)
    @given(pick_lists())
    def check(codes: list[str]) -> None:
        stops = distinct([parse_bin(LAYOUT, c) for c in codes])
        plan = ROUTER.route(LAYOUT, codes)
        note(f"plan {plan}")
        # Every stop exactly once, nothing else.
        assert len(plan.sequence) == len(stops)
        assert sorted(plan.sequence) == sorted(s.code for s in stops)
        route_cm = tour_length(LAYOUT, [parse_bin(LAYOUT, c) for c in plan.sequence])
        assert round(plan.length_m * 100) == route_cm
        best = optimal_length(LAYOUT, stops)
        if len(stops) <= HELD_KARP_UP_TO:
            assert held_karp(LAYOUT.distance_matrix([LAYOUT.depot, *stops]))[0] == best
        # Oracle sanity: no walk through every stop is shorter than the optimum.
        assert route_cm >= best
        ratios.append(route_cm / best)
        times_ms.append(plan.solve_ms)

    check()
    mean, worst = statistics.fmean(ratios), max(ratios)
    print(
        f"router: {len(ratios)} lists, mean route/optimum {mean:.4f}, worst {worst:.4f}, "
        f"{sum(r == 1.0 for r in ratios)} at the optimum; planning ms median "
        f"{statistics.median(times_ms):.1f}, worst {max(times_ms):.1f} (not asserted: see "
        "scripts/bench_routes.py)"
    )
    assert len(ratios) >= LISTS * 0.95
    assert mean <= README_MEAN, f"mean route/optimum {mean:.4f} over the README's {README_MEAN}"
    assert worst <= README_WORST, f"worst route/optimum {worst:.4f} over {README_WORST}"
