"""Transport's use cases called directly: quotes between places, the SLA check over the open
shipments, the exception queue, carrier scorecards and the label re-rendered as issued."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.transport.carriers.tracking_codes import normalise
from domains.common import ValidationFailed
from domains.transport.application import Place
from domains.transport.rating import Parcel
from tests.use_cases.conftest import dispatched_shipment, labelled_shipment

PARCEL = [Parcel(1200, (300, 200, 100))]


def test_a_quote_from_a_warehouse_is_priced_as_from_its_country(app):
    lax = app.reference.current()["warehouses"]["LAX"]
    from_warehouse = app.transport.quote(Place(warehouse_id="LAX"), Place(country="GB"), PARCEL)
    from_country = app.transport.quote(Place(country=lax.country), Place(country="GB"), PARCEL)
    assert from_warehouse["rates"], "the shipped rate cards price US -> GB"
    assert from_warehouse == from_country
    totals = [float(r["total"]) for r in from_warehouse["rates"]]
    assert totals == sorted(totals)  # cheapest first


def test_a_quote_names_every_bad_place_at_once(app):
    with pytest.raises(ValidationFailed) as bad:
        app.transport.quote(Place(warehouse_id="NOPE"), Place(country="XX"), PARCEL)
    assert {e["loc"] for e in bad.value.errors} == {
        "origin.warehouse_id",
        "origin",
        "destination.country",
    }
    assert "'XX' is not an ISO 3166-1 country" in str(bad.value.errors)


def test_a_parcel_without_a_scan_for_a_day_raises_one_alert_once(app, clock):
    order_id, _ = dispatched_shipment(app, "SLA-1")
    assert app.transport.check_sla() == []
    clock.advance(hours=24, minutes=5)
    raised = app.transport.check_sla()
    assert [(a["shipment_id"], a["kind"]) for a in raised] == [(f"{order_id}-S1", "no_scan_24h")]
    assert app.transport.check_sla() == []  # raised once
    events = app.orders.order_events(order_id)
    assert type(events[-1]).__name__ == "ExceptionRaised"


def test_the_exception_queue_lists_raised_alerts_per_kind_and_warehouse(app, clock):
    order_id, label = dispatched_shipment(app, "SLA-2")
    clock.advance(hours=25)
    app.transport.check_sla()
    (item,) = app.transport.exception_queue()
    assert item["shipment_id"] == f"{order_id}-S1" and item["waybill"] == label["waybill"]
    assert item["kind"] == "no_scan_24h" and item["warehouse_id"] == "LAX"
    assert app.transport.exception_queue(kind="eta_passed") == []
    assert app.transport.exception_queue(warehouse_id="FRA") == []
    assert app.transport.exception_queue(kind="no_scan_24h", warehouse_id="LAX") == [item]


def test_scorecard_measures_transit_and_lateness_from_the_scans(app, clock):
    _, label = dispatched_shipment(app, "SC-1")
    carrier, waybill = label["carrier"], label["waybill"]
    delivered_code = {"ups": "D", "dhl_express": "OK", "fedex": "DL"}[carrier]
    scan = {
        "waybill": waybill,
        "code": delivered_code,
        "occurred_at": (clock.now() + timedelta(hours=30)).isoformat(),
    }
    (result,) = app.transport.ingest_tracking(carrier, [scan])
    assert result["status"] == normalise(carrier, delivered_code, "")[0] == "delivered"
    (row,) = app.transport.carrier_scorecards()
    assert (row["carrier"], row["lane"], row["shipments"], row["delivered"]) == (
        carrier,
        "US-US",
        1,
        1,
    )
    assert row["mean_transit_days"] == pytest.approx(30 / 24, abs=0.01)
    assert row["on_time_rate"] == (1.0 if 30 / 24 <= row["quoted_days_max"] else 0.0)
    assert app.transport.exception_rates() == {f"{carrier}/{row['service']}": 0.0}


def test_the_label_is_rendered_again_as_it_was_issued(app):
    order_id, label = labelled_shipment(app, "LBL-1")
    content, label_format = app.transport.label_document(order_id, 1)
    assert label_format == "PDF" and content.startswith(b"%PDF")
    app.transport.void_label(order_id, 1, "wrong box")
    assert app.transport.label_document(order_id, 1) is None  # nothing current to print
    again, _ = app.transport.create_label(order_id, 1, "ZPL")
    content, label_format = app.transport.label_document(order_id, 1)
    assert label_format == "ZPL" and again["waybill"].encode() in content
