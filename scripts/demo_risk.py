"""The demo's risky orders (`make demo`): a few planted orders of the patterns the risk rules
look for (a reshipper, a card-testing burst, a drop address; scripts/risk_data.py) are pushed
to the web shop after the day's orders, with the anomaly model fitted on the day's screened
orders (as `crossdock risk-fit` would) when none is loaded; prints how many were held for
risk and why.
Idempotent like the rest of the demo (a second run finds them stored)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from rich.console import Console

from adapters.orders import risk_model
from adapters.orders.channels import map_payload
from domains.orders.intake import Intake
from scripts import risk_data
from scripts.demo_data import DAY
from scripts.risk_commands import MIN_ROWS, recorded_features

PATTERNS = ("reshipper", "burst", "drop")


def planted_payloads(seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return risk_data.planted(rng, [], DAY, 1, 9, "DEMO-RISK", [], PATTERNS)


def fit_model(app: Any, console: Console) -> str | None:
    """What `crossdock risk-fit` does, on the day's screened orders, when no model is loaded."""
    risk = app.orders.allocator.risk
    if risk is None or risk.model is not None:
        return None if risk is None or risk.model is None else risk.model.version
    rows = recorded_features(app, 20_000)
    if len(rows) < MIN_ROWS:
        return None
    risk.model = risk_model.fit(rows, f"demo-{len(rows)}")
    console.print(f"risk: anomaly model fitted on the {len(rows)} screened orders of the day")
    return risk.model.version


def risky_orders(svc: Any, console: Console) -> dict[str, Any]:
    app = svc.app
    model = fit_model(app, console)
    payloads = planted_payloads()
    items = []
    for p in payloads:
        p = {k: v for k, v in p.items() if k != "_risk"}
        m = map_payload("web", p)
        items.append(Intake("web", p, m.canonical, m.source_paths))
    outcomes, _ = app.orders.intake_batch(items)
    factors: Counter[str] = Counter()
    held = 0
    for o in outcomes:
        order = app.orders.get_order(o.order_id)
        risk = next((r for r in (order.review or {}).get("rules", []) if r["rule"] == "risk"), None)
        if risk is not None and not risk["passed"]:
            held += 1
            factors.update(risk["inputs"]["fired"])
    listed = ", ".join(f"{name} x{n}" for name, n in factors.most_common())
    console.print(f"held for risk: {held} of {len(payloads)} planted risky orders ({listed})")
    return {"planted": len(payloads), "held": held, "factors": dict(factors), "model": model}
