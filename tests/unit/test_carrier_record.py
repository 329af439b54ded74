"""Carriers from their record (domains/transport/record.py, adapters/transport/scorecards.py):
shrinkage towards the carrier's other lanes, derived by hand; best-value choice by expected
cost; the per-lane rows from planted shipments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.transport.scorecards import carrier_record_rows
from domains.transport.choice import choose
from domains.transport.record import RecordSettings, lane_records, quote_record, recommend

S = RecordSettings(version=1, cost_of_lateness=Decimal("8.00"), kappa=20,
                   default_p_late=0.10, default_p_loss=0.01)  # fmt: skip


def row(carrier, lane, shipments, late, claims=0, service="std", cost_per_kg=5.0):
    return {"carrier": carrier, "service": service, "lane": lane, "shipments": shipments,
            "delivered": shipments, "late": late, "claims": claims, "cost_per_kg": cost_per_kg}  # fmt: skip


def by_lane(records, lane):
    return next(r for r in records if r["lane"] == lane)


def test_a_lane_with_few_shipments_is_shrunk_towards_the_carriers_other_lanes():
    records = lane_records([row("post", "CN-US", 2, 1), row("post", "CN-DE", 100, 9, 2)], S)
    us = by_lane(records, "CN-US")
    # late on CN-US: 1 of 2 (raw 0.5). Prior from CN-DE: m = 9/100 = 0.09, kappa = min(20, 100)
    # = 20, alpha = 1.8: p = (1 + 1.8) / (2 + 20) = 2.8 / 22 = 0.12727
    assert us["p_late"]["raw"] == 0.5 and us["p_late"]["prior"] == 0.09
    assert us["p_late"]["p"] == pytest.approx(2.8 / 22, abs=1e-4)
    # claims on CN-US: 0 of 2. Prior 2/100 = 0.02: p = (0 + 0.4) / 22 = 0.01818
    assert us["p_loss"]["p"] == pytest.approx(0.4 / 22, abs=1e-4)
    assert us["confidence"] == round(2 / 22, 3)
    de = by_lane(records, "CN-DE")
    # CN-DE's prior is CN-US: m = 1/2, but it counts for min(20, 2) = 2 shipments:
    # p = (9 + 2 x 0.5) / (100 + 2) = 10 / 102 = 0.09804, close to its own 0.09
    assert de["p_late"]["kappa"] == 2
    assert de["p_late"]["p"] == pytest.approx(10 / 102, abs=1e-4)


def test_a_carrier_with_no_other_lane_takes_the_default_prior():
    (only,) = lane_records([row("new", "CN-US", 3, 0)], S)
    # m = default 0.10 at the full kappa 20: p = (0 + 2) / (3 + 20) = 0.08696
    assert only["p_late"]["p"] == pytest.approx(2 / 23, abs=1e-4)
    # a quote for a lane it never shipped: the carrier's record elsewhere, 0 late of 3 at
    # kappa min(20, 3) = 3: p = (0 + 3 x 0/3) / (0 + 3) = 0; loss likewise from 0 claims
    q = quote_record([only], "CN-GB", "new", "std", S)
    assert q == {"p_late": 0.0, "p_loss": 0.0, "shipments": 0, "basis": "carrier"}
    assert quote_record([only], "CN-GB", "other", "std", S)["basis"] == "default"


QUOTES = [
    {"carrier": "budget", "service": "eco", "total": "10.00", "transit_days_min": 5,
     "transit_days_max": 8},
    {"carrier": "premium", "service": "express", "total": "14.00", "transit_days_min": 2,
     "transit_days_max": 3},
]  # fmt: skip
RECORD = {
    "budget/eco": {"p_late": 0.4, "p_loss": 0.05},
    "premium/express": {"p_late": 0.05, "p_loss": 0.005},
}


def test_best_value_takes_the_reliable_carrier_when_the_goods_are_worth_it():
    # declared 50.00: budget 10 + 0.4 x 8 + 0.05 x 50 = 10 + 3.20 + 2.50 = 15.70;
    # premium 14 + 0.05 x 8 + 0.005 x 50 = 14 + 0.40 + 0.25 = 14.65: premium, though dearer
    d = choose(QUOTES, "best_value", record=RECORD, declared_value=Decimal("50"),
               cost_of_lateness=Decimal("8"))  # fmt: skip
    assert d["choice"]["carrier"] == "premium"
    assert [q["expected_cost"] for q in d["ranked"]] == ["14.65", "15.70"]
    assert d["ranked"][1]["expected_loss"] == "2.50" and d["ranked"][1]["record"]["p_late"] == 0.4
    assert d["inputs"]["declared_value"] == "50" and d["inputs"]["cost_of_lateness"] == "8"


def test_best_value_takes_the_cheap_unreliable_carrier_for_cheap_goods():
    # declared 10.00: budget 10 + 3.20 + 0.50 = 13.70; premium 14 + 0.40 + 0.05 = 14.45
    d = choose(QUOTES, "best_value", record=RECORD, declared_value=Decimal("10"),
               cost_of_lateness=Decimal("8"))  # fmt: skip
    assert d["choice"]["carrier"] == "budget"
    assert [q["expected_cost"] for q in d["ranked"]] == ["13.70", "14.45"]


def test_recommendation_ranks_a_lane_by_expected_cost_of_the_reference_parcel():
    records = lane_records(
        [row("cheap", "CN-US", 200, 80, 10, cost_per_kg=4.0),
         row("cheap", "CN-DE", 200, 80, 10, cost_per_kg=4.0),
         row("sure", "CN-US", 200, 4, 0, cost_per_kg=5.5)], S,
    )  # fmt: skip
    rec = recommend(records, "CN-US", S)
    # cheap (its other lane CN-DE: late 80/200 = 0.4, claims 10/200 = 0.05, kappa 20):
    #   p_late = (80 + 8) / 220 = 0.4, p_loss = (10 + 1) / 220 = 0.05;
    #   1 kg x 4.00 + 0.4 x 8 + 0.05 x 50 = 4.00 + 3.20 + 2.50 = 9.70
    # sure (no other lane: the defaults 0.10 and 0.01 at kappa 20):
    #   p_late = (4 + 2) / 220 = 0.0273, p_loss = (0 + 0.2) / 220 = 0.0009 (4 places);
    #   5.50 + 0.0273 x 8 + 0.0009 x 50 = 5.50 + 0.2184 + 0.045 = 5.7634 -> 5.76
    assert rec["recommended"] == "sure/std"
    assert [i["expected_cost"] for i in rec["items"]] == ["5.76", "9.70"]


def test_record_rows_from_planted_shipments():
    base = {"carrier": "post", "service": "std", "warehouse_id": "SZX", "destination": "US",
            "weight_g": 1000, "currency": "USD"}  # fmt: skip
    shipments = []
    # ten parcels of 2 kg at 10.00 each, dispatched 1 Nov, in transit 1..10 days, ETA 5 Nov
    for d in range(1, 11):
        shipments.append({**base, "dispatched_at": "2026-11-01T00:00:00+00:00",
                          "delivered_at": f"2026-11-{1 + d:02d}T00:00:00+00:00",
                          "eta": "2026-11-05T00:00:00+00:00", "chargeable_weight_kg": 2.0,
                          "quoted_total_cents": 1000})  # fmt: skip
    (r,) = carrier_record_rows(shipments, {"SZX": "CN"})
    # delivered 2..11 Nov; after the 5 Nov ETA: 6..11 Nov = transit 5..10 days: 6 late
    assert (r["lane"], r["shipments"], r["delivered"], r["late"]) == ("CN-US", 10, 10, 6)
    # transit 1..10 days: p50 = 5.5, p90 = 9.1 (linear interpolation)
    assert (r["transit_p50_days"], r["transit_p90_days"]) == (5.5, 9.1)
    assert r["cost_per_kg"] == 5.0 and r["kg"] == 20.0  # 100.00 over 20 kg
