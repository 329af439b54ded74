"""Both planning suggestions share their decision machinery (`Decidable`); the replenishment
suggestion's stored events keep their topics and fields, so stored ones keep loading (the
topics below are those main wrote before the slow-mover suggestions existed)."""

from __future__ import annotations

import pytest
from eventsourcing.application import Application

from domains.common import InvalidTransition
from domains.planning.model import ReplenishmentSuggestion, SlowMoverSuggestion

OLD = "domains.planning.model:ReplenishmentSuggestion."


def _replenishment() -> ReplenishmentSuggestion:
    return ReplenishmentSuggestion(
        suggestion_id="RPL-2026-12-01-LAX-SKU-A", warehouse_id="LAX", sku="SKU-A",
        as_of="2026-12-01", supplier={"name": "supplier-CN"}, figures={"order_quantity": 5},
        forecast={}, accuracy={}, versions={}, suggested_by="admin", at="2026-12-01T00:00:00",
    )  # fmt: skip


def test_replenishment_events_keep_their_topics_and_load():
    app = Application()
    s = _replenishment()
    s.reject("admin", "discontinued", "2026-12-01T01:00:00")
    app.save(s)
    stored = app.recorder.select_events(s.id)
    assert [e.topic for e in stored] == [OLD + "ReplenishmentSuggested", OLD + "ReplenishmentRejected"]  # fmt: skip
    loaded = app.repository.get(s.id)
    assert loaded.status == "rejected"
    assert loaded.decision == {"by": "admin", "reason": "discontinued", "at": "2026-12-01T01:00:00"}  # fmt: skip


def test_a_slow_mover_suggestion_is_decided_once():
    app = Application()
    s = SlowMoverSuggestion(
        suggestion_id="SLM-2026-12-01-BHX-SKU-A-markdown", warehouse_id="BHX", sku="SKU-A",
        kind="markdown", as_of="2026-12-01", stock={"days_of_cover": 400.0},
        figures={"percent": 30, "reason": "400 days of cover, over a year: 30 %"},
        versions={"slow_movers": "v1"}, suggested_by="admin", at="2026-12-01T00:00:00",
    )  # fmt: skip
    s.accept("admin", "clear it", [], "2026-12-01T01:00:00")
    with pytest.raises(InvalidTransition):
        s.reject("admin", "too late", "2026-12-01T02:00:00")
    app.save(s)
    loaded = app.repository.get(s.id)
    assert loaded.status == "accepted" and loaded.decision["reason"] == "clear it"
    assert loaded.figures["percent"] == 30
