"""Risk bench (`python -m scripts.bench --only risk`): precision and recall of the risk hold on
planted risky orders, rules alone against rules + the isolation forest, side by side.

Thirty days of ordinary web-shop traffic from returning customers (scripts/risk_data.py) are
taken in first (the history the rules compare with; the anomaly model is fitted on the
features their reviews recorded), then a week of ordinary traffic with planted risky orders
(labelled by pattern) mixed in by time. Every order goes through the real intake and review
(`OrderUseCases.intake_batch`) on a fresh SQLite store; an order counts as held for risk when
its review's `risk` rule failed. Run twice on identical data: without a model, and with it.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.orders import risk_model
from adapters.orders.channels import map_payload
from domains.orders.intake import Intake
from scripts import risk_data

BATCH = 50


def _intake(app: Any, payloads: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Each payload's risk rule result (None when the order was not reviewed)."""
    out: list[dict[str, Any] | None] = []
    for i in range(0, len(payloads), BATCH):
        items = []
        for p in payloads[i : i + BATCH]:
            p = {k: v for k, v in p.items() if k != "_risk"}
            m = map_payload("web", p)
            items.append(Intake("web", p, m.canonical, m.source_paths))
        outcomes, _ = app.orders.intake_batch(items)
        for o in outcomes:
            review = o.order.review if o.order is not None else None
            rules = {r["rule"]: r for r in (review or {}).get("rules", [])}
            out.append(rules.get("risk"))
    return out


def data(seed: int, quick: bool) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    people = risk_data.population(rng, 300 if quick else 600)
    days, per_day = (10, 60) if quick else (30, 100)
    history = risk_data.normal_orders(rng, people, risk_data.START, days, per_day, "H")
    start = risk_data.START + timedelta(days=days)
    normal = risk_data.normal_orders(rng, people, start, 7, per_day, "E")
    risky = risk_data.planted(rng, people, start, 7, 40 if quick else 100, "R", history)
    return history, sorted(normal + risky, key=lambda p: p["placed_at"])


def with_model(app: Any, seed: int = 5) -> None:
    """Gives the app's risk review a fitted model (the intake cost bench, scripts/bench.py
    `screening`): fitted on made-up feature rows, since scoring costs the same whatever the
    model learnt (50 trees, depth at most 8)."""
    rng = random.Random(seed)
    rows = [[rng.gauss(0, 1) for _ in range(12)] for _ in range(2000)]
    app.orders.allocator.risk.model = risk_model.fit(rows, "bench-cost")


def scores(labels: list[str | None], held: list[bool]) -> dict[str, Any]:
    tp = sum(1 for lab, h in zip(labels, held, strict=True) if lab and h)
    fp = sum(1 for lab, h in zip(labels, held, strict=True) if not lab and h)
    fn = sum(1 for lab, h in zip(labels, held, strict=True) if lab and not h)
    by_pattern = {}
    for pattern in risk_data.PATTERNS:
        mine = [h for lab, h in zip(labels, held, strict=True) if lab == pattern]
        by_pattern[pattern] = f"{sum(mine)}/{len(mine)}"
    normal = sum(1 for lab in labels if not lab)
    return {
        "held": tp + fp,
        "true_positives": tp,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "normal_held_pct": round(100 * fp / normal, 2) if normal else None,
        "by_pattern": by_pattern,
    }


def run(quick: bool = False, seed: int = 11, root: Path | None = None) -> dict[str, Any]:
    from scripts.bench import prepare_app  # the bench's store with ample stock

    history, evaluation = data(seed, quick)
    labels = [p.get("_risk") for p in evaluation]
    work = Path(tempfile.mkdtemp(prefix="risk-", dir=root))
    rows, fitted = [], {}
    try:
        for name in ("rules alone", "rules + anomaly model"):
            db = work / f"{len(rows)}.db"
            app = prepare_app(
                {"CROSSDOCK_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                 "CROSSDOCK_SQLITE_DBNAME": str(db)}, "ample",
            )  # fmt: skip
            risk = app.orders.allocator.risk
            risk.model = None
            recorded = _intake(app, history)
            if name != "rules alone":
                features = [r["inputs"]["anomaly"]["features"] for r in recorded if r]
                t0 = time.perf_counter()
                risk.model = risk_model.fit(features, f"bench-{seed}")
                fitted = {"rows": len(features), "fit_s": round(time.perf_counter() - t0, 2)}
            t0 = time.perf_counter()
            results = _intake(app, evaluation)
            elapsed = time.perf_counter() - t0
            held = [r is not None and not r["passed"] for r in results]
            rows.append({"decision": name, **scores(labels, held),
                         "orders_per_s": round(len(results) / elapsed)})  # fmt: skip
            if name != "rules alone":
                alone = [
                    r is not None and any(f["factor"] == "anomaly" and f["fired"]
                                          for f in r["inputs"]["factors"])
                    for r in results
                ]  # fmt: skip
                rows.append({"decision": "anomaly model alone (score >= threshold)",
                             **scores(labels, alone)})  # fmt: skip
            app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    risky = Counter(lab for lab in labels if lab)
    return {
        "seed": seed,
        "history_orders": len(history),
        "evaluation_orders": len(evaluation),
        "planted": dict(risky),
        "model": fitted,
        "rows": rows,
    }


def report(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(
        title=f"Risk holds: {result['evaluation_orders']:,} orders after "
        f"{result['history_orders']:,} of history, {sum(result['planted'].values())} planted"
    )
    for col in ("decision", "held", "precision", "recall", "normal held %", *risk_data.PATTERNS):
        table.add_column(col, justify="left" if col == "decision" else "right")
    for r in result["rows"]:
        table.add_row(r["decision"], str(r["held"]), str(r["precision"]), str(r["recall"]),
                      str(r["normal_held_pct"]), *[r["by_pattern"][p] for p in risk_data.PATTERNS])  # fmt: skip
    console.print(table)
    console.print(f"model: {result['model']}")


if __name__ == "__main__":
    import sys

    report(run(quick="--quick" in sys.argv))
