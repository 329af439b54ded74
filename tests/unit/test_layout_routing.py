"""Layout, bin codes, walking distances, the exact route references and the OR-Tools router."""

from __future__ import annotations

import itertools
import random

import pytest

from adapters.warehouse.pick_route import OrToolsPickRouter
from domains.common import DomainError
from domains.warehouse import routing
from domains.warehouse.layout import InvalidBinCode, InvalidLayout, Layout, parse_bin
from domains.warehouse.routing import (
    RoutePlan,
    distinct,
    held_karp,
    largest_gap_length,
    largest_gap_route,
    metres,
    optimal_length,
    order_by_bin_name_length,
    s_shape_length,
    s_shape_route,
    tour_length,
)

# 4 aisles 3 m apart, 10 bays of 1 m, 2 m cross-aisles: H = 2 + 10 = 12 m, bay b at y = b + 0.5.
SMALL = Layout(["A"], 4, 10, 2, aisle_pitch_m=3.0, bay_pitch_m=1.0, cross_aisle_m=2.0)
TWO_ZONES = Layout(["A", "B"], 10, 30, 3, aisle_pitch_m=3.0, bay_pitch_m=1.0, cross_aisle_m=3.0)
BENCH = Layout(["A"], 10, 30, 2)


def locs(layout: Layout, *codes: str):
    return [parse_bin(layout, c) for c in codes]


# --- bins ---------------------------------------------------------------------------------------


def test_valid_bin_parses_to_coordinates():
    b = parse_bin(TWO_ZONES, "B-03-12-2")
    assert (b.code, b.zone, b.aisle, b.bay, b.level) == ("B-03-12-2", "B", 3, 12, 2)
    assert b.aisle_index == 12  # zone A's 10 aisles come first
    assert b.x_m == 36.0 and b.y_m == 13.0  # 12 * 3 m; 1.5 + 11.5
    assert (b.x_cm, b.y_cm) == (3600, 1300)


def test_unpadded_and_lower_case_codes_are_normalised():
    assert parse_bin(TWO_ZONES, "a-3-7-1").code == "A-03-07-1"
    assert parse_bin(TWO_ZONES, " A-003-07-1 ").code == "A-03-07-1"


@pytest.mark.parametrize(
    "code", ["", "A0312", "A-03-12", "A-03-12-2-1", "A-x-1-1", "3-03-12-1", "A_03_12_2", "A--3-1"]
)
def test_malformed_codes_say_the_expected_shape(code):
    with pytest.raises(InvalidBinCode, match="expected zone-aisle-bay-level"):
        parse_bin(TWO_ZONES, code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("A-14-01-1", "aisle 14 is beyond the 10 aisles of zone A"),
        ("A-00-01-1", "aisles are numbered from 1"),
        ("C-01-01-1", "zone C is not one of A, B"),
        ("B-02-31-1", "bay 31 is beyond the 30 bays of aisle B-02"),
        ("B-02-00-1", "bays are numbered from 1"),
        ("A-01-01-4", "level 4 is beyond the 3 levels"),
        ("A-01-01-0", "levels are numbered from 1"),
    ],
)
def test_out_of_range_codes_say_which_part(code, message):
    with pytest.raises(InvalidBinCode, match=message) as err:
        parse_bin(TWO_ZONES, code)
    assert isinstance(err.value, DomainError)
    assert err.value.code == code


def test_layout_round_trips_through_a_dict_and_rejects_nonsense():
    d = TWO_ZONES.to_dict()
    assert d["zones"] == ["A", "B"]
    assert Layout.from_dict(d) == TWO_ZONES
    with pytest.raises(InvalidLayout, match="missing levels"):
        Layout.from_dict({k: v for k, v in d.items() if k != "levels"})
    with pytest.raises(InvalidLayout):
        Layout(["A", "A"], 1, 1, 1)
    with pytest.raises(InvalidLayout):
        Layout(["A"], 0, 1, 1)
    with pytest.raises(InvalidLayout):
        Layout(["a1"], 1, 1, 1)


# --- distances ----------------------------------------------------------------------------------


def test_distance_within_one_aisle_is_along_it():
    a, b = locs(SMALL, "A-01-03-1", "A-01-07-2")
    assert SMALL.distance(a, b) == 400


def test_distance_between_aisles_goes_through_the_nearer_cross_aisle():
    low1, low2 = locs(SMALL, "A-01-02-1", "A-02-03-1")  # y 2.5 and 3.5: via the front
    assert SMALL.distance(low1, low2) == 300 + 250 + 350
    high1, high3 = locs(SMALL, "A-01-10-1", "A-03-09-1")  # y 10.5 and 9.5, H 12: via the back
    assert SMALL.distance(high1, high3) == 600 + 150 + 250
    assert SMALL.depth_cm == 1200


def test_distance_from_the_depot_on_the_front_cross_aisle():
    (b,) = locs(SMALL, "A-02-05-1")
    assert SMALL.distance(SMALL.depot, b) == 300 + 550
    assert SMALL.distance(b, SMALL.depot) == 850
    off_aisle = Layout(["A"], 4, 10, 2, aisle_pitch_m=3.0, cross_aisle_m=2.0, depot_x_m=4.5)
    assert off_aisle.distance(off_aisle.depot, parse_bin(off_aisle, "A-02-05-1")) == 150 + 550
    m = SMALL.distance_matrix([SMALL.depot, b])
    assert m == [[0, 850], [850, 0]]


def test_level_does_not_change_distance():
    a, b = locs(SMALL, "A-02-05-1", "A-02-05-2")
    assert SMALL.distance(a, b) == 0


# --- baselines and exact references -------------------------------------------------------------


def test_s_shape_and_largest_gap_on_a_hand_computed_example():
    stops = locs(SMALL, "A-01-03-1", "A-02-05-1", "A-04-02-1")  # y 3.5, 5.5, 2.5
    # S-shape: up aisle 1 (12), back 0->3 (3), down aisle 2 (12), front 3->9 (6), aisle 4 is the
    # odd last one: up to 2.5 and back (5), front 9->0 (9) = 47 m.
    length, order = s_shape_route(SMALL, stops)
    assert length == 4700
    assert [s.code for s in order] == ["A-01-03-1", "A-02-05-1", "A-04-02-1"]
    # Largest gap: up aisle 1 (12), back 0->9 (9), down aisle 4 (12), front 9->3 (6), aisle 2
    # below its largest gap (5.5 -> 12) from the front (11), front 3->0 (3) = 53 m.
    length, order = largest_gap_route(SMALL, stops)
    assert length == 5300
    assert [s.code for s in order] == ["A-01-03-1", "A-04-02-1", "A-02-05-1"]
    # Best: each aisle in and out from the front: 7 + 11 + 5 + 2 * 9 = 41 m.
    assert optimal_length(SMALL, stops) == 4100
    assert held_karp(SMALL.distance_matrix([SMALL.depot, *stops]))[0] == 4100
    # Bin name order here happens to be the best order too.
    assert order_by_bin_name_length(SMALL, stops) == 4100


def test_s_shape_with_an_even_number_of_aisles_ends_at_the_front():
    stops = locs(SMALL, "A-01-03-1", "A-03-05-1")
    assert s_shape_length(SMALL, stops) == 1200 + 600 + 1200 + 600


def test_held_karp_on_a_known_matrix():
    dist = [[0, 2, 9, 10], [1, 0, 6, 4], [15, 7, 0, 8], [6, 3, 12, 0]]
    assert held_karp(dist) == (21, [2, 3, 1])
    assert held_karp([[0]]) == (0, [])


def test_s_shape_alternates_up_and_down_over_four_aisles():
    stops = locs(SMALL, "A-01-03-1", "A-02-05-1", "A-03-08-1", "A-03-02-1", "A-04-07-1")
    # Up aisle 1 (12), back 0->3 (3), down aisle 2 (12), front 3->6 (3), up aisle 3 (12), back
    # 6->9 (3), down aisle 4 (12), front 9->0 (9) = 66 m; aisle 3 picked bottom to top.
    length, order = s_shape_route(SMALL, stops)
    assert length == 6600
    assert [s.code for s in order] == [
        "A-01-03-1",
        "A-02-05-1",
        "A-03-02-1",
        "A-03-08-1",
        "A-04-07-1",
    ]


def test_the_walks_start_at_the_end_of_the_aisles_nearer_the_depot():
    layout = Layout(
        ["A"], 4, 10, 2, aisle_pitch_m=3.0, bay_pitch_m=1.0, cross_aisle_m=2.0, depot_x_m=9.0
    )  # the depot in front of aisle 4
    stops = locs(layout, "A-01-03-1", "A-02-05-1", "A-04-08-1")  # y 3.5, 5.5, 8.5
    # From the right: up aisle 4 (12), back 9->3 (6), down aisle 2 (12), front 3->0 (3), aisle 1
    # is the odd last one: up to 3.5 and back (7), front 0->9 (9) = 49 m. Starting from the left
    # would be 9 + 12 + 3 + 12 + 6 + 17 = 59 m.
    length, order = s_shape_route(layout, stops)
    assert length == 4900
    assert [s.code for s in order] == ["A-04-08-1", "A-02-05-1", "A-01-03-1"]
    # The depot at 4.5 m, between aisles 2 and 3: aisle 2 (1.5 m away) is nearer than aisle 4
    # (4.5 m), so the walk starts there: 4.5->3 (1.5), up aisle 2 (12), back 3->6 (3), down
    # aisle 3 (12), front 6->9 (3), aisle 4 up to 8.5 and back (17), front 9->4.5 (4.5) = 53 m.
    layout = Layout(
        ["A"], 4, 10, 2, aisle_pitch_m=3.0, bay_pitch_m=1.0, cross_aisle_m=2.0, depot_x_m=4.5
    )
    stops = locs(layout, "A-02-05-1", "A-03-05-1", "A-04-08-1")
    length, order = s_shape_route(layout, stops)
    assert length == 5300
    assert [s.code for s in order] == ["A-02-05-1", "A-03-05-1", "A-04-08-1"]


def test_largest_gap_counts_the_front_gap_from_the_front_cross_aisle():
    # Cross-aisles of 1.02 m: bay b is at y = 0.51 + (b - 0.5) m, H = 5.02 m. In aisle 2 the stops
    # at bays 2 and 4 (y 2.01, 4.01) leave gaps 2.01 (front), 2.00 (between) and 1.01 (back): the
    # front gap is the largest by 1 cm, so both are picked from the back.
    layout = Layout(["A"], 3, 4, 1, aisle_pitch_m=3.0, bay_pitch_m=1.0, cross_aisle_m=1.02)
    stops = locs(layout, "A-01-01-1", "A-02-02-1", "A-02-04-1", "A-03-01-1")
    # Up aisle 1 (5.02), back 0->3 (3), aisle 2 from the back down to 2.01 and back (6.02), back
    # 3->6 (3), down aisle 3 (5.02), front 6->0 (6) = 28.06 m.
    length, order = largest_gap_route(layout, stops)
    assert length == 2806
    assert [s.code for s in order] == ["A-01-01-1", "A-02-04-1", "A-02-02-1", "A-03-01-1"]


def test_largest_gap_with_no_stops_is_no_walk():
    assert largest_gap_route(SMALL, []) == (0, [])
    assert s_shape_route(SMALL, []) == (0, [])


def test_held_karp_follows_one_way_distances():
    # A one-way matrix: 0->1->2->0 costs 1 + 1 + 1, the other way round 10 + 10 + 10.
    dist = [[0, 1, 10], [10, 0, 1], [1, 10, 0]]
    tours = {
        order: dist[0][order[0]] + dist[order[0]][order[1]] + dist[order[1]][0]
        for order in itertools.permutations([1, 2])
    }
    assert tours == {(1, 2): 3, (2, 1): 30}
    assert held_karp(dist) == (3, [1, 2])


def test_held_karp_refuses_more_than_its_node_limit(monkeypatch):
    monkeypatch.setattr(routing, "HELD_KARP_MAX_NODES", 4)
    square = [[0 if i == j else 1 for j in range(4)] for i in range(4)]
    assert held_karp(square)[0] == 4  # at the limit: solved
    five = [[0 if i == j else 1 for j in range(5)] for i in range(5)]
    with pytest.raises(ValueError, match="at most 4 nodes, got 5"):
        held_karp(five)


def test_metres_keep_the_centimetres():
    assert (metres(1234), metres(5), metres(0)) == (12.34, 0.05, 0.0)


def _random_instance(rng: random.Random):
    zones = ["A", "B"][: rng.randint(1, 2)]
    layout = Layout(
        zones,
        rng.randint(1, 6),
        rng.randint(1, 12),
        2,
        aisle_pitch_m=rng.choice([1.0, 2.5, 3.0, 4.2]),
        bay_pitch_m=rng.choice([0.5, 1.0, 1.3]),
        cross_aisle_m=rng.choice([0.0, 1.0, 3.0]),
        depot_x_m=rng.choice([0.0, 0.0, 1.7, 5.0, -2.0, 12.0]),  # also between and beyond aisles
    )
    stops = [
        parse_bin(
            layout,
            f"{rng.choice(zones)}-{rng.randint(1, layout.aisles_per_zone)}"
            f"-{rng.randint(1, layout.bays_per_aisle)}-{rng.randint(1, 2)}",
        )
        for _ in range(rng.randint(0, 8))
    ]
    return layout, stops


def test_ratliff_rosenthal_equals_held_karp_on_random_instances():
    rng = random.Random(7)
    for _ in range(400):
        layout, stops = _random_instance(rng)
        exact, order = held_karp(layout.distance_matrix([layout.depot, *stops]))
        assert optimal_length(layout, stops) == exact, (layout, [s.code for s in stops])
        assert tour_length(layout, [stops[i - 1] for i in order]) == exact
        # The walking policies are feasible walks: never below the optimum.
        assert s_shape_length(layout, stops) >= exact
        assert largest_gap_length(layout, stops) >= exact


def test_ratliff_rosenthal_scales_to_long_lists():
    rng = random.Random(3)
    stops = [parse_bin(BENCH, f"A-{rng.randint(1, 10)}-{rng.randint(1, 30)}-1") for _ in range(200)]
    best = optimal_length(BENCH, stops)
    assert 0 < best <= min(s_shape_length(BENCH, stops), largest_gap_length(BENCH, stops))


# --- the OR-Tools router ------------------------------------------------------------------------


def _pick_list(rng: random.Random, n: int) -> list[str]:
    return [
        f"A-{rng.randint(1, 10):02d}-{rng.randint(1, 30):02d}-{rng.randint(1, 2)}" for _ in range(n)
    ]


def test_router_visits_each_distinct_bin_once_and_reports_its_own_length():
    codes = _pick_list(random.Random(11), 20)
    codes += [codes[0], codes[3].replace("-0", "-")]  # the same bins again, one unpadded
    plan = OrToolsPickRouter().route(BENCH, codes)
    assert isinstance(plan, RoutePlan)
    expected = {parse_bin(BENCH, c).code for c in codes}
    assert len(plan.sequence) == len(expected) and set(plan.sequence) == expected
    recomputed = tour_length(BENCH, locs(BENCH, *plan.sequence))
    assert plan.length_m == round(recomputed / 100, 2)
    stops = distinct(locs(BENCH, *codes))
    assert plan.s_shape_m == s_shape_length(BENCH, stops) / 100
    assert recomputed <= min(s_shape_length(BENCH, stops), largest_gap_length(BENCH, stops))
    assert plan.method == "or-tools" and plan.status.startswith("ROUTING_")
    assert plan.to_dict()["sequence"] == list(plan.sequence)


def test_router_is_within_one_percent_of_optimal_on_twelve_picks():
    codes = _pick_list(random.Random(12), 12)
    stops = distinct(locs(BENCH, *codes))
    plan = OrToolsPickRouter().route(BENCH, codes)
    best = optimal_length(BENCH, stops)
    assert round(plan.length_m * 100) <= 1.01 * best


@pytest.mark.parametrize(
    "codes", [[], ["A-03-04-1"], ["A-03-04-1", "A-3-4-1"], ["A-01-01-1", "A-09-30-2"]]
)
def test_router_needs_no_solver_for_up_to_two_stops(codes):
    plan = OrToolsPickRouter().route(BENCH, codes)
    assert plan.method == "trivial"
    assert len(plan.sequence) == len({parse_bin(BENCH, c).code for c in codes})
    assert round(plan.length_m * 100) == optimal_length(BENCH, locs(BENCH, *codes))


def test_router_keeps_the_better_baseline_when_the_solver_does_worse(monkeypatch):
    router = OrToolsPickRouter()
    codes = _pick_list(random.Random(5), 15)

    def worst_order(layout, stops):  # a solver that answers nonsense: stops by descending code
        return sorted(stops, key=lambda s: s.code, reverse=True), "ROUTING_SUCCESS"

    monkeypatch.setattr(router, "_solve", worst_order)
    plan = router.route(BENCH, codes)
    stops = distinct(locs(BENCH, *codes))
    assert plan.method in ("s-shape", "largest-gap")
    assert "KEPT_" in plan.status
    expected = min(
        tour_length(BENCH, s_shape_route(BENCH, stops)[1]),
        tour_length(BENCH, largest_gap_route(BENCH, stops)[1]),
    )
    assert round(plan.length_m * 100) == expected


def test_router_rejects_unknown_bins():
    with pytest.raises(InvalidBinCode, match="aisle 11 is beyond"):
        OrToolsPickRouter().route(BENCH, ["A-11-01-1", "A-01-01-1", "A-02-01-1"])


def test_bench_runs_and_reports_the_targets():
    from scripts.bench_routes import run

    result = run(quick=True)
    assert set(result["sizes"]) == {"10", "30", "60"}
    for figures in result["sizes"].values():
        assert figures["mean_ratio"] >= 1.0
        assert figures["worst_ratio"] >= figures["mean_ratio"]
        assert figures["worst_ms"] >= figures["p95_ms"] >= figures["median_ms"] > 0
    assert len(result["targets"]) == 3
