"""What the relay publishes to Kafka carries only ciphertext of a person: messages relayed
while their key existed are unreadable once it is deleted, and none of them holds their name,
email or phone in any form (tests/kafka_broker.py: a real Kafka-protocol broker)."""

from __future__ import annotations

import json

from adapters.bootstrap import store_env
from adapters.kafka.clients import ensure_topics
from adapters.kafka.config import KafkaSettings
from adapters.kafka.relay import EventRelay
from projections.db import ViewDB
from tests.integration.test_kafka import read_topic
from tests.kafka_broker import kafka_broker, kafka_env
from tests.privacy.helpers import ZOFIA, find_in, ship_to_gb


def test_relayed_events_hold_no_trace_of_an_erased_person(desk, sqlite_store):
    c = desk
    oid, sid, _ = ship_to_gb(c, ZOFIA, "ZK-1")
    c.post(f"/v1/shipments/{sid}/carrier", json={}, headers=c.keys["fra"])
    c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    with kafka_broker() as broker:
        settings = KafkaSettings.from_env(kafka_env(broker))
        ensure_topics(settings, {settings.events_topic: 1})
        relay = EventRelay(c.svc.app, settings, ViewDB(store_env(sqlite_store)))
        try:
            while relay.run_once():  # relayed while her key exists
                pass
            erased = c.post(
                "/v1/privacy/erasure-requests",
                json={"email": ZOFIA["email"], "reason": "CCPA deletion request"},
                headers=c.keys["dpo"],
            )
            assert erased.status_code == 201, erased.text
            while relay.run_once():  # and the erasure itself
                pass
        finally:
            relay.close()
        records = read_topic(settings, settings.events_topic)

    assert records
    types = [json.loads(r.value)["type"] for r in records]
    assert "Order.Received" in types and "PrivacyRequest.Completed" in types
    received = next(json.loads(m.value) for m in records if m.key == oid.encode())
    assert received["payload"]["canonical"]["customer"]["_pii_"] == erased.json()["subject_id"]
    for record in records:
        for part in (record.key or b"", record.value or b"", *(v for _, v in record.headers)):
            assert find_in(part, ZOFIA) == [], (record.offset, part[:200])
