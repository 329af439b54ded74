"""`crossdock relay`: every stored event, in notification order, to `logistics.events`.

The relay reads the notification log after its position (a row in `kafka_relay_tracking`, in
the same database as the events, like the projections' tracking), publishes the events with an
idempotent producer (acks=all), waits until the broker acknowledged every record, and only then
saves the new position. A crash between publishing and saving re-publishes that step's events:
at-least-once, with a stable `event_id` so subscribers de-duplicate.

Records are keyed by the aggregate's id (for Order events: the order id), so all events of one
order land on one partition in version order. On PostgreSQL a session advisory lock keeps one
active relay per store and relay name; a second process waits as a hot standby.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid5

from adapters.kafka.clients import dumps, jsonable, make_producer, send_and_confirm
from adapters.kafka.config import KafkaSettings
from projections.db import ViewDB

log = logging.getLogger(__name__)

# Namespace for integration event ids: uuid5(namespace, "<originator id>:<version>").
EVENT_ID_NAMESPACE = UUID("6f1d3c52-52a4-4c1e-9a4e-0c5d1d6b9e37")

TRACKING_DDL = """CREATE TABLE IF NOT EXISTS kafka_relay_tracking (
    name TEXT PRIMARY KEY, position BIGINT NOT NULL)"""

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def event_id(originator_id: UUID | str, version: int) -> str:
    return str(uuid5(EVENT_ID_NAMESPACE, f"{originator_id}:{version}"))


def integration_event(notification: Any, event: Any) -> dict[str, Any]:
    """The published JSON: a stable id, the type, the order it belongs to and the event data."""
    topic = notification.topic  # e.g. "domains.orders.model:Order.Received"
    qualname = topic.split(":", 1)[-1]
    aggregate_type, _, _name = qualname.rpartition(".")
    aggregate_type = aggregate_type or qualname
    originator_id = str(event.originator_id)
    payload = {k: jsonable(v) for k, v in vars(event).items() if k not in _ENVELOPE}
    if aggregate_type == "Order":
        order_id: str | None = originator_id
    else:  # e.g. an inventory reservation names the order it is for
        order_id = str(payload["order_id"]) if isinstance(payload.get("order_id"), str) else None
    return {
        "event_id": event_id(originator_id, event.originator_version),
        "type": qualname,
        "topic": topic,
        "aggregate_type": aggregate_type,
        "order_id": order_id,
        "originator_id": originator_id,
        "version": event.originator_version,
        "notification_id": notification.id,
        "time": jsonable(event.timestamp),
        "payload": payload,
    }


def to_message(
    settings: KafkaSettings, notification: Any, event: Any
) -> tuple[str, bytes, bytes, list[tuple[str, bytes]]]:
    body = integration_event(notification, event)
    headers = [
        ("event_id", body["event_id"].encode()),
        ("event_type", body["type"].encode()),
        ("aggregate_type", body["aggregate_type"].encode()),
        ("content-type", b"application/json"),
    ]
    return settings.events_topic, body["originator_id"].encode(), dumps(body), headers


@dataclass
class RelayStats:
    steps: int = 0
    published: int = 0
    failures: int = 0
    position: int = 0
    started: float = field(default_factory=time.monotonic)


class RelayLock:
    """On PostgreSQL: a session advisory lock named after the schema and relay, held on its own
    connection for as long as the relay runs (released by the server if the process dies)."""

    def __init__(self, env: Mapping[str, str], name: str) -> None:
        self.env = dict(env)
        self.name = name
        self._conn: Any = None
        digest = hashlib.sha256(
            f"crossdock-relay:{env.get('POSTGRES_SCHEMA', '')}:{name}".encode()
        ).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)

    @property
    def applies(self) -> bool:
        return self.env.get("PERSISTENCE_MODULE", "").endswith("postgres")

    def acquire(self, stop: threading.Event, poll_s: float = 1.0) -> bool:
        if not self.applies:
            return True
        import psycopg

        self._conn = psycopg.connect(
            dbname=self.env["POSTGRES_DBNAME"],
            host=self.env.get("POSTGRES_HOST", "127.0.0.1"),
            port=int(self.env.get("POSTGRES_PORT", "5432")),
            user=self.env.get("POSTGRES_USER"),
            password=self.env.get("POSTGRES_PASSWORD"),
            autocommit=True,
        )
        waiting_logged = False
        while not stop.is_set():
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if row and row[0]:
                return True
            if not waiting_logged:
                log.info("another relay %r is active; standing by", self.name)
                waiting_logged = True
            stop.wait(poll_s)
        return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # closing the session releases the lock
            finally:
                self._conn = None


class EventRelay:
    def __init__(
        self,
        app: Any,
        settings: KafkaSettings,
        db: ViewDB,
        *,
        producer: Any | None = None,
    ) -> None:
        """`db` is the events' database (`ViewDB(store_env(...))`): the position lives there."""
        self.app = app
        self.settings = settings
        self.db = db
        self.producer = producer if producer is not None else make_producer(settings, "relay")
        self.name = settings.relay_name
        self.stats = RelayStats()
        self.db.execute(TRACKING_DDL)

    # ------------------------------------------------------------------ position
    def position(self) -> int:
        rows = self.db.query(
            "SELECT position FROM kafka_relay_tracking WHERE name = ?", (self.name,)
        )
        return int(rows[0]["position"]) if rows else 0

    def save_position(self, position: int) -> None:
        self.db.execute(
            "INSERT INTO kafka_relay_tracking (name, position) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (self.name, position),
        )

    # ------------------------------------------------------------------ relaying
    def run_once(self) -> int:
        """Publish the next step of the log; returns how many events were published."""
        start = self.position()
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.settings.relay_batch_size, inclusive_of_start=False
        )
        if not notifications:
            self.stats.position = start
            return 0
        mapper = self.app.store.mapper
        messages = [to_message(self.settings, n, mapper.to_domain_event(n)) for n in notifications]
        sent = send_and_confirm(self.producer, messages, self.settings.send_timeout_s)
        # Every record is acknowledged by the broker: only now move the position.
        self.save_position(notifications[-1].id)
        self.stats.steps += 1
        self.stats.published += sent
        self.stats.position = notifications[-1].id
        return sent

    def run(self, stop: threading.Event | None = None, idle_exit_s: float = 0.0) -> RelayStats:
        stop = stop or threading.Event()
        interval = self.settings.relay_interval_ms / 1000
        last_work = time.monotonic()
        backoff = 0.5
        while not stop.is_set():
            try:
                published = self.run_once()
            except Exception as exc:
                self.stats.failures += 1
                log.warning("relay step failed (%s); retrying in %.1fs", exc, backoff)
                self._renew_producer()
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            backoff = 0.5
            if published:
                last_work = time.monotonic()
                continue
            if idle_exit_s and time.monotonic() - last_work > idle_exit_s:
                log.info(
                    "idle for %.1fs at position %d; stopping", idle_exit_s, self.stats.position
                )
                break
            stop.wait(interval)
        return self.stats

    def _renew_producer(self) -> None:
        try:
            self.producer.close(timeout=1)
        except Exception:  # noqa: S110 - closing a broken producer, best effort
            pass
        self.producer = make_producer(self.settings, "relay")

    def close(self) -> None:
        try:
            self.producer.close(timeout=self.settings.send_timeout_s)
        finally:
            self.db.close()
