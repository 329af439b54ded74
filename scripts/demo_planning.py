"""The demo's planning line (`make demo`): three LAX SKUs (a fast, a medium and an intermittent
mover) forecast on the SYNTHETIC two-year history laid over the demo's recorded demand, with
WAPE on the eight held-back weeks against the weekly seasonal naive, then a replenishment run
for them (suggestions recorded as events, left pending for an admin). A few SKUs only: each
forecast is a statsmodels fit. Idempotent: a second run the same day records nothing new."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from rich.console import Console

from adapters.planning.history import DemoDemand, SyntheticDemand

WAREHOUSE = "LAX"
SKUS = ("SKU-CHARGER-65W", "SKU-COFFEE-1KG", "SKU-DRONE-MINI")


def planning_day(svc: Any, console: Console) -> dict[str, Any]:
    app = svc.app
    today = app.clock.now().date()
    planning = copy.copy(app.planning)  # this process's demo reads only
    planning.history = DemoDemand(app.planning.history, SyntheticDemand(today - timedelta(days=1)))
    parts, out = [], {}
    for sku in SKUS:
        fc, acc = planning.forecast(WAREHOUSE, sku, today, 28)
        if acc is not None:
            parts.append(f"{sku} {fc.method.split('-')[0]} {acc.wape:.2f} vs {acc.wape_naive_week:.2f}")  # fmt: skip
            out[sku] = {"method": fc.method, "wape": acc.wape, "naive": acc.wape_naive_week}
    suggestions, _ = planning.run_replenishment(today, "demo", 0.95, WAREHOUSE, list(SKUS))
    units = sum(s["figures"]["order_quantity"] for s in suggestions)
    console.print(
        f"forecasts {WAREHOUSE} (WAPE model vs seasonal naive, 8 weeks held back): "
        f"{'; '.join(parts)}; replenishment: {len(suggestions)} suggestions, {units} units "
        "(GET /v1/planning/replenishment)"
    )
    return {"forecasts": out, "suggestions": len(suggestions), "units": units}
