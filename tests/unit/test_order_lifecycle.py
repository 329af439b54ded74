"""The order's status rules on their own (domains/orders/lifecycle.py)."""

from __future__ import annotations

import itertools

from domains.orders import lifecycle as lc


def test_an_order_is_as_far_as_its_least_advanced_shipment():
    for a, b in itertools.product(lc.SHIPMENT_STAGE, repeat=2):
        least, most = sorted((a, b), key=lc.SHIPMENT_STAGE.__getitem__)
        status = lc.order_status_for([a, b])
        if lc.SHIPMENT_STAGE[most] == 0:
            assert status == lc.ALLOCATED  # nothing is in a wave yet
        elif lc.SHIPMENT_STAGE[least] == 0:
            assert status == lc.PICKING  # one shipment is in a wave: the order is being picked
        else:
            assert status == lc.order_status_for([least])
    # A shipment labelled or with its carrier chosen is still packed; in transit is dispatched.
    assert lc.order_status_for(["labelled", "carrier_selected"]) == lc.PACKED
    assert lc.order_status_for(["in_transit", "delivered"]) == lc.DISPATCHED


def test_failed_rules_hold_the_order_unless_a_person_overrode_them():
    rules = [
        {"rule": "credit", "code": "over_credit", "reason": "over", "passed": False},
        {"rule": "address", "code": "bad_postcode", "reason": "postcode", "passed": False},
        {"rule": "goods", "code": "ok", "reason": "", "passed": True},
    ]
    failed = [r["rule"] for r in rules if not r["passed"]]
    assert [h["rule"] for h in lc.hold_reasons(rules, [])] == failed
    assert [h["rule"] for h in lc.hold_reasons(rules, ["credit"])] == ["address"]
    assert lc.hold_reasons(rules, failed) == []


def test_a_release_overrides_every_holding_rule_but_stock():
    shortages = [{"sku": "A", "short": 2}, {"sku": "B", "short": 1}]
    (hold,) = lc.stock_hold(shortages)
    assert all(f"{s['sku']} short by {s['short']}" in hold["reason"] for s in shortages)
    holds = [hold, {"rule": "credit", "code": "over_credit", "reason": "over"}]
    assert lc.overrides_after_release(holds, ["address"]) == ["address", "credit"]


def test_delivered_is_final_whatever_scan_arrives_after_it():
    scans: list[dict] = []
    for code, at, status in [
        ("PU", "2025-01-02", "in_transit"),
        ("DL", "2025-01-04", "delivered"),
        ("EX", "2025-01-05", "exception"),
    ]:
        scans = lc.with_scan(scans, {"code": code, "occurred_at": at, "status": status})
    assert scans[-1]["status"] == "exception" and lc.carrier_status(scans) == lc.DELIVERED
    assert lc.carrier_status(scans[:1]) == "in_transit"


def test_a_late_scan_takes_its_place_and_a_resent_scan_is_recognised():
    scans = [{"code": "PU", "occurred_at": "2025-01-02", "status": "in_transit"}]
    late = {"code": "AR", "occurred_at": "2025-01-01", "status": "in_transit"}
    assert [s["code"] for s in lc.with_scan(scans, late)] == ["AR", "PU"]
    assert lc.is_repeat_scan(scans, dict(scans[0]))
    assert not lc.is_repeat_scan(scans, {**scans[0], "occurred_at": "2025-01-03"})
