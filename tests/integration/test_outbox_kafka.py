"""The outbox publishes a dispatched Shopify order's confirmation to `channel.out` on a real
Kafka-protocol broker, keyed by the order id (skips locally without the test broker; fails
under CI=true, like the other Kafka tests)."""

from __future__ import annotations

import json

from adapters.kafka.clients import ensure_topics, make_producer
from adapters.outbox.delivery import CHANNEL_OUT_TOPIC
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture
from tests.integration.test_kafka import read_topic, settings_for
from tests.kafka_broker import kafka_broker
from tests.outbox.helpers import dispatched, outbox_for


def test_channel_out_gets_the_confirmation_keyed_by_order(floor):  # noqa: F811
    c = floor
    with kafka_broker() as broker:
        settings = settings_for(broker)
        ensure_topics(settings, {CHANNEL_OUT_TOPIC: 3})
        producer = make_producer(settings, "outbox-test")
        outbox = outbox_for(c, None, kafka_producer=producer)
        try:
            shipped = dispatched(c, "OB-2001")
            stats = outbox.run_once()
            assert (stats.delivered, stats.by_target) == (1, {"kafka": 1})
            assert outbox.run_once().delivered == 0  # acknowledged once, not sent again
            (record,) = read_topic(settings, CHANNEL_OUT_TOPIC)
        finally:
            outbox.close()
    assert record.key.decode() == shipped["order_id"]
    body = json.loads(record.value)
    assert body["type"] == "shipment_confirmed" and body["operation"] == "fulfillment.create"
    info = body["payload"]["fulfillment"]["tracking_info"]
    assert info["number"] == shipped["waybill"]
    assert dict(record.headers)["delivery_id"].decode() == body["delivery_id"]
