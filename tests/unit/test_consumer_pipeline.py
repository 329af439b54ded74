"""The pipelined consume loop (batch N written while N+1 is polled) keeps the sequential loop's
guarantees: offsets are committed only after their batch's transaction, in order, and a batch
that fails for a retryable reason is re-read from its first offset, together with the batch
that was polled meanwhile. A fake consumer stands in for Kafka (no broker needed here; the
broker-backed crash tests are in tests/integration/test_kafka.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from kafka import TopicPartition

from adapters.kafka.config import KafkaSettings
from adapters.kafka.consumer import OrderConsumer
from domains.common import InvalidTransition
from domains.orders.intake import IntakeOutcome

TP = TopicPartition("orders.web", 0)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None = None
    headers: list | None = None
    timestamp: int = 0


class FakeConsumer:
    def __init__(self, count: int) -> None:
        self.records = [
            Record("orders.web", 0, n, json.dumps(order(n)).encode()) for n in range(count)
        ]
        self.position = 0
        self.commits: list[int] = []
        self.seeks: list[int] = []
        self.events: list[str] = []  # "poll <first offset>" / "commit <offset>", in order

    def subscribe(self, topics: Any, listener: Any = None) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        batch = self.records[self.position : self.position + max_records]
        self.position += len(batch)
        if batch:
            self.events.append(f"poll {batch[0].offset}")
        return {TP: batch} if batch else {}

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)
        self.position = offset

    def commit(self, offsets: dict, timeout_ms: int) -> None:
        offset = offsets[TP].offset
        self.commits.append(offset)
        self.events.append(f"commit {offset}")


class FakeApp:
    """Takes every order; fails the first attempt of the batch holding offset `fail_at`."""

    def __init__(self, fail_at: int | None) -> None:
        self.fail_at = fail_at
        self.seen: list[str] = []
        self.attempts = 0

    def intake_batch(self, items: list[Any]) -> tuple[list[IntakeOutcome], int]:
        self.attempts += 1
        ids = [i.canonical["external_id"] for i in items]
        if self.fail_at is not None and f"W-{self.fail_at}" in ids:
            self.fail_at = None
            raise InvalidTransition("the order kept conflicting with concurrent writers; retry")
        new = [i for i in ids if i not in self.seen]
        self.seen += new
        return [IntakeOutcome(None, i in new) for i in ids], 0  # type: ignore[arg-type]


def order(n: int) -> dict[str, Any]:
    return {
        "external_id": f"W-{n}",
        "placed_at": "2026-11-20T10:00:00+00:00",
        "currency": "USD",
        "customer": {"name": "Ada", "email": None, "phone": None},
        "ship_to": {
            "name": "Ada",
            "line1": "1 Main St",
            "line2": None,
            "city": "Town",
            "region": "CA",
            "postcode": "90001",
            "country": "US",
        },
        "lines": [{"sku": "SKU-TEA-001", "quantity": 1, "unit_price": "12.50"}],
        "dealer_id": None,
    }


def run(count: int, fail_at: int | None) -> tuple[FakeConsumer, FakeApp, Any]:
    consumer = FakeConsumer(count)
    app = FakeApp(fail_at)
    settings = KafkaSettings.from_env({"KAFKA_CHANNELS": "web"}, batch_size=10, batch_wait_ms=0)
    worker = OrderConsumer(app, settings, consumer=consumer, producer=object())
    guard = threading.Event()  # ends a consumer that does not stop when idle (a failure)
    timer = threading.Timer(5.0, guard.set)
    timer.start()
    try:
        stats = worker.run(guard, idle_exit_s=0.05)
    finally:
        timer.cancel()
    assert not guard.is_set(), "the consumer did not stop when idle"
    return consumer, app, stats


def test_offsets_are_committed_after_each_batch_in_order_while_the_next_is_polled():
    consumer, app, stats = run(35, fail_at=None)
    assert app.seen == [f"W-{n}" for n in range(35)]
    assert consumer.commits == [10, 20, 30, 35]
    # Batch N+1 is polled before N's offsets are committed (the pipeline), never later.
    assert consumer.events[:4] == ["poll 0", "poll 10", "commit 10", "poll 20"]
    assert (stats.batches, stats.created, stats.existing, stats.retries) == (4, 35, 0, 0)


def test_a_failed_batch_is_reread_from_its_first_offset_with_the_batch_polled_meanwhile():
    consumer, app, stats = run(35, fail_at=12)  # the second batch (offsets 10-19) fails once
    assert consumer.seeks == [10]  # back to the failed batch's start; 20-29 re-read after it
    assert app.seen == [f"W-{n}" for n in range(35)]  # each order once, in offset order
    assert consumer.commits == [10, 20, 30, 35]  # nothing committed past an unwritten batch
    assert stats.retries == 1 and stats.created == 35
