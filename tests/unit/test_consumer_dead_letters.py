"""What an operator of `crossdock consume` sees without a broker: which failures are retried and
which records are refused, what a dead letter carries (topic, key, value, `x-dlq-*` headers),
how a batch is collected, and which offsets are committed (and when a commit fails, where each
partition is rewound to). Fakes stand in for the kafka-python consumer and producer and for the
order use cases; the broker-backed tests are in tests/integration/test_kafka.py."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import DataError, IntegrityError, OperationalError
from kafka import TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError
from kafka.structs import OffsetAndMetadata

import adapters.kafka.consumer as consumer_module
from adapters.kafka.config import KafkaSettings
from adapters.kafka.consumer import (
    HEADER_DETAIL_LIMIT,
    DeadLetter,
    OrderConsumer,
    is_retryable,
)
from adapters.orders.channels import map_payload
from domains.common import DomainError, InvalidTransition, ValidationFailed
from domains.orders.intake import DuplicateConflict, IntakeOutcome
from tests.unit.test_consumer_pipeline import Record, order

WEB0 = TopicPartition("orders.web", 0)
WEB1 = TopicPartition("orders.web", 1)


def rec(offset: int, value: Any = None, *, partition: int = 0, topic: str = "orders.web", **kw):
    """A record; `value` is an order number (JSON of `order(n)`), raw bytes, or None."""
    if isinstance(value, int):
        value = json.dumps(order(value)).encode()
    return Record(topic, partition, offset, value, **kw)


class FakeConsumer:
    """Hands out `records` up to `per_poll` at a time; records every call an operator cares
    about. `committed` is what the broker holds per partition (None = nothing committed)."""

    def __init__(self, records: list[Record], per_poll: int = 1000, on_poll=None) -> None:
        self.records = list(records)
        self.per_poll = per_poll
        self.on_poll = on_poll  # called with the poll number before answering
        self.position = 0
        self.polls: list[tuple[int, int]] = []  # (timeout_ms, max_records)
        self.commits: list[tuple[dict, int]] = []
        self.commit_error: Exception | None = None
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.to_beginning: list[TopicPartition] = []
        self.to_end: list[TopicPartition] = []
        self.owned = {WEB0}
        self.committed_offsets: dict[TopicPartition, Any] = {}
        self.subscriptions: list[tuple[Any, Any]] = []
        self.closed: list[dict] = []
        self.committed_timeouts: list[int] = []

    def subscribe(self, topics: Any, listener: Any = None) -> None:
        self.subscriptions.append((topics, listener))

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def poll(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Record]]:
        self.polls.append((timeout_ms, max_records))
        if self.on_poll is not None:
            self.on_poll(len(self.polls))
        batch = self.records[self.position : self.position + min(max_records, self.per_poll)]
        self.position += len(batch)
        out: dict[TopicPartition, list[Record]] = {}
        for r in batch:
            out.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        return out

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))
        self.position = next(
            (i for i, r in enumerate(self.records) if r.offset >= offset), len(self.records)
        )

    def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.to_beginning.append(tp)

    def seek_to_end(self, tp: TopicPartition) -> None:
        self.to_end.append(tp)

    def committed(self, tp: TopicPartition, timeout_ms: int) -> Any:
        self.committed_timeouts.append(timeout_ms)
        value = self.committed_offsets.get(tp)
        if isinstance(value, Exception):
            raise value
        return value

    def commit(self, offsets: dict, timeout_ms: int) -> None:
        if self.commit_error is not None:
            raise self.commit_error
        self.commits.append((dict(offsets), timeout_ms))

    def close(self, **kw: Any) -> None:
        self.closed.append(kw)


class Sent:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def get(self, timeout: float) -> None:
        if self.error is not None:
            raise self.error


class FakeProducer:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.fail_with = fail_with
        self.sent: list[tuple[str, bytes | None, bytes, dict[str, bytes]]] = []
        self.closed: list[float] = []
        self.flushes: list[float] = []

    def send(self, topic: str, key: Any, value: bytes, headers: list) -> Sent:
        if self.fail_with is None:
            self.sent.append((topic, key, value, dict(headers)))
        return Sent(self.fail_with)

    def flush(self, timeout: float) -> None:
        self.flushes.append(timeout)

    def close(self, timeout: float) -> None:
        self.closed.append(timeout)

    def reasons(self) -> dict[bytes | None, tuple[str, str]]:
        return {
            key: (h["x-dlq-reason"].decode(), h["x-dlq-detail"].decode())
            for _topic, key, _value, h in self.sent
        }


class FakeOrders:
    """Takes every order, except: an external id in `errors` gets that domain error as its
    outcome; a batch holding an id in `poison` raises (the whole batch fails)."""

    def __init__(self, errors: dict[str, DomainError] | None = None, poison=None) -> None:
        self.errors = errors or {}
        self.poison = poison or {}
        self.seen: set[str] = set()
        self.batches: list[list[str]] = []

    def intake_batch(self, items: list[Any]) -> tuple[list[IntakeOutcome], int]:
        ids = [i.canonical["external_id"] for i in items]
        self.batches.append(ids)
        for i in ids:
            if i in self.poison:
                raise self.poison[i]
        outcomes = []
        for i in ids:
            error = self.errors.get(i)
            outcomes.append(
                IntakeOutcome(uuid.uuid4(), i not in self.seen and not error, None, error)
            )
            if not error:
                self.seen.add(i)
        return outcomes, 0


def settings(**kw: Any) -> KafkaSettings:
    env = {"KAFKA_CHANNELS": "web,amazon", "KAFKA_GROUP_ID": "intake-test"}
    return KafkaSettings.from_env(env, **{"batch_size": 10, "batch_wait_ms": 0, **kw})


def worker(records, orders=None, producer=None, per_poll=1000, on_batch=None, **kw):
    fake = FakeConsumer(records, per_poll)
    w = OrderConsumer(
        orders or FakeOrders(),
        settings(**kw),
        consumer=fake,
        producer=producer if producer is not None else FakeProducer(),
        on_batch=on_batch,
    )
    return w, fake


class Stop(threading.Event):
    """The consumer's stop event; records the pauses between retries instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.pauses.append(timeout)
        return self.is_set()


def drain(w: OrderConsumer, idle_exit_s: float = 0.05, guard: Stop | None = None) -> Any:
    """Runs the consumer until it has been idle for `idle_exit_s`; fails (instead of hanging)
    when it does not stop by itself within 30 s (generous: late in the whole suite, with other
    tests' threads in the process, 5 s was once not enough for five records)."""
    guard = guard if guard is not None else Stop()
    timer = threading.Timer(30.0, guard.set)
    timer.daemon = True
    timer.start()
    try:
        stats = w.run(guard, idle_exit_s=idle_exit_s)
    finally:
        timer.cancel()
    assert not guard.is_set(), "the consumer did not stop when idle"
    return stats


# --- which failures are retried -----------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("database is locked"),
        IntegrityError("conflict"),
        InvalidTransition("kept conflicting"),
        ConnectionError("reset by peer"),
        TimeoutError(),
        KafkaTimeoutError("dlq not acknowledged"),
        psycopg.OperationalError("server closed the connection"),
    ],
)
def test_infrastructure_failures_are_retried(exc):
    assert is_retryable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        DataError("value too long"),  # a PersistenceError, but about this record's content
        psycopg.DataError("numeric field overflow"),  # a psycopg.Error, likewise
        ValueError("bad amount"),
        ValidationFailed([{"loc": "sku", "msg": "unknown"}]),
        KeyError("dealer"),
    ],
)
def test_content_failures_are_not_retried(exc):
    assert not is_retryable(exc)


# --- what a dead letter carries -----------------------------------------------------------------


def test_a_dead_letter_goes_to_the_channel_dlq_with_key_value_and_every_header():
    w, _ = worker([])
    record = rec(
        41,
        b"{not json",
        partition=3,
        key=b"W-41",
        timestamp=1764000000123,
        headers=[("trace-id", b"abc"), ("x-dlq-reason", b"stale from an earlier hop")],
    )
    before = datetime.now(UTC)
    topic, key, value, headers = w.dead_letter(DeadLetter(record, "payload_error", "lines: é"))
    assert (topic, key, value) == ("orders.web.dlq", b"W-41", b"{not json")
    names = [h[0] for h in headers]
    # the producer's own headers are kept; an earlier hop's x-dlq-* ones are replaced, not doubled
    assert headers[0] == ("trace-id", b"abc") and names.count("x-dlq-reason") == 1
    h = dict(headers)
    assert h["x-dlq-reason"] == b"payload_error"
    assert h["x-dlq-detail"] == "lines: é".encode()
    assert h["x-dlq-original-topic"] == b"orders.web"
    assert h["x-dlq-original-partition"] == b"3"
    assert h["x-dlq-original-offset"] == b"41"
    assert h["x-dlq-original-timestamp"] == b"1764000000123"
    assert h["x-dlq-consumer-group"] == b"intake-test"
    failed_at = datetime.fromisoformat(h["x-dlq-failed-at"].decode())
    assert before <= failed_at <= datetime.now(UTC)
    assert len(headers) == 9


def test_a_dead_letter_of_a_foreign_topic_or_an_empty_record():
    w, _ = worker([], dlq_suffix=".dead")
    topic, key, value, headers = w.dead_letter(
        DeadLetter(rec(0, None, topic="payments.web"), "invalid_record", "x")
    )
    assert (topic, key, value) == ("payments.web.dead", None, b"")
    assert [h for h in headers if not h[0].startswith("x-dlq-")] == []


def test_a_long_detail_is_cut_to_the_header_limit():
    w, _ = worker([])
    detail = "é" * HEADER_DETAIL_LIMIT  # two bytes each in UTF-8
    h = dict(w.dead_letter(DeadLetter(rec(0, 1), "validation_failed", detail))[3])
    assert h["x-dlq-detail"] == detail.encode("utf-8")[:HEADER_DETAIL_LIMIT]
    assert len(h["x-dlq-detail"]) == HEADER_DETAIL_LIMIT


# --- records refused before the transaction -----------------------------------------------------


def test_records_that_cannot_be_read_are_refused_with_the_reason():
    records = [
        rec(0, 0, key=b"ok"),
        rec(1, None, key=b"empty"),
        rec(2, b"\xff\xfe", key=b"not-utf8"),
        rec(3, b"[1,", key=b"not-json"),
        rec(4, b'{"external_id": "W-4"}', key=b"no-lines"),
        rec(5, 5, topic="orders.shopee", key=b"not-our-channel"),
    ]
    w, _ = worker([])
    prepared = w.prepare(records)
    assert [i.canonical["external_id"] for i in prepared.items] == ["W-0"]
    assert prepared.items[0].channel == "web" and prepared.items[0].raw_payload == order(0)
    # where each canonical field came from, for error messages in the channel's own terms
    assert prepared.items[0].source_paths == map_payload("web", order(0)).source_paths
    assert "lines[0].sku" in prepared.items[0].source_paths
    assert prepared.item_records == [records[0]]
    dead = {d.record.key: (d.reason, d.detail) for d in prepared.dead}
    assert dead[b"empty"] == ("invalid_record", "empty record (no value)")
    assert dead[b"not-utf8"][0] == "invalid_record"
    assert dead[b"not-utf8"][1].startswith("not valid JSON: ")
    assert dead[b"not-json"][0] == "invalid_record"
    assert dead[b"not-json"][1].startswith("not valid JSON: ")
    assert dead[b"not-our-channel"] == (
        "invalid_record",
        "topic 'orders.shopee' carries no known channel",
    )
    reason, detail = dead[b"no-lines"]
    assert reason == "payload_error"
    errors = json.loads(detail)
    assert {"loc": "lines", "msg": "missing required array"} in errors
    assert all(set(e) == {"loc", "msg"} for e in errors)


# --- records refused by the intake ------------------------------------------------------------


def test_refusals_by_the_intake_carry_the_errors_the_conflict_or_the_error():
    order_id = uuid.uuid4()
    differences = [{"path": "lines[0].quantity", "stored": 1, "received": 2}]
    orders = FakeOrders(
        errors={
            "W-1": ValidationFailed([{"loc": "lines[0].sku", "msg": "unknown SKU 'X'"}]),
            "W-2": DuplicateConflict(order_id, differences),
            "W-3": InvalidTransition("order W-3 is cancelled"),
        }
    )
    producer = FakeProducer()
    w, fake = worker(
        [rec(n, n, key=f"k{n}".encode()) for n in range(5)], orders, producer, send_timeout_s=4
    )
    results = []
    w.on_batch = results.append
    stats = drain(w)
    reasons = producer.reasons()
    assert set(reasons) == {b"k1", b"k2", b"k3"}
    assert reasons[b"k1"][0] == "validation_failed"
    assert json.loads(reasons[b"k1"][1]) == [{"loc": "lines[0].sku", "msg": "unknown SKU 'X'"}]
    assert reasons[b"k2"][0] == "duplicate_conflict"
    assert json.loads(reasons[b"k2"][1]) == {"order_id": str(order_id), "differences": differences}
    assert reasons[b"k3"] == ("processing_error", "InvalidTransition: order W-3 is cancelled")
    assert all(topic == "orders.web.dlq" for topic, *_ in producer.sent)
    assert producer.flushes == [4.0]  # one flush per batch, waiting at most the send timeout
    assert [(r.records, r.created, r.existing, r.dead) for r in results] == [(5, 2, 0, 3)]
    assert (stats.records, stats.created, stats.dead) == (5, 2, 3)
    assert [c[0] for c in fake.commits] == [{WEB0: OffsetAndMetadata(5, "", -1)}]


def test_a_record_that_breaks_the_whole_batch_is_isolated_and_refused_alone():
    orders = FakeOrders(poison={"W-2": TypeError("unsupported operand")})
    producer = FakeProducer()
    w, fake = worker([rec(n, n, key=f"k{n}".encode()) for n in range(4)], orders, producer)
    stats = drain(w)
    assert orders.batches[0] == ["W-0", "W-1", "W-2", "W-3"]
    assert orders.batches[1:] == [["W-0"], ["W-1"], ["W-2"], ["W-3"]]  # each tried alone
    assert producer.reasons() == {b"k2": ("processing_error", "TypeError: unsupported operand")}
    assert (stats.created, stats.dead, stats.retries) == (3, 1, 0)
    assert fake.commits[-1][0] == {WEB0: OffsetAndMetadata(4, "", -1)}


def test_an_intake_that_answers_fewer_outcomes_than_orders_stops_the_consumer_uncommitted():
    orders = FakeOrders()
    real = orders.intake_batch
    orders.intake_batch = lambda items: (real(items)[0][:-1], 0)  # type: ignore[method-assign]
    w, fake = worker([rec(n, n) for n in range(3)], orders)
    with pytest.raises(ValueError):
        drain(w)
    assert fake.commits == []  # the last order's offset is not committed unanswered


def test_redelivered_orders_count_as_existing_across_batches():
    records = [rec(n, n % 3) for n in range(9)]  # W-0, W-1, W-2 three times
    results = []
    w, fake = worker(records, per_poll=3, on_batch=results.append, batch_size=3)
    stats = drain(w)
    assert [(r.records, r.created, r.existing, r.dead) for r in results] == [
        (3, 3, 0, 0),
        (3, 0, 3, 0),
        (3, 0, 3, 0),
    ]
    assert all(0 <= r.seconds < 5 for r in results)
    assert (stats.batches, stats.records, stats.created, stats.existing, stats.dead) == (
        3,
        9,
        3,
        6,
        0,
    )
    assert stats.first_record_at is not None and stats.last_commit_at is not None
    assert stats.first_record_at <= stats.last_commit_at <= time.monotonic()


def test_dead_letter_counts_add_up_over_batches():
    records = [rec(n, None) for n in range(4)]
    w, _ = worker(records, per_poll=2, batch_size=2)
    stats = drain(w)
    assert (stats.batches, stats.records, stats.dead, stats.created) == (2, 4, 4, 0)


def test_a_dead_letter_topic_that_will_not_take_the_record_retries_with_a_fresh_producer(
    monkeypatch,
):
    broken = FakeProducer(fail_with=KafkaTimeoutError("no ack"))
    fresh = FakeProducer()
    made = []

    def make_producer(s, role):
        made.append((s, role))
        return fresh

    monkeypatch.setattr(consumer_module, "make_producer", make_producer)
    w, fake = worker([rec(0, None, key=b"empty"), rec(1, 1)], producer=broken)
    stats = drain(w)
    assert broken.closed == [1] and made == [(w.settings, "dlq")]
    assert w.producer is fresh and list(fresh.reasons()) == [b"empty"]
    assert fake.seeks == [(WEB0, 0)]  # the whole batch again, from its first offset
    assert stats.retries == 1 and stats.dead == 1 and stats.batches == 1
    assert [c[0] for c in fake.commits] == [{WEB0: OffsetAndMetadata(2, "", -1)}]


def test_a_failure_that_is_not_the_infrastructures_stops_the_consumer_uncommitted():
    w, fake = worker([rec(0, None)], producer=FakeProducer(fail_with=ValueError("bad header")))
    with pytest.raises(ValueError, match="bad header"):
        drain(w)
    assert fake.commits == [] and w.stats.retries == 0


def test_retries_pause_twice_as_long_each_time_up_to_ten_seconds_and_start_over_after_success():
    orders = FakeOrders()
    calls = {"n": 0}
    real = orders.intake_batch

    def flaky(items):  # W-0 fails 7 times, then W-1 once
        calls["n"] += 1
        if calls["n"] <= 7 or calls["n"] == 9:
            raise OperationalError("database is locked")
        return real(items)

    orders.intake_batch = flaky  # type: ignore[method-assign]
    w, fake = worker([rec(0, 0), rec(1, 1)], orders, per_poll=1, batch_size=1)
    stop = Stop()
    drain(w, guard=stop)
    assert stop.pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 0.5]
    assert w.stats.retries == 8 and w.stats.created == 2
    assert fake.seeks == [(WEB0, 0)] * 7 + [(WEB0, 1)]
    assert [c[0] for c in fake.commits] == [
        {WEB0: OffsetAndMetadata(1, "", -1)},
        {WEB0: OffsetAndMetadata(2, "", -1)},
    ]


# --- batching -----------------------------------------------------------------------------------


def test_a_batch_fills_up_to_its_size_asking_only_for_what_is_missing():
    w, fake = worker([rec(n, n) for n in range(30)], per_poll=3, batch_wait_ms=5000)
    started = time.monotonic()
    batch = w.collect(threading.Event())
    assert [r.offset for r in batch] == list(range(10))
    assert time.monotonic() - started < 2  # full: does not wait out batch_wait_ms
    assert [m for _t, m in fake.polls] == [10, 7, 4, 1]
    assert fake.polls[0][0] == 500  # nothing yet: a plain poll
    assert all(0 < t <= 5000 for t, _m in fake.polls[1:])  # then only what is left of the wait


def test_a_batch_waits_at_most_batch_wait_ms_for_more_records():
    w, fake = worker([rec(0, 0)], batch_wait_ms=60)
    started = time.monotonic()
    batch = w.collect(threading.Event())
    took = time.monotonic() - started
    assert [r.offset for r in batch] == [0]
    assert 0.05 <= took < 1.0
    assert len(fake.polls) >= 2 and all(0 <= t <= 60 for t, _m in fake.polls[1:])


def test_nothing_to_read_or_stopping_gives_an_empty_batch():
    w, fake = worker([])
    assert w.collect(threading.Event()) == [] and len(fake.polls) == 1
    stop = threading.Event()
    stop.set()
    w2, fake2 = worker([rec(0, 0)])
    assert w2.collect(stop) == [] and fake2.polls == []


def test_a_rebalance_while_collecting_drops_the_buffer_and_rereads_from_the_commit():
    records = [rec(n, n) for n in range(6)]
    fake = FakeConsumer(records, per_poll=2)
    w = OrderConsumer(
        FakeOrders(),
        settings(batch_size=4, batch_wait_ms=5000),
        consumer=fake,
        producer=FakeProducer(),
    )
    fake.committed_offsets[WEB0] = 0

    def on_poll(n):
        if n == 2:  # the group rebalanced while the second poll waited
            w.listener.on_partitions_revoked([WEB0])
            w.listener.on_partitions_assigned([WEB0])

    fake.on_poll = on_poll
    batch = w.collect(threading.Event())
    assert w.listener.changes == 2 and w.stats.rebalances == 1
    assert fake.seeks == [(WEB0, 0)]
    assert [r.offset for r in batch] == [0, 1, 2, 3]  # none twice, none skipped
    assert [m for _t, m in fake.polls] == [4, 2, 4, 2]
    assert fake.polls[2][0] == 500  # the wait starts again with the new buffer
    fake.on_poll = lambda n: on_poll(n - 4)  # the group rebalances again during the next batch
    assert [r.offset for r in w.collect(threading.Event())] == [0, 1, 2, 3]  # still uncommitted
    assert w.stats.rebalances == 2


def test_partition_changes_are_each_counted():
    w, _ = worker([])
    w.listener.on_partitions_assigned([WEB0])
    w.listener.on_partitions_lost(None)
    w.listener.on_partitions_revoked([WEB0, WEB1])
    assert w.listener.changes == 3


# --- the loop -----------------------------------------------------------------------------------


def test_it_subscribes_once_to_every_channel_topic_with_its_listener():
    w, fake = worker([rec(0, 0)])
    drain(w)
    drain(w)
    assert fake.subscriptions == [(["orders.web", "orders.amazon"], w.listener)]


def test_idle_exit_waits_until_partitions_are_assigned():
    w, fake = worker([rec(0, 0)])
    fake.owned = set()
    t0 = time.monotonic()
    real_poll = fake.poll

    def poll(timeout_ms, max_records):
        if time.monotonic() - t0 < 0.3:
            return {}
        if not fake.owned:  # assigned now; the record arrives with the next poll
            fake.owned = {WEB0}
            return {}
        return real_poll(timeout_ms, max_records)

    fake.poll = poll  # type: ignore[method-assign]
    stats = drain(w, idle_exit_s=0.1)
    assert stats.created == 1


def test_stopping_finishes_and_commits_the_batch_in_flight():
    stop = threading.Event()
    w, fake = worker([rec(n, n) for n in range(3)], per_poll=3)
    fake.on_poll = lambda n: stop.set() if n == 1 else None
    started = time.monotonic()
    stats = w.run(stop, idle_exit_s=3.0)  # the idle exit only ends a consumer that ignores stop
    assert time.monotonic() - started < 2.0
    assert stats.created == 3
    assert [c[0] for c in fake.commits] == [{WEB0: OffsetAndMetadata(3, "", -1)}]


def test_without_an_idle_exit_it_keeps_polling_until_stopped():
    stop = threading.Event()
    w, fake = worker([rec(0, 0)])
    timer = threading.Timer(1.2, stop.set)
    started = time.monotonic()
    timer.start()
    stats = w.run(stop)
    assert time.monotonic() - started >= 1.2
    assert stats.created == 1 and len(fake.polls) > 2


def test_stopping_with_a_failed_batch_in_flight_rewinds_it_and_commits_nothing():
    stop = threading.Event()
    orders = FakeOrders(poison={"W-0": OperationalError("database is locked")})
    w, fake = worker([rec(n, n) for n in range(3)], orders)
    fake.on_poll = lambda n: stop.set()
    stats = w.run(stop, idle_exit_s=3.0)
    assert fake.seeks == [(WEB0, 0)] and fake.commits == []
    assert stats.retries == 1 and stats.batches == 0


def test_the_consumer_and_producer_default_to_clients_built_from_the_settings(monkeypatch):
    made = []
    monkeypatch.setattr(consumer_module, "make_consumer", lambda s: made.append(("c", s)) or "C")
    monkeypatch.setattr(
        consumer_module, "make_producer", lambda s, role: made.append((role, s)) or "P"
    )
    s = settings()
    w = OrderConsumer(FakeOrders(), s)
    assert (w.consumer, w.producer, made) == ("C", "P", [("c", s), ("dlq", s)])


def test_close_leaves_the_group_without_committing_and_always_closes_the_producer():
    producer = FakeProducer()
    w, fake = worker([], producer=producer, send_timeout_s=7)
    w.close()
    assert fake.closed == [{"autocommit": False}] and producer.closed == [7.0]
    fake.close = lambda **kw: (_ for _ in ()).throw(RuntimeError("gone"))  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        w.close()
    assert producer.closed == [7.0, 7.0]


# --- offsets ------------------------------------------------------------------------------------


def test_commit_sends_each_partitions_next_offset_with_the_request_timeout():
    w, fake = worker([], request_timeout_ms=1234)
    w.commit([rec(5, 0), rec(2, 0, partition=1), rec(6, 0), rec(3, 0, partition=1), rec(4, 0)])
    ((offsets, timeout),) = fake.commits
    assert offsets == {WEB0: OffsetAndMetadata(7, "", -1), WEB1: OffsetAndMetadata(4, "", -1)}
    assert timeout == 1234
    w2, fake2 = worker([], send_timeout_s=3)
    w2.commit([rec(0, 0)])
    assert fake2.commits[0][1] == 3000  # no request timeout set: the send timeout


def test_a_failed_commit_rewinds_every_owned_partition_to_what_the_broker_holds():
    w, fake = worker([], request_timeout_ms=1500)
    fake.owned = {WEB0, WEB1, TopicPartition("orders.amazon", 0)}
    fake.assignment = lambda: [WEB1, WEB0, TopicPartition("orders.amazon", 0)]  # unreadable first
    fake.committed_offsets = {WEB0: 17, WEB1: KafkaTimeoutError("coordinator moving")}
    fake.commit_error = KafkaError("rebalance in progress")
    w.commit([rec(20, 0)])
    assert w.stats.commit_failures == 1 and w.stats.last_commit_at is None
    assert fake.seeks == [(WEB0, 17)]  # WEB1 unreadable: left to the next poll or rebalance
    assert fake.to_beginning == [TopicPartition("orders.amazon", 0)] and fake.to_end == []
    assert fake.committed_timeouts == [1500, 1500, 1500]
    w.commit([rec(21, 0)])
    assert w.stats.commit_failures == 2


def test_without_a_committed_offset_latest_means_the_end():
    w, fake = worker([], auto_offset_reset="latest")
    w.rewind_to_committed()
    assert fake.to_end == [WEB0] and fake.to_beginning == [] and fake.seeks == []


def test_rewind_goes_to_each_owned_partitions_first_offset_only():
    w, fake = worker([])
    fake.owned = {WEB0}
    w.rewind([rec(9, 0), rec(7, 0), rec(8, 0), rec(3, 0, partition=1)])
    assert fake.seeks == [(WEB0, 7)]
