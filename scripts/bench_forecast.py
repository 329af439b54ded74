"""`make bench` part `forecast`: daily demand forecast accuracy on the SYNTHETIC two-year demo
history (adapters/planning/history.py, seeded), every demo (warehouse, SKU) pair.

For each pair the last 8 weeks before AS_OF are held back; the method chosen by the demand
class (Holt-Winters weekly + OLS yearly/peaks for smooth and erratic demand, Croston or SBA for
intermittent and lumpy) is fitted on the rest and compared on the held-back days with two
seasonal naive forecasts: the same weekday last week, and the same day 52 weeks back. WAPE is
pooled per class: sum of |actual - forecast| over the class's series / sum of actual units;
bias is the forecast's total over the held-back days against what sold (what a reorder point
depends on; for intermittent demand WAPE rewards forecasting zero, so read the bias there).
AS_OF is fixed (2026-12-06) so the held-back weeks hold Singles' Day and Black Friday.

    .venv/bin/python -m scripts.bench_forecast [--quick] [--json out.json]
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.planning.forecaster import HoltWintersWithPeaks
from adapters.planning.history import SKU_PROFILES, WAREHOUSE_COUNTRY, demo_pairs, series
from domains.planning.forecasting import HOLDOUT_DAYS, backtest

AS_OF = date(2026, 12, 6)
CLASSES = ("fast", "medium", "slow", "intermittent")


def run(quick: bool = False) -> dict[str, Any]:
    model = HoltWintersWithPeaks()
    pairs = demo_pairs()[::3] if quick else demo_pairs()
    pooled: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    methods: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds = []
    for warehouse, sku in pairs:
        values = [float(v) for v in series(warehouse, sku, AS_OF)]
        started = time.perf_counter()
        fitted, acc = backtest(values, AS_OF, WAREHOUSE_COUNTRY[warehouse], model)
        seconds.append(time.perf_counter() - started)
        kind = SKU_PROFILES[sku].kind
        methods[kind][fitted.method] += 1
        for key in (kind, "all"):
            p = pooled[key]
            p["series"] += 1
            p["actual"] += acc.actual_units
            p["model"] += (acc.wape or 0) * acc.actual_units
            p["naive_week"] += (acc.wape_naive_week or 0) * acc.actual_units
            p["naive_year"] += (acc.wape_naive_year or 0) * acc.actual_units
            p["forecast_units"] += sum(fitted.values)
    rows = []
    for key in (*CLASSES, "all"):
        p = pooled.get(key)
        if not p or not p["actual"]:
            continue
        rows.append({
            "class": key, "series": int(p["series"]), "units_held_back": int(p["actual"]),
            "methods": dict(methods[key]) if key != "all" else None,
            "wape_model": round(p["model"] / p["actual"], 3),
            "wape_naive_week": round(p["naive_week"] / p["actual"], 3),
            "wape_naive_year": round(p["naive_year"] / p["actual"], 3),
            "bias_model": round(p["forecast_units"] / p["actual"] - 1, 3),
        })  # fmt: skip
    return {
        "as_of": AS_OF.isoformat(),
        "holdout_days": HOLDOUT_DAYS,
        "model": model.version,
        "rows": rows,
        "seconds_per_backtest_mean": round(sum(seconds) / len(seconds), 3),
        "seconds_total": round(sum(seconds), 1),
    }


def report(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console(width=120)
    t = Table(title=f"Forecast WAPE, last {result['holdout_days']} days to {result['as_of']} "
                    "held back (synthetic history)")  # fmt: skip
    for col in ("class", "series", "units", "method(s)", "model", "naive: last week",
                "naive: last year", "bias (total)"):  # fmt: skip
        t.add_column(col)
    for r in result["rows"]:
        methods = ", ".join(f"{m} {n}" for m, n in (r["methods"] or {}).items())
        t.add_row(r["class"], str(r["series"]), str(r["units_held_back"]), methods,
                  f"{r['wape_model']:.3f}", f"{r['wape_naive_week']:.3f}",
                  f"{r['wape_naive_year']:.3f}", f"{r['bias_model']:+.3f}")  # fmt: skip
    console.print(t)
    console.print(
        f"  {result['seconds_per_backtest_mean']} s per series (fit + forecast), "
        f"{result['seconds_total']} s in all; model {result['model']}"
    )


if __name__ == "__main__":
    out = run(quick="--quick" in sys.argv)
    report(out)
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(out, indent=2))
