"""Carrier choice policies and SLA alerts from missing events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domains.transport.choice import choose
from domains.transport.sla import ShipmentFacts, alerts

QUOTES = [
    {
        "carrier": "dhl",
        "service": "express",
        "total": "80.00",
        "currency": "USD",
        "transit_days_min": 2,
        "transit_days_max": 3,
    },
    {
        "carrier": "post",
        "service": "economy",
        "total": "20.00",
        "currency": "USD",
        "transit_days_min": 10,
        "transit_days_max": 20,
    },
    {
        "carrier": "ups",
        "service": "saver",
        "total": "60.00",
        "currency": "USD",
        "transit_days_min": 3,
        "transit_days_max": 4,
    },
]


def test_each_policy_picks_its_winner_and_records_why():
    assert choose(QUOTES, "cheapest")["choice"]["carrier"] == "post"
    assert choose(QUOTES, "fastest")["choice"]["carrier"] == "dhl"
    # best value: post 20+2*20=60, ups 60+8=68, dhl 80+6=86
    assert choose(QUOTES, "best_value")["choice"]["carrier"] == "post"
    # post's 30% exception rate on this lane costs 15: 75 > 68
    picked = choose(QUOTES, "best_value", exception_rates={"post/economy": 0.3})
    assert picked["choice"]["carrier"] == "ups" and picked["inputs"]["exception_rates"]
    assert [q["carrier"] for q in picked["ranked"]] == ["ups", "post", "dhl"]


def test_promised_date_rules_out_slow_services():
    result = choose(QUOTES, "cheapest", days_to_promise=5, value_per_day=Decimal("1"))
    assert result["choice"]["carrier"] == "ups"
    assert (
        result["ruled_out"][0]["carrier"] == "post"
        and "promise" in result["ruled_out"][0]["reason"]
    )
    assert choose(QUOTES, "cheapest", days_to_promise=1)["choice"] is None
    with pytest.raises(ValueError):
        choose(QUOTES, "random")


T0 = datetime(2026, 11, 20, 12, tzinfo=UTC)


def kinds(f, now):
    return [a["kind"] for a in alerts(f, now)]


def test_alerts_fire_only_after_their_thresholds():
    sent = ShipmentFacts(
        "S1",
        "in_transit",
        dispatched_at=T0,
        last_scan_at=T0 + timedelta(hours=2),
        eta=T0 + timedelta(days=3),
    )
    assert kinds(sent, T0 + timedelta(hours=26)) == []
    assert kinds(sent, T0 + timedelta(hours=26, minutes=1)) == ["no_scan_24h"]
    assert "eta_passed" in kinds(sent, T0 + timedelta(days=3, seconds=1))
    held = ShipmentFacts(
        "S2",
        "on_hold",
        dispatched_at=T0,
        last_scan_at=T0,
        on_hold_since=T0,
        hold_reason="customs_delay",
    )
    assert "customs_hold_48h" not in kinds(held, T0 + timedelta(hours=48))
    assert "customs_hold_48h" in kinds(held, T0 + timedelta(hours=48, seconds=1))
    waiting = ShipmentFacts("S3", "allocated", cutoff=T0)
    assert kinds(waiting, T0) == [] and kinds(waiting, T0 + timedelta(seconds=1)) == [
        "pick_not_started"
    ]
    done = ShipmentFacts("S4", "delivered", dispatched_at=T0, delivered=True, eta=T0)
    assert kinds(done, T0 + timedelta(days=30)) == []
    assert all(a["suggested_action"] for a in alerts(held, T0 + timedelta(days=5)))
