"""The planning side of a full day's story, through the use cases (domains/planning/application.py):
a replenishment run for one fast mover of one warehouse, its suggestion accepted (an inbound
booked from the supplier), and a slow-mover run over one warehouse holding kettles for hundreds
of days, its markdown rejected (who and why) and its bundle accepted. So the replenishment and
slow-mover suggestion views (projections/planning_views.py) hold rows when the day ends.

The planning history must be the SYNTHETIC one (CROSSDOCK_DEMAND_HISTORY=synthetic when the
app is built, as tests/e2e/test_planning_http.py does): the story's own orders span one day,
too little history to forecast from. Only one (warehouse, SKU) pair is forecast, to stay fast."""

from __future__ import annotations

from typing import Any

FAST = "SKU-CHARGER-65W"  # a fast mover of LAX in the synthetic history
KETTLE = "SKU-KETTLE-1L7"  # sells about 0.6 a day in BHX in the synthetic history


def planning_story(app: Any) -> dict[str, Any]:
    today = app.store.clock.now().date()
    [suggested], _ = app.planning.run_replenishment(today, "planner-story", 0.95, "LAX", [FAST])
    accepted, inbound, _ = app.planning.accept(
        suggested["suggestion_id"], "planner-story", "CMA CGM", "CSQU3054383"
    )
    # 300 kettles into BHX: hundreds of days of cover there.
    app.warehouse.receive_stock("BHX", KETTLE, 300, "story-kettles", lot="K1", bin_code="A-03-04-2")
    slow, _ = app.planning.run_slow_movers(today, "planner-story", "BHX")
    kettle = {s["kind"]: s for s in slow if s["sku"] == KETTLE}
    assert {"markdown", "bundle"} <= set(kettle), slow
    rejected, _ = app.planning.reject_slow_mover(
        kettle["markdown"]["suggestion_id"], "planner-story", "seasonal: it sells by Christmas"
    )
    bundled, _, _ = app.planning.accept_slow_mover(
        kettle["bundle"]["suggestion_id"], "planner-story", "list it with the tea"
    )
    return {
        "replenishment": accepted.summary(),
        "inbound": str(inbound.inbound_id),
        "slow_movers": {"markdown": rejected.summary(), "bundle": bundled.summary()},
    }
