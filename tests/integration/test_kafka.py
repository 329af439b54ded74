"""Kafka in and out against a real Kafka-protocol broker (tansu, tests/kafka_broker.py) with
PostgreSQL as the event store.

1. Ingest from every channel's topic; bad records land in `orders.<channel>.dlq` with the reason
   in headers; redelivered records never create a second order.
2. kill -9 the consumer (a subprocess) at random points and restart it: exactly N orders, none
   lost, none doubled. The same for the relay: every event reaches `logistics.events` at least
   once, and de-duplicating by event id gives exactly the notification log.
3. Two consumer processes in one group share the partitions and still ingest each order once.

Sizes: CROSSDOCK_KAFKA_CRASH_ORDERS orders for the consumer crash test (default 5000, the
issue's figure); CROSSDOCK_KAFKA_RELAY_ORDERS orders (about 4 events each) for the relay crash
test (default 2000, ~8,000 events: restarts, not volume, are what it exercises, and it keeps the
file at about two minutes); the two-consumer test uses min(2000, crash orders).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.kafka.clients import ensure_topics, make_producer, send_and_confirm
from adapters.kafka.config import KafkaSettings
from adapters.kafka.consumer import OrderConsumer
from adapters.kafka.relay import event_id
from domains.orders.intake import Intake
from domains.orders.model import Order
from domains.warehouse.model import Inventory
from tests.conftest import drop_schema, make_app, pg_connect, pg_env
from tests.kafka_broker import kafka_broker, kafka_env

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CHANNELS = ("amazon", "shopee", "shopify", "web")
CRASH_ORDERS = int(os.environ.get("CROSSDOCK_KAFKA_CRASH_ORDERS", "5000"))
RELAY_ORDERS = int(os.environ.get("CROSSDOCK_KAFKA_RELAY_ORDERS", "2000"))
ORDER_RECEIVED = "domains.orders.model:Order.Received"
RESERVED = "domains.warehouse.model:Inventory.Reserved"


# --------------------------------------------------------------------------- helpers
STRANGER = {"name": "Bo Other", "email": "bo@example.org", "phone": None}


def web_payload(external_id: str, sku: str = "SKU-TEA-001", quantity: int = 1) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "placed_at": "2026-11-20T10:00:00+00:00",
        "currency": "USD",
        "customer": {"name": "Ada Buyer", "email": "ada@example.com", "phone": None},
        "ship_to": {
            "name": "Ada Buyer",
            "line1": "1 Main St",
            "line2": None,
            "city": "Ontario",
            "region": "CA",
            "postcode": "91761",
            "country": "US",
        },
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "12.50"}],
        "dealer_id": None,
    }


def settings_for(broker: Any, **extra: str) -> KafkaSettings:
    return KafkaSettings.from_env(kafka_env(broker, **extra))


def publish(settings: KafkaSettings, records: list[tuple[str, bytes | None, bytes | None]]) -> None:
    producer = make_producer(settings, "test")
    try:
        send_and_confirm(producer, [(t, k, v, []) for t, k, v in records], 60)  # type: ignore[misc]
    finally:
        producer.close()


def read_topic(settings: KafkaSettings, topic: str, timeout_s: float = 60) -> list[Any]:
    """Every record of a topic, from the beginning to the end offsets as of now."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=list(settings.bootstrap_servers), enable_auto_commit=False, group_id=None
    )
    try:
        partitions = [
            TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for batch in consumer.poll(timeout_ms=500, max_records=5000).values():
                out.extend(batch)
        return out
    finally:
        consumer.close()


def count_events(env: dict[str, str], topic: str) -> tuple[int, int]:
    """(events, distinct aggregates) of one event topic in the store."""
    with pg_connect(env, in_schema=True) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT originator_id) FROM crossdock_events WHERE topic = %s",
            (topic,),
        ).fetchone()
    return int(row[0]), int(row[1])


def received_ids(env: dict[str, str]) -> dict[str, int]:
    """Order id -> how many Received events it has (must be exactly one each)."""
    with pg_connect(env, in_schema=True) as conn:
        rows = conn.execute(
            "SELECT originator_id, count(*) FROM crossdock_events WHERE topic = %s "
            "GROUP BY originator_id",
            (ORDER_RECEIVED,),
        ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def relay_position(env: dict[str, str]) -> int:
    with pg_connect(env, in_schema=True) as conn:
        exists = conn.execute("SELECT to_regclass('kafka_relay_tracking')").fetchone()[0]
        if exists is None:
            return 0
        row = conn.execute("SELECT max(position) FROM kafka_relay_tracking").fetchone()
    return int(row[0] or 0)


def worker_env(store: dict[str, str], kafka: dict[str, str]) -> dict[str, str]:
    """The subprocess's environment: ours without store/Kafka settings, then the test's."""
    prefixes = ("CROSSDOCK_", "KAFKA_", "POSTGRES_", "PERSISTENCE_", "SQLITE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(store)
    env.update(kafka)
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_worker(
    command: str, env: dict[str, str], log: Path, *args: str
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        out.write(f"\n=== start {command} {' '.join(args)} ===\n".encode())
        return subprocess.Popen(
            [sys.executable, "-m", "scripts.kafka_commands", command, *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_exit(proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    try:
        rc = proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"worker did not finish in {timeout_s}s; log:\n{log.read_text()[-4000:]}")
    assert rc == 0, f"worker exited with {rc}; log:\n{log.read_text()[-4000:]}"


def kill_points(rng: random.Random, total: int, kills: int = 4) -> list[int]:
    """Random progress marks spread over the stream (10%..90%), one kill at each."""
    return sorted(rng.sample(range(total // 10, total * 9 // 10), kills))


def kill_at(
    proc: subprocess.Popen[bytes],
    progress: Any,
    mark: int,
    rng: random.Random,
    log: Path,
    timeout_s: float = 90,
) -> int:
    """Wait until the worker's progress reaches `mark`, then kill -9 it at a random moment
    within the next 50 ms (mid-batch, between commits, wherever it happens to be)."""
    deadline = time.monotonic() + timeout_s
    while progress() < mark:
        if proc.poll() is not None:
            pytest.fail(
                f"worker died on its own ({proc.returncode}); log:\n{log.read_text()[-4000:]}"
            )
        assert time.monotonic() < deadline, (
            f"no progress in {timeout_s}s:\n{log.read_text()[-4000:]}"
        )
        time.sleep(0.02)
    time.sleep(rng.uniform(0, 0.05))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return progress()


class SimulatedCrash(BaseException):
    pass


class CrashBeforeOffsetCommit(OrderConsumer):
    def commit(self, records: list[Any]) -> None:
        raise SimulatedCrash


@pytest.fixture
def store() -> Any:
    env = pg_env()
    yield env
    drop_schema(env)


@pytest.fixture
def broker() -> Any:
    with kafka_broker() as b:
        yield b


# --------------------------------------------------------------------------- 1. ingest + DLQ
def test_ingest_dead_letters_with_reasons_and_redelivery_is_idempotent(store, broker):
    app = make_app(store)
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", 100, "r1")
    settings = settings_for(broker, KAFKA_GROUP_ID="intake-a", KAFKA_BATCH_SIZE="50")
    ensure_topics(
        settings,
        {settings.orders_topic(c): 2 for c in CHANNELS}
        | {settings.dlq_topic(c): 1 for c in CHANNELS},
    )

    good = [
        (settings.orders_topic(c), c.encode(), (FIXTURES / f"{c}_order.json").read_bytes())
        for c in CHANNELS
    ]
    good += [
        (
            settings.orders_topic("web"),
            f"W-{i}".encode(),
            json.dumps(web_payload(f"W-{i}")).encode(),
        )
        for i in range(20)
    ]
    bad = {
        "not-json": (settings.orders_topic("web"), b"bad-1", b"{not json"),
        "empty": (settings.orders_topic("web"), b"bad-2", None),
        "payload": (settings.orders_topic("amazon"), b"bad-3", b'{"Order": {"AmazonOrderId": 7}}'),
        "validation": (
            settings.orders_topic("web"),
            b"bad-4",
            json.dumps(web_payload("W-BAD", sku="SKU-NOPE")).encode(),
        ),
        "conflict": (  # another buyer's order under W-3: an identity clash
            settings.orders_topic("web"),
            b"W-3",
            json.dumps(web_payload("W-3") | {"customer": STRANGER}).encode(),
        ),
    }
    # W-5 again with one more unit: an update from the channel (held for an operator, as the
    # order is allocated), not a dead letter.
    update = (
        settings.orders_topic("web"),
        b"W-5",
        json.dumps(web_payload("W-5", quantity=2)).encode(),
    )
    publish(settings, good)
    publish(settings, [*bad.values(), update])  # after the good ones: W-3 and W-5 exist

    # A consumer that dies after the database commit, before committing the offsets.
    crashing = CrashBeforeOffsetCommit(app.orders, settings)
    with pytest.raises(SimulatedCrash):
        crashing.run(idle_exit_s=1.5)
    crashing.close()
    assert count_events(store, ORDER_RECEIVED) == (24, 24)
    stored = app.max_notification_id()

    # Its successor in the group gets the same records again: no second order, no new event.
    worker = OrderConsumer(app.orders, settings)
    try:
        stats = worker.run(idle_exit_s=1.5)
    finally:
        worker.close()
    assert (stats.records, stats.created, stats.existing, stats.dead) == (30, 0, 25, 5)
    assert app.max_notification_id() == stored
    assert count_events(store, ORDER_RECEIVED) == (24, 24)
    assert app.orders.get_order(Order.create_id("web", "W-7")).status == "allocated"
    (entry,) = app.orders.get_order(Order.create_id("web", "W-5")).channel_updates
    # The web payload states no amounts, so they are derived from the lines and change with
    # them (2 units instead of 1): the update also revises the amounts. Amounts that price held
    # lines are held with them (domains/orders/updates.py `decide(..., held=...)`), so both
    # changes stay open for an operator: the order's total does not count the unheld unit.
    assert [(c["kind"], c["status"]) for c in entry["changes"]] == [
        ("items_added", "open"),
        ("amounts_revised", "open"),
    ]
    assert app.repository.get(Inventory.create_id("LAX", "SKU-TEA-001")).reserved == 20

    # Dead letters: original key and value, the reason and where the record came from.
    dead = read_topic(settings, settings.dlq_topic("web")) + read_topic(
        settings, settings.dlq_topic("amazon")
    )
    by_key = {r.key: r for r in dead}
    # Dead letters are at-least-once too: the crashed consumer had already sent its five.
    assert len(dead) == 10 and set(by_key) == {k for _t, k, _v in bad.values()}
    headers = {k: {h: v.decode() for h, v in r.headers} for k, r in by_key.items()}
    assert headers[b"bad-1"]["x-dlq-reason"] == "invalid_record"
    assert "not valid JSON" in headers[b"bad-1"]["x-dlq-detail"]
    assert headers[b"bad-2"]["x-dlq-reason"] == "invalid_record"
    assert headers[b"bad-3"]["x-dlq-reason"] == "payload_error"
    assert by_key[b"bad-3"].topic == "orders.amazon.dlq"
    assert {e["loc"] for e in json.loads(headers[b"bad-3"]["x-dlq-detail"])} >= {"AmazonOrderId"}
    assert headers[b"bad-4"]["x-dlq-reason"] == "validation_failed"
    assert json.loads(headers[b"bad-4"]["x-dlq-detail"])[0]["loc"] == "lines[0].sku"
    conflict = headers[b"W-3"]
    assert conflict["x-dlq-reason"] == "duplicate_conflict"
    assert [d["path"] for d in json.loads(conflict["x-dlq-detail"])["differences"]] == [
        "customer.email",
        "customer.name",
    ]
    assert by_key[b"W-3"].value == bad["conflict"][2]
    for r in dead:
        h = headers[r.key]
        assert (
            h["x-dlq-original-topic"].startswith("orders.")
            and h["x-dlq-consumer-group"] == "intake-a"
        )
        assert int(h["x-dlq-original-partition"]) in (0, 1) and int(h["x-dlq-original-offset"]) >= 0

    # Offsets were committed: the same group finds nothing more to do.
    before = app.max_notification_id()
    again = OrderConsumer(app.orders, settings)
    try:
        assert again.run(idle_exit_s=1.0).records == 0
    finally:
        again.close()

    # Everything again (a new group reads from the start): no second order, no new event.
    replay = OrderConsumer(
        app.orders, settings_for(broker, KAFKA_GROUP_ID="intake-b", KAFKA_BATCH_SIZE="7")
    )
    try:
        stats = replay.run(idle_exit_s=1.5)
    finally:
        replay.close()
    assert (stats.records, stats.created, stats.existing, stats.dead) == (30, 0, 25, 5)
    assert app.max_notification_id() == before
    assert count_events(store, ORDER_RECEIVED) == (24, 24)
    app.close()


# --------------------------------------------------------------------------- 2. crashes
def test_consumer_killed_at_random_points_ingests_each_order_exactly_once(store, broker, tmp_path):
    n = CRASH_ORDERS
    app = make_app(store)
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", n + 10, "r1")
    app.close()
    kafka = kafka_env(
        broker,
        KAFKA_CHANNELS="web",
        KAFKA_GROUP_ID="crash",
        KAFKA_BATCH_SIZE="100",
        KAFKA_BATCH_WAIT_MS="100",
    )
    settings = KafkaSettings.from_env(kafka)
    ensure_topics(settings, {"orders.web": 2, "orders.web.dlq": 1})
    external = [f"K-{i:05d}" for i in range(n)]
    publish(
        settings,
        [("orders.web", e.encode(), json.dumps(web_payload(e)).encode()) for e in external],
    )

    env = worker_env(store, kafka)
    log = tmp_path / "consume.log"
    rng = random.Random(7)
    kills = [
        kill_at(
            start_worker("consume", env, log),
            lambda: count_events(store, ORDER_RECEIVED)[0],
            mark,
            rng,
            log,
        )
        for mark in kill_points(rng, n)
    ]
    assert kills[-1] < n, f"the last kill came after the work was done: {kills}"
    wait_exit(start_worker("consume", env, log, "--exit-when-idle", "3"), log, 180)

    counts = received_ids(store)
    expected = {str(Order.create_id("web", e)) for e in external}
    assert set(counts) == expected, "orders lost or unknown orders stored"
    assert set(counts.values()) == {1}, "an order was received twice"
    assert count_events(store, RESERVED) == (n, 1)  # each order reserved its unit exactly once
    check = make_app(store)
    inv = check.repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
    assert (inv.reserved, len(inv.reservations)) == (n, n)
    check.close()


def test_relay_killed_at_random_points_publishes_every_event_at_least_once(store, broker, tmp_path):
    n = RELAY_ORDERS
    app = make_app(store)
    app.warehouse.receive_stock("LAX", "SKU-TEA-001", n + 10, "r1")
    for start in range(0, n, 250):
        items = [
            Intake("web", p, p)
            for p in (web_payload(f"R-{i:05d}") for i in range(start, min(n, start + 250)))
        ]
        outcomes, _ = app.orders.intake_batch(items)
        assert all(o.created for o in outcomes)
    log_ids: list[str] = []
    keys: dict[str, str] = {}
    position = 0
    while notifications := app.recorder.select_notifications(
        position, 5000, inclusive_of_start=False
    ):
        for note in notifications:
            log_ids.append(event_id(note.originator_id, note.originator_version))
            keys[log_ids[-1]] = str(note.originator_id)
        position = notifications[-1].id
    last = app.max_notification_id()
    app.close()

    kafka = kafka_env(broker, KAFKA_RELAY_BATCH_SIZE="250")
    settings = KafkaSettings.from_env(kafka)
    ensure_topics(settings, {settings.events_topic: 3})
    env = worker_env(store, kafka)
    log = tmp_path / "relay.log"
    rng = random.Random(11)
    kills = [
        kill_at(start_worker("relay", env, log), lambda: relay_position(store), mark, rng, log)
        for mark in kill_points(rng, last)
    ]
    assert kills[-1] < last, f"the last kill came after the work was done: {kills}"
    wait_exit(start_worker("relay", env, log, "--exit-when-idle", "2"), log, 180)
    assert relay_position(store) == last

    records = read_topic(settings, settings.events_topic)
    bodies = [json.loads(r.value) for r in records]
    first: dict[str, dict[str, Any]] = {}
    for r, body in zip(records, bodies, strict=True):
        assert r.key.decode() == body["originator_id"] == keys[body["event_id"]]
        if body["event_id"] in first:
            assert body == first[body["event_id"]], "a re-published event changed"
        first.setdefault(body["event_id"], body)
    assert len(records) >= len(log_ids)
    assert sorted(first) == sorted(log_ids), "de-duplicated topic differs from the log"
    # Keyed by aggregate: one partition per aggregate, versions in order of first appearance.
    # (read_topic returns each partition's records in offset order.)
    partition_of: dict[str, int] = {}
    seen_version: dict[str, int] = {}
    for r, body in zip(records, bodies, strict=True):
        aggregate = body["originator_id"]
        assert partition_of.setdefault(aggregate, r.partition) == r.partition
        if body["version"] > seen_version.get(aggregate, 0):
            assert body["version"] == seen_version.get(aggregate, 0) + 1, "a version skipped ahead"
            seen_version[aggregate] = body["version"]
    order = next(b for b in bodies if b["type"] == "Order.Received")
    assert order["order_id"] == order["originator_id"] and order["aggregate_type"] == "Order"
    assert order["payload"]["channel"] == "web" and order["time"].endswith("+00:00")
    reserved = next(b for b in bodies if b["type"] == "Inventory.Reserved")
    assert (
        reserved["aggregate_type"] == "Inventory"
        and reserved["order_id"] == reserved["payload"]["order_id"]
    )


# --------------------------------------------------------------------------- 3. two consumers
def test_two_consumer_processes_share_partitions_and_ingest_each_order_once(
    store, broker, tmp_path
):
    n = min(CRASH_ORDERS, 2000)
    skus = ("SKU-TEA-001", "SKU-PHONE-CASE")
    app = make_app(store)
    for sku in skus:
        app.warehouse.receive_stock("LAX", sku, n, "r1")
    app.close()
    kafka = kafka_env(
        broker,
        KAFKA_CHANNELS="web",
        KAFKA_GROUP_ID="pair",
        KAFKA_BATCH_SIZE="100",
        KAFKA_BATCH_WAIT_MS="100",
    )
    settings = KafkaSettings.from_env(kafka)
    ensure_topics(settings, {"orders.web": 2, "orders.web.dlq": 1})
    external = [f"P-{i:05d}" for i in range(n)]
    # One SKU per partition: two writers reserving on the same (warehouse, SKU) inventory take
    # turns (optimistic concurrency, tested in the spine scenarios); here they run side by side.
    # The first 100 records go twice (a connector retrying): still one order each.
    producer = make_producer(settings, "test")
    futures = [
        producer.send(
            "orders.web",
            key=e.encode(),
            partition=i % 2,
            value=json.dumps(web_payload(e, sku=skus[i % 2])).encode(),
        )
        for i, e in [*enumerate(external), *enumerate(external[:100])]
    ]
    producer.flush()
    for f in futures:
        f.get(timeout=30)
    producer.close()

    env = worker_env(store, kafka)
    logs = [tmp_path / "consume-1.log", tmp_path / "consume-2.log"]
    procs = [start_worker("consume", env, log, "--exit-when-idle", "3") for log in logs]
    for proc, log in zip(procs, logs, strict=True):
        wait_exit(proc, log, 180)

    counts = received_ids(store)
    assert set(counts) == {str(Order.create_id("web", e)) for e in external}
    assert set(counts.values()) == {1}
    assert count_events(store, RESERVED) == (n, 2)
    records = []
    for log in logs:
        text = log.read_text()
        assert "partitions assigned: [\"TopicPartition(topic='orders.web'" in text, text[-3000:]
        done = [line for line in text.splitlines() if "stopped:" in line][-1]
        records.append(int(done.split("batches, ")[1].split(" records")[0]))
    assert all(r > 0 for r in records), f"one consumer got no work: {records}"
    assert sum(records) >= n + 100


# --------------------------------------------------------------------------- settings
def test_settings_come_from_the_environment_with_safe_client_options():
    s = KafkaSettings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": "k1:9092, k2:9092",
            "KAFKA_GROUP_ID": "plain",
            "CROSSDOCK_KAFKA_GROUP_ID": "prefixed-wins",
            "KAFKA_CHANNELS": "web,amazon",
            "KAFKA_BATCH_SIZE": "50",
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        }
    )
    assert s.bootstrap_servers == ("k1:9092", "k2:9092") and s.group_id == "prefixed-wins"
    assert (
        s.orders_topics == ["orders.web", "orders.amazon"]
        and s.dlq_topic("web") == "orders.web.dlq"
    )
    assert s.channel_of("orders.amazon") == "amazon" and s.channel_of("orders.shopee") is None
    consumer = s.consumer_config()
    assert consumer["enable_auto_commit"] is False and consumer["max_poll_records"] == 50
    assert consumer["session_timeout_ms"] == 6000 and "max_poll_interval_ms" not in consumer
    assert consumer["security_protocol"] == "SASL_SSL"
    producer = s.producer_config("relay")
    assert producer["enable_idempotence"] is True and producer["acks"] == "all"
    assert KafkaSettings.from_env({}, batch_size=7).batch_size == 7
    with pytest.raises(ValueError, match="KAFKA_BATCH_SIZE"):
        KafkaSettings.from_env({"KAFKA_BATCH_SIZE": "0"})
    with pytest.raises(ValueError, match="HEARTBEAT"):
        KafkaSettings.from_env(
            {"KAFKA_SESSION_TIMEOUT_MS": "1000", "KAFKA_HEARTBEAT_INTERVAL_MS": "1000"}
        )
