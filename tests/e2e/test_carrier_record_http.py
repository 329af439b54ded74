"""Carriers from their record over HTTP: a delivered shipment is on its lane's record, the
recommendation ranks by expected cost with the shrunk rates, and the carrier choice records
each quote's expected cost and record."""

from __future__ import annotations

from tests.e2e.delivery import dispatch, scan
from tests.e2e.test_transport_http import packed_shipment
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture


def test_a_delivered_shipment_is_on_the_lanes_record_and_the_choice_records_expected_cost(
    floor,  # noqa: F811
):
    c = floor
    _, sid = packed_shipment(c, "REC-1")
    chosen = c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["ann"]).json()
    decision = chosen["decision"]
    # No history yet: every quote takes the default priors (p_late 0.10, p_loss 0.01) and the
    # expected cost is its total + 0.10 x 8.00 + 0.01 x the declared value (2 phone cases at
    # the order's USD 10.00 = 20.00): total + 0.80 + 0.20.
    assert decision["inputs"]["formula"].startswith("total + p_late")
    assert decision["inputs"]["declared_value"] == "20.00"
    for q in decision["ranked"]:
        assert q["record"]["basis"] == "default"
        assert q["expected_cost"] == f"{float(q['compare_total']) + 0.80 + 0.20:.2f}"
    label = dispatch(c, sid, "ann")
    scan(c, label, "delivered", 30)
    r = c.get("/v1/carriers/recommendations?origin=US&destination=US", headers=c.keys["admin"])
    assert r.status_code == 200, r.text
    rec = r.json()
    (item,) = rec["items"]
    carrier = label["carrier"]
    assert rec["recommended"] == f"{carrier}/{item['service']}"
    assert (item["shipments"], item["delivered"], item["late"]) == (1, 1, 0)
    assert item["transit_p50_days"] == 1.25  # delivered 30 hours after dispatch
    # one shipment, none late, no other lane: p_late = (0 + 20 x 0.10) / (1 + 20) = 0.0952
    assert item["p_late"]["p"] == round(2 / 21, 4) and item["confidence"] == round(1 / 21, 3)
    assert rec["settings"]["version"] == 1
    assert c.get("/v1/carriers/recommendations?origin=USA&destination=US",
                 headers=c.keys["admin"]).status_code == 422  # fmt: skip
    assert c.get("/v1/carriers/recommendations?origin=US&destination=US",
                 headers=c.keys["web"]).status_code == 403  # fmt: skip
