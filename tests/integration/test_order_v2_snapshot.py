"""An Order stored before updates from the channel existed (class_version 2: no
`channel_updates`) still loads, on both stores, and a channel update carries on from it
(Order.upcast_v2_v3). The records are written as the v2 code stored them: a Received event and
a snapshot of the v2 state, inserted straight into the recorders."""

from __future__ import annotations

import json

from eventsourcing.persistence import StoredEvent

from domains.orders.intake import Intake, payload_hash
from domains.orders.model import Order
from tests.integration.test_spine_scenarios import web_order

WHEN = {"_type_": "datetime_iso", "_data_": "2026-11-20T10:00:00+00:00"}


def stored(oid, version, topic, state):
    return StoredEvent(
        originator_id=oid, originator_version=version, topic=topic, state=json.dumps(state).encode()
    )


def test_a_v2_order_snapshot_loads_and_takes_a_channel_update(app):
    canonical = web_order("OLD-V2", [("SKU-TEA-001", 2, "12.50")])
    oid = Order.create_id("web", "OLD-V2")
    # What the Received event and the v2 state both hold.
    common = {
        "channel": "web",
        "external_id": "OLD-V2",
        "raw_payload": canonical,
        "payload_hash": payload_hash(canonical),
        "canonical": canonical,
        "mapper_version": 1,
    }
    received = {"timestamp": WHEN, "originator_topic": "domains.orders.model:Order", **common}
    v2_state = {
        "_created_on": WHEN,
        "_modified_on": WHEN,
        "class_version": 2,
        **common,
        "status": "held",
        "hold_reasons": [{"rule": "stock", "code": "insufficient_stock", "reason": "short"}],
        "review": None,
        "split": None,
        "overrides": [],
        "cancel_reason": None,
        "fulfilment": {},
        "backorders": [],
    }
    app.recorder.insert_events([stored(oid, 1, "domains.orders.model:Order.Received", received)])
    snapshot = {"timestamp": WHEN, "topic": "domains.orders.model:Order", "state": v2_state}
    app.store.snapshots.recorder.insert_events(
        [stored(oid, 1, "eventsourcing.domain:Snapshot", snapshot)]
    )
    order = app.orders.get_order(oid)
    assert (order.version, order.status, order.channel_updates) == (1, "held", [])

    # The buyer's new phone number comes in: a contact change, applied on the old order.
    changed = {**canonical, "customer": {**canonical["customer"], "phone": "+1 213 555 0100"}}
    outcome, _ = app.orders.intake(Intake("web", changed, changed))
    assert [(u["kind"], u["applied"]) for u in outcome.updates] == [("contact_change", True)]
    order = app.orders.get_order(oid)
    assert order.version == 3  # ChannelUpdateReceived, ChannelChangeApplied
    assert app.orders.personal.customer(order.canonical)["phone"] == "+1 213 555 0100"
