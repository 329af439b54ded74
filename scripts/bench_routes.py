"""Route quality and planning time of the pick router, against the exact optimum and baselines.

Random pick lists of 10, 30 and 60 lines (bins drawn uniformly, so a list may name a bin twice:
it is one stop) in a single-block warehouse of 10 aisles. For each list: the OR-Tools route, the
exact optimum (Ratliff & Rosenthal's dynamic program), the S-shape and largest-gap walks and the
bin-name order that Odoo and OpenBoxes use. Planning time is the router's wall time per list
(parsing, baselines, model building and search), after one warm-up list: its median, 95th
percentile and worst are reported here, and only here (the tests assert no wall times).

Targets (issue 3): mean route <= 1.01 x optimum at 10 and 30 lines, at least 20% shorter than
S-shape at 10 lines, median planning time <= 100 ms a list (at every size).

    .venv/bin/python -m scripts.bench_routes [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.warehouse.pick_route import OrToolsPickRouter
from domains.warehouse.layout import Layout, canonical_code, parse_bin
from domains.warehouse.routing import (
    distinct,
    largest_gap_length,
    optimal_length,
    order_by_bin_name_length,
    s_shape_length,
    tour_length,
)

SIZES = (10, 30, 60)
LAYOUT = Layout(
    zones=["A"],
    aisles_per_zone=10,
    bays_per_aisle=30,
    levels=2,
    aisle_pitch_m=3.0,
    bay_pitch_m=1.0,
    cross_aisle_m=3.0,
    depot_x_m=0.0,
)


def pick_list(rng: random.Random, lines: int, layout: Layout = LAYOUT) -> list[str]:
    return [
        canonical_code(
            rng.choice(list(layout.zones)),
            rng.randint(1, layout.aisles_per_zone),
            rng.randint(1, layout.bays_per_aisle),
            rng.randint(1, layout.levels),
        )
        for _ in range(lines)
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(quick: bool = False, seed: int = 20240601) -> dict[str, Any]:
    lists_per_size = 8 if quick else 30
    router = OrToolsPickRouter()
    rng = random.Random(seed)
    router.route(LAYOUT, pick_list(rng, 30))  # warm-up: first-call loading is not planning
    sizes: dict[str, Any] = {}
    for lines in SIZES:
        rows: list[dict[str, float]] = []
        methods: dict[str, int] = {}
        for _ in range(lists_per_size):
            codes = pick_list(rng, lines)
            plan = router.route(LAYOUT, codes)
            stops = distinct([parse_bin(LAYOUT, c) for c in codes])
            route_cm = tour_length(LAYOUT, [parse_bin(LAYOUT, c) for c in plan.sequence])
            if round(plan.length_m * 100) != route_cm:
                raise AssertionError(f"plan length {plan.length_m} m is not its sequence's")
            if sorted(plan.sequence) != sorted(s.code for s in stops):
                raise AssertionError("the plan does not visit each distinct bin exactly once")
            best = optimal_length(LAYOUT, stops)
            if route_cm < best:
                raise AssertionError(f"route {route_cm} cm beats the optimum {best} cm")
            methods[plan.method] = methods.get(plan.method, 0) + 1
            rows.append(
                {
                    "stops": len(stops),
                    "ratio": route_cm / best,
                    "s_shape": s_shape_length(LAYOUT, stops) / best,
                    "largest_gap": largest_gap_length(LAYOUT, stops) / best,
                    "bin_name": order_by_bin_name_length(LAYOUT, stops) / best,
                    "vs_s_shape": 1 - route_cm / s_shape_length(LAYOUT, stops),
                    "vs_largest_gap": 1 - route_cm / largest_gap_length(LAYOUT, stops),
                    "vs_bin_name": 1 - route_cm / order_by_bin_name_length(LAYOUT, stops),
                    "ms": plan.solve_ms,
                }
            )

        def mean(key: str, rows: list[dict[str, float]] = rows) -> float:
            return statistics.fmean(r[key] for r in rows)

        times = [r["ms"] for r in rows]
        sizes[str(lines)] = {
            "lists": len(rows),
            "mean_stops": round(mean("stops"), 1),
            "mean_ratio": round(mean("ratio"), 4),
            "worst_ratio": round(max(r["ratio"] for r in rows), 4),
            "lists_at_optimum": sum(1 for r in rows if r["ratio"] == 1.0),
            "s_shape_ratio": round(mean("s_shape"), 4),
            "largest_gap_ratio": round(mean("largest_gap"), 4),
            "bin_name_ratio": round(mean("bin_name"), 4),
            "shorter_than_s_shape_pct": round(100 * mean("vs_s_shape"), 1),
            "shorter_than_largest_gap_pct": round(100 * mean("vs_largest_gap"), 1),
            "shorter_than_bin_name_pct": round(100 * mean("vs_bin_name"), 1),
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(_p95(times), 1),
            "worst_ms": round(max(times), 1),
            "budget_ms": router.budget_ms(round(mean("stops"))),
            "methods": methods,
        }
    targets = {
        "mean route <= 1.01 x optimum at 10 and 30 lines": all(
            sizes[str(n)]["mean_ratio"] <= 1.01 for n in (10, 30)
        ),
        ">= 20% shorter than S-shape at 10 lines": sizes["10"]["shorter_than_s_shape_pct"] >= 20,
        "median planning time <= 100 ms a list": all(s["median_ms"] <= 100 for s in sizes.values()),
    }
    return {
        "layout": LAYOUT.describe(),
        "layout_dict": LAYOUT.to_dict(),
        "router": {
            "time_limit_ms": router.time_limit_ms,
            "ms_per_stop": router.ms_per_stop,
            "min_time_ms": router.min_time_ms,
        },
        "seed": seed,
        "sizes": sizes,
        "targets": targets,
        "passed": all(targets.values()),
    }


def report(result: dict[str, Any], console: Console | None = None) -> None:
    # Wide enough for the table when the output is a file or a pipe (README, CI logs).
    console = console or Console(width=170)
    console.print(f"[bold]Pick routes[/bold] in {result['layout']}")
    console.print(
        "route/optimum: OR-Tools routing (PATH_CHEAPEST_ARC + GLS, budget "
        f"min({result['router']['time_limit_ms']}, max({result['router']['min_time_ms']}, "
        f"{result['router']['ms_per_stop']} x stops)) ms); optimum by Ratliff-Rosenthal"
    )
    table = Table()
    for col in (
        "lines",
        "lists",
        "stops",
        "mean route/opt",
        "worst",
        "at opt",
        "S-shape/opt",
        "largest gap/opt",
        "bin name/opt",
        "vs S-shape",
        "vs largest gap",
        "vs bin name",
        "median ms",
        "p95 ms",
        "worst ms",
    ):
        table.add_column(col, justify="right")
    for lines, s in result["sizes"].items():
        table.add_row(
            lines,
            str(s["lists"]),
            f"{s['mean_stops']:.1f}",
            f"{s['mean_ratio']:.4f}",
            f"{s['worst_ratio']:.4f}",
            f"{s['lists_at_optimum']}/{s['lists']}",
            f"{s['s_shape_ratio']:.3f}",
            f"{s['largest_gap_ratio']:.3f}",
            f"{s['bin_name_ratio']:.3f}",
            f"-{s['shorter_than_s_shape_pct']:.1f}%",
            f"-{s['shorter_than_largest_gap_pct']:.1f}%",
            f"-{s['shorter_than_bin_name_pct']:.1f}%",
            f"{s['median_ms']:.1f}",
            f"{s['p95_ms']:.1f}",
            f"{s['worst_ms']:.1f}",
        )
    console.print(table)
    for lines, s in result["sizes"].items():
        console.print(f"{lines} lines: whose order was returned: {s['methods']}")
    for name, ok in result["targets"].items():
        console.print(f"{'[green]PASS[/green]' if ok else '[red]FAIL[/red]'}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 lists per size instead of 30")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    result = run(quick=args.quick)
    report(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    raise SystemExit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
