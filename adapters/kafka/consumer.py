"""`crossdock consume`: marketplace orders from `orders.<channel>` into the event store.

At-least-once delivery from Kafka, made exactly-once in effect by idempotent intake:

1. collect a batch (up to `batch_size` records or `batch_wait_ms`);
2. decode and map every record; records that cannot be parsed go to the dead-letter list;
3. ONE event-store transaction for the whole batch (`OrderUseCases.intake_batch`, group commit);
   items refused by validation, or conflicting with a stored order, go to the dead-letter list;
4. publish the dead letters to `orders.<channel>.dlq` and wait for the broker's acks;
5. commit the batch's offsets (auto-commit is off).

A crash anywhere before 5 redelivers the batch: the orders already stored come back as
"already have it" (same channel and external id, same payload) and are not created twice.
After a rebalance, anything buffered but not committed is dropped and each partition is
rewound to its committed offset, so nothing is skipped; whatever the new owner re-reads is
again idempotent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from adapters.kafka.clients import jsonable, make_consumer, make_producer, send_and_confirm
from adapters.kafka.config import KafkaSettings
from adapters.orders.channels import PayloadError, map_payload
from domains.common import DomainError, InvalidTransition, ValidationFailed
from domains.orders.intake import DuplicateConflict, Intake, IntakeOutcome

log = logging.getLogger(__name__)

HEADER_DETAIL_LIMIT = 8000  # bytes of error detail kept in a dead letter's headers

# Reasons a record is dead-lettered (header `x-dlq-reason`).
INVALID_RECORD = "invalid_record"  # empty, not UTF-8, not JSON, or a topic with no channel
PAYLOAD_ERROR = "payload_error"  # the channel mapper refused the payload's structure
VALIDATION_FAILED = "validation_failed"  # unknown SKU, country, currency, dealer...
DUPLICATE_CONFLICT = "duplicate_conflict"  # the external id exists with a different payload
PROCESSING_ERROR = "processing_error"  # this one record made the intake fail


def is_retryable(exc: BaseException) -> bool:
    """Failures of the infrastructure (database down, conflicts that kept coming, timeouts):
    the batch is retried from its first offset. Anything else is about one record's content."""
    from eventsourcing.persistence import DataError, PersistenceError

    if isinstance(exc, DataError):
        return False
    if isinstance(exc, (PersistenceError, InvalidTransition, ConnectionError, TimeoutError)):
        return True
    from kafka.errors import KafkaError

    if isinstance(exc, KafkaError):  # e.g. the dead-letter topic could not be written
        return True
    try:
        import psycopg

        if isinstance(exc, psycopg.Error) and not isinstance(exc, psycopg.DataError):
            return True
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    return False


@dataclass
class DeadLetter:
    record: Any
    reason: str
    detail: str


@dataclass
class BatchResult:
    records: int = 0
    created: int = 0
    existing: int = 0
    dead: int = 0
    seconds: float = 0.0


@dataclass
class ConsumeStats:
    batches: int = 0
    records: int = 0
    created: int = 0
    existing: int = 0
    dead: int = 0
    retries: int = 0
    rebalances: int = 0
    commit_failures: int = 0
    started: float = field(default_factory=time.monotonic)
    first_record_at: float | None = None
    last_commit_at: float | None = None

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        self.records += result.records
        self.created += result.created
        self.existing += result.existing
        self.dead += result.dead


class _RebalanceListener:
    """Counts assignment changes. kafka-python runs these callbacks on its IO thread while
    our thread waits in poll(); the poll loop compares the counter before and after."""

    def __init__(self) -> None:
        self.changes = 0
        self._lock = threading.Lock()

    def _bump(self, what: str, partitions: Any) -> None:
        with self._lock:
            self.changes += 1
        log.info("partitions %s: %s", what, sorted(str(tp) for tp in partitions or ()))

    def on_partitions_revoked(self, revoked: Any) -> None:
        self._bump("revoked", revoked)

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._bump("assigned", assigned)

    def on_partitions_lost(self, lost: Any) -> None:
        self._bump("lost", lost)


def _listener_class() -> type:
    from kafka import ConsumerRebalanceListener

    class Listener(_RebalanceListener, ConsumerRebalanceListener):
        pass

    return Listener


class BatchIntake(Protocol):
    """What the consumer needs of the order use cases (domains/orders/application.py)."""

    def intake_batch(self, items: list[Intake]) -> tuple[list[IntakeOutcome], int]: ...


class OrderConsumer:
    """One member of the intake consumer group. `run()` until `stop` is set (or idle)."""

    def __init__(
        self,
        orders: BatchIntake,
        settings: KafkaSettings,
        *,
        consumer: Any | None = None,
        producer: Any | None = None,
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> None:
        self.orders = orders
        self.settings = settings
        self.consumer = consumer if consumer is not None else make_consumer(settings)
        self.producer = producer if producer is not None else make_producer(settings, "dlq")
        self.listener = _listener_class()()
        self.stats = ConsumeStats()
        self.on_batch = on_batch
        self._subscribed = False

    # ------------------------------------------------------------------ main loop
    def run(self, stop: threading.Event | None = None, idle_exit_s: float = 0.0) -> ConsumeStats:
        """Consume until `stop` is set, or after `idle_exit_s` seconds without a record (0 = never).

        Pipelined by one batch: while a worker thread writes batch N to the event store (most of
        that time is spent waiting for the database, with the GIL released), this thread polls
        and maps batch N+1. Every consumer call stays on this thread, and N's offsets are
        committed here only after N's transaction, before N+1 is handed over; so the delivery
        guarantees are those of a sequential poll-write-commit loop."""
        stop = stop or threading.Event()
        self.subscribe()
        last_record = time.monotonic()
        backoff = 0.5
        inflight: _InFlight | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake") as worker:
            try:
                while not stop.is_set():
                    records = self.collect(stop)
                    prepared = self.prepare(records) if records else None
                    if inflight is not None:
                        current, inflight = inflight, None
                        failed = self._finish(current)
                        if failed is not None:  # retry from the failed batch's first offsets
                            self.rewind(failed + records)
                            stop.wait(backoff)
                            backoff = min(backoff * 2, 10.0)
                            continue
                        backoff = 0.5
                    if prepared is None:
                        if not self.consumer.assignment():  # still joining: not idle yet
                            last_record = time.monotonic()
                        elif idle_exit_s and time.monotonic() - last_record > idle_exit_s:
                            log.info("idle for %.1fs; stopping", idle_exit_s)
                            break
                        continue
                    last_record = time.monotonic()
                    if self.stats.first_record_at is None:
                        self.stats.first_record_at = last_record
                    inflight = _InFlight(prepared, worker.submit(self.ingest, prepared))
            finally:
                if inflight is not None:  # stopping: finish (and commit) what is under way
                    failed = self._finish(inflight)
                    if failed is not None:
                        self.rewind(failed)
        return self.stats

    def _finish(self, inflight: _InFlight) -> list[Any] | None:
        """Waits for the batch's transaction, then commits its offsets. Returns the batch's
        records when it failed for a retryable reason (the caller rewinds), else None."""
        records = inflight.prepared.records
        try:
            result = inflight.future.result()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            self.stats.retries += 1
            if _is_kafka_error(exc):
                self._renew_producer()
            log.warning("batch of %d failed (%s); retrying", len(records), exc)
            return records
        self.commit(records)
        result.seconds = time.monotonic() - inflight.prepared.started
        self.stats.add(result)
        if self.on_batch is not None:
            self.on_batch(result)
        return None

    def subscribe(self) -> None:
        if not self._subscribed:
            self.consumer.subscribe(self.settings.orders_topics, listener=self.listener)
            self._subscribed = True

    def _renew_producer(self) -> None:
        """After a failed send an idempotent producer may be unusable: start a fresh one."""
        try:
            self.producer.close(timeout=1)
        except Exception:  # noqa: S110 - closing a broken producer, best effort
            pass
        self.producer = make_producer(self.settings, "dlq")

    def close(self) -> None:
        """Leave the group (the partitions move to the other members at once) and flush."""
        try:
            self.consumer.close(autocommit=False)
        finally:
            self.producer.close(timeout=self.settings.send_timeout_s)

    def collect(self, stop: threading.Event) -> list[Any]:
        """Up to `batch_size` records, waiting at most `batch_wait_ms` once the first arrived.
        A rebalance during collection drops the batch and rewinds to the committed offsets."""
        size = self.settings.batch_size
        wait_s = self.settings.batch_wait_ms / 1000
        records: list[Any] = []
        deadline: float | None = None
        changes = self.listener.changes
        while len(records) < size and not stop.is_set():
            if deadline is None:
                timeout_ms = 500
            else:
                timeout_ms = max(0, int((deadline - time.monotonic()) * 1000))
            polled = self.consumer.poll(timeout_ms=timeout_ms, max_records=size - len(records))
            if self.listener.changes != changes:
                # The assignment changed while records were buffered: positions may have been
                # reset under us. Drop the buffer and restart from what is committed.
                self.stats.rebalances += 1
                records.clear()
                deadline = None
                self.rewind_to_committed()
                changes = self.listener.changes
                continue
            for batch in polled.values():
                records.extend(batch)
            if not records:
                return records  # idle: let the caller check stop / idle-exit
            if deadline is None:
                deadline = time.monotonic() + wait_s
            if time.monotonic() >= deadline:
                break
        return records

    # ------------------------------------------------------------------ one batch
    def prepare(self, records: list[Any]) -> _Prepared:
        """Decode and map each record; the ones that cannot be mapped become dead letters."""
        prepared = _Prepared(records, time.monotonic())
        for record in records:
            try:
                prepared.items.append(self.to_intake(record))
                prepared.item_records.append(record)
            except _Refused as refused:
                prepared.dead.append(DeadLetter(record, refused.reason, refused.detail))
        return prepared

    def ingest(self, prepared: _Prepared) -> BatchResult:
        """The batch's one event-store transaction, then its dead letters acknowledged by the
        broker. Offsets are NOT committed here: `run` commits them after this returns."""
        result = BatchResult(records=len(prepared.records))
        dead = list(prepared.dead)
        outcomes = self.intake(prepared.items)
        for record, (created, refusal) in zip(prepared.item_records, outcomes, strict=True):
            if refusal is not None:
                dead.append(DeadLetter(record, *refusal))
            elif created:
                result.created += 1
            else:
                result.existing += 1
        if dead:
            send_and_confirm(
                self.producer,
                [self.dead_letter(d) for d in dead],
                self.settings.send_timeout_s,
            )
        result.dead = len(dead)
        return result

    def to_intake(self, record: Any) -> Intake:
        channel = self.settings.channel_of(record.topic)
        if channel is None:
            raise _Refused(INVALID_RECORD, f"topic {record.topic!r} carries no known channel")
        if record.value is None:
            raise _Refused(INVALID_RECORD, "empty record (no value)")
        try:
            payload = orjson.loads(record.value)
        except (UnicodeDecodeError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
            raise _Refused(INVALID_RECORD, f"not valid JSON: {exc}") from None
        try:
            mapped = map_payload(channel, payload)
        except PayloadError as exc:
            errors = [{"loc": e.loc, "msg": e.msg} for e in exc.errors]
            raise _Refused(PAYLOAD_ERROR, json.dumps(errors)) from None
        return Intake(channel, payload, mapped.canonical, mapped.source_paths)

    def intake(self, items: list[Intake]) -> list[tuple[bool, tuple[str, str] | None]]:
        """(created, refusal) per item. One transaction for all; if the batch as a whole fails
        for a reason that is not the infrastructure's, each item is tried alone so that only the
        poisonous record is dead-lettered."""
        if not items:
            return []
        try:
            outcomes, _nid = self.orders.intake_batch(items)
            return [(o.created, _refusal(o.error) if o.error else None) for o in outcomes]
        except Exception as exc:
            if is_retryable(exc):
                raise
            if len(items) == 1:
                log.exception("record refused by intake")
                return [(False, (PROCESSING_ERROR, f"{type(exc).__name__}: {exc}"))]
            log.warning("batch intake failed (%s); isolating the bad record", exc)
            return [self.intake([item])[0] for item in items]

    def dead_letter(
        self, dead: DeadLetter
    ) -> tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]:
        record = dead.record
        channel = self.settings.channel_of(record.topic)
        topic = (
            self.settings.dlq_topic(channel)
            if channel
            else f"{record.topic}{self.settings.dlq_suffix}"
        )
        detail = dead.detail.encode("utf-8")[:HEADER_DETAIL_LIMIT]
        headers = [h for h in (record.headers or []) if not h[0].startswith("x-dlq-")]
        headers += [
            ("x-dlq-reason", dead.reason.encode()),
            ("x-dlq-detail", detail),
            ("x-dlq-original-topic", record.topic.encode()),
            ("x-dlq-original-partition", str(record.partition).encode()),
            ("x-dlq-original-offset", str(record.offset).encode()),
            ("x-dlq-original-timestamp", str(record.timestamp).encode()),
            ("x-dlq-consumer-group", self.settings.group_id.encode()),
            ("x-dlq-failed-at", datetime.now(UTC).isoformat().encode()),
        ]
        return topic, record.key, record.value if record.value is not None else b"", headers

    # ------------------------------------------------------------------ offsets
    @property
    def _timeout_ms(self) -> int:
        return self.settings.request_timeout_ms or int(self.settings.send_timeout_s * 1000)

    def commit(self, records: list[Any]) -> None:
        from kafka import TopicPartition
        from kafka.errors import KafkaError
        from kafka.structs import OffsetAndMetadata

        offsets: dict[Any, Any] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            if tp not in offsets or offsets[tp].offset < r.offset + 1:
                offsets[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        try:
            self.consumer.commit(offsets=offsets, timeout_ms=self._timeout_ms)
            self.stats.last_commit_at = time.monotonic()
        except KafkaError as exc:
            # Typically a rebalance gave the partitions to another member: it re-reads from the
            # last committed offset, and intake is idempotent, so nothing is lost or doubled.
            self.stats.commit_failures += 1
            log.warning("offset commit failed (%s); the records will be redelivered", exc)
            self.rewind_to_committed()

    def rewind(self, records: list[Any]) -> None:
        """Seek each partition back to the first record of a failed batch."""
        from kafka import TopicPartition

        first: dict[Any, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            first[tp] = min(first.get(tp, r.offset), r.offset)
        owned = self.consumer.assignment() or set()
        for tp, offset in first.items():
            if tp in owned:
                self.consumer.seek(tp, offset)

    def rewind_to_committed(self) -> None:
        for tp in list(self.consumer.assignment() or ()):
            try:
                committed = self.consumer.committed(tp, timeout_ms=self._timeout_ms)
            except Exception as exc:  # the next rebalance or poll sorts it out
                log.warning("cannot read committed offset of %s: %s", tp, exc)
                continue
            if committed is not None:
                self.consumer.seek(tp, committed)
            elif self.settings.auto_offset_reset == "earliest":
                self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek_to_end(tp)


@dataclass
class _Prepared:
    """A polled batch, decoded and mapped, waiting for its transaction."""

    records: list[Any]
    started: float
    items: list[Intake] = field(default_factory=list)
    item_records: list[Any] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)


@dataclass
class _InFlight:
    prepared: _Prepared
    future: Future[BatchResult]


class _Refused(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _is_kafka_error(exc: BaseException) -> bool:
    from kafka.errors import KafkaError

    return isinstance(exc, KafkaError)


def _refusal(error: DomainError) -> tuple[str, str]:
    if isinstance(error, ValidationFailed):
        return VALIDATION_FAILED, json.dumps(jsonable(error.errors))
    if isinstance(error, DuplicateConflict):
        detail = {"order_id": str(error.order_id), "differences": error.differences}
        return DUPLICATE_CONFLICT, json.dumps(jsonable(detail))
    return PROCESSING_ERROR, f"{type(error).__name__}: {error}"
