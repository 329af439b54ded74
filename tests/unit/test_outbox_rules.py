"""The outbox's pure rules: which stored events call for which messages, the buyer's language,
a delay's new date, the retry schedule, and each channel's confirmation shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.outbox.shapes import outbound
from domains.outbox.messages import CUSTOMS_HOLD_CAUSES, Shipped, intents, language_for, revised_eta
from domains.outbox.retry import RetryPolicy

FIXTURES = Path(__file__).parent.parent / "fixtures"


def shipped(**overrides) -> Shipped:
    facts = {
        "order_id": "o-1",
        "channel": "amazon",
        "external_id": "113-4829176-5520234",
        "shipment_no": 1,
        "entry": {
            "carrier_code": "ups",
            "service": "ground",
            "waybill": "1Z999AA10123456784",
            "dispatched_at": "2026-11-20T09:00:00+00:00",
            "eta": "2026-11-24T09:00:00+00:00",
        },
        "lines": [{"sku": "SKU-TEA-001", "quantity": 2}],
        "country": "US",
        "locale": None,
        "subject_id": "subj-1",
    }
    return Shipped(**{**facts, **overrides})


def scan(status: str, tracking_status: str, incident: str | None = None) -> dict:
    data = {"status": status, "incident": incident, "occurred_at": "2026-11-23T10:00:00+00:00"}
    return {"shipment_no": 1, "event_data": data, "tracking_status": tracking_status}


def kinds(found) -> list[tuple[str, str]]:
    return [(i.audience, i.kind) for i in found]


def test_dispatch_confirms_to_the_channel_and_tells_the_buyer():
    found = intents("Dispatched", {"shipment_no": 1, "dispatched_at": "2026-11-20"}, shipped())
    assert kinds(found) == [("channel", "shipment_confirmed"), ("buyer", "shipped")]
    assert found[0].data["tracking_number"] == "1Z999AA10123456784"
    assert "subject_id" not in found[0].data  # the channel's message names no buyer


def test_a_scan_speaks_only_when_it_became_the_latest_status():
    assert kinds(intents("TrackingRecorded", scan("delivered", "delivered"), shipped())) == [
        ("channel", "delivered"),
        ("buyer", "delivered"),
    ]
    late = scan("out_for_delivery", "delivered")  # arrived after the delivery scan
    assert intents("TrackingRecorded", late, shipped()) == []
    failed = scan("delivery_failed", "delivery_failed", "recipient_unavailable")
    assert kinds(intents("TrackingRecorded", failed, shipped())) == [("channel", "delivery_failed")]


def test_a_delay_tells_the_buyer_the_new_date():
    (delayed,) = intents(
        "TrackingRecorded", scan("delivery_delayed", "delivery_delayed"), shipped()
    )
    # Seen 2026-11-23, before the promised 2026-11-24: the later is the ETA, plus 2 days.
    assert delayed.kind == "delayed" and delayed.data["new_eta"] == "2026-11-26"
    assert delayed.data["eta_rule"].startswith("eta-revision-v1")
    passed = {"shipment_no": 1, "kind": "eta_passed", "detected_at": "2026-11-25T12:00:00+00:00"}
    (late,) = intents("ExceptionRaised", passed, shipped())
    # Seen 2026-11-25, after the ETA: 25 + 2 = 27.
    assert late.data["new_eta"] == "2026-11-27"
    assert revised_eta(None, "2026-11-25T23:00:00+00:00") == date(2026, 11, 27)


def test_customs_holds_reach_the_buyer_at_once_and_the_team_after_48h():
    held = scan("on_hold", "on_hold", "customs_delay")
    assert kinds(intents("TrackingRecorded", held, shipped())) == [("buyer", "customs_hold")]
    other_hold = scan("on_hold", "on_hold", "damaged")
    assert intents("TrackingRecorded", other_hold, shipped()) == []
    alert = {
        "shipment_no": 1,
        "kind": "customs_hold_48h",
        "detected_at": "2026-11-25T12:00:00+00:00",
        "detail": "held by customs since 2026-11-23 10:00 UTC",
    }
    (team,) = intents("ExceptionRaised", alert, shipped())
    assert team.audience == "customs_team" and team.data["likely_causes"] == list(
        CUSTOMS_HOLD_CAUSES
    )
    no_scan = {**alert, "kind": "no_scan_24h"}
    assert intents("ExceptionRaised", no_scan, shipped()) == []


@pytest.mark.parametrize(
    ("locale", "country", "expected"),
    [
        ("fr-CA", "US", "fr"),  # the channel's locale wins
        ("it-IT", "AT", "de"),  # no Italian templates: the destination's language
        (None, "MX", "es"),
        (None, "JP", "en"),
        ("de_DE", None, "de"),
    ],
)
def test_the_buyers_language(locale, country, expected):
    assert language_for(locale, country) == expected


def test_retry_schedule_doubles_with_jitter_then_dead_letters():
    policy = RetryPolicy(max_attempts=4, base_s=30, cap_s=100)
    # full waits 30, 60, min(120, 100) = 100; equal jitter keeps between half and all of it
    assert policy.schedule() == [(15.0, 30.0), (30.0, 60.0), (50.0, 100.0)]
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert policy.after_failure(2, now, 0.5) == now + timedelta(seconds=30 + 15)
    assert policy.after_failure(4, now, 0.5) is None


def confirmed(channel: str, external_id: str, carrier: str = "ups") -> dict:
    entry = {**shipped().entry, "carrier_code": carrier}
    facts = shipped(channel=channel, external_id=external_id, entry=entry)
    (channel_msg, _) = intents("Dispatched", {"shipment_no": 1, "dispatched_at": "d"}, facts)
    return channel_msg.data


def test_amazon_confirm_shipment_uses_amazons_order_item_ids():
    raw = json.loads((FIXTURES / "amazon_order.json").read_text())
    items = raw["OrderItems"]
    body = outbound("amazon", "shipment_confirmed", confirmed("amazon", "113-1"), raw)
    detail = body["payload"]["packageDetail"]
    assert body["operation"] == "confirmShipment"
    tea = next(i for i in items if i["SellerSKU"] == "SKU-TEA-001")
    assert detail["orderItems"] == [{"orderItemId": tea["OrderItemId"], "quantity": 2}]
    assert (detail["carrierCode"], detail["trackingNumber"]) == ("UPS", "1Z999AA10123456784")
    postal = outbound("amazon", "shipment_confirmed", confirmed("amazon", "1", "postal"), raw)
    assert postal["payload"]["packageDetail"]["carrierCode"] == "Other"  # with carrierName


def test_shopee_tiktok_and_web_shapes():
    raw = json.loads((FIXTURES / "shopee_order.json").read_text())
    sn = raw["response"]["order_list"][0]["order_sn"]
    shopee = outbound("shopee", "shipment_confirmed", confirmed("shopee", sn), raw)["payload"]
    assert shopee["order_sn"] == sn
    assert shopee["non_integrated"]["tracking_number"] == "1Z999AA10123456784"
    tiktok_raw = {"line_items": [{"id": "li-9", "seller_sku": "SKU-TEA-001"}], "package_id": "p7"}
    tiktok = outbound("tiktok", "shipment_confirmed", confirmed("tiktok", "576"), tiktok_raw)
    assert tiktok["payload"]["package_id"] == "p7"
    assert tiktok["payload"]["order_line_item_ids"] == ["li-9"]
    web = outbound("web", "shipment_confirmed", confirmed("web", "W-1"), {})
    assert web["operation"] == "crossdock.shipment_confirmed"
    assert web["payload"]["lines"] == [{"sku": "SKU-TEA-001", "quantity": 2}]
