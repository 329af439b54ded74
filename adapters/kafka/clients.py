"""Kafka client construction and small helpers shared by the consumer, the relay and the tests."""

from __future__ import annotations

import json
import logging
from base64 import b64encode
from collections.abc import Iterable, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from adapters.kafka.config import KafkaSettings

log = logging.getLogger(__name__)


def make_producer(settings: KafkaSettings, role: str) -> Any:
    from kafka import KafkaProducer

    return KafkaProducer(**settings.producer_config(role))


def make_consumer(settings: KafkaSettings) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(**settings.consumer_config())


def send_and_confirm(
    producer: Any,
    messages: Iterable[tuple[str, bytes | None, bytes, Sequence[tuple[str, bytes]]]],
    timeout_s: float,
) -> int:
    """Send (topic, key, value, headers) messages and wait until the broker acknowledged EVERY
    one (acks=all). Raises the first delivery error; nothing is confirmed then."""
    futures = [
        producer.send(topic, key=key, value=value, headers=list(headers))
        for topic, key, value, headers in messages
    ]
    if not futures:
        return 0
    producer.flush(timeout=timeout_s)
    for future in futures:
        future.get(timeout=timeout_s)  # raises KafkaError if this record was not acknowledged
    return len(futures)


def ensure_topics(
    settings: KafkaSettings, topics: dict[str, int], replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet ({name: partitions}); returns those created.
    For development and tests: production clusters usually create topics through their own tooling."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**settings._common("admin"))
    try:
        existing = set(admin.list_topics())
        new = [
            NewTopic(name, partitions, replication_factor)
            for name, partitions in topics.items()
            if name not in existing
        ]
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:  # another process won the race
                pass
        return [t.name for t in new]
    finally:
        admin.close()


def jsonable(value: Any) -> Any:
    """Event attributes as plain JSON: Decimal -> str (exact), UUID -> str, datetime -> ISO 8601."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (bytes, bytearray)):
        return b64encode(bytes(value)).decode("ascii")
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    return str(value)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
