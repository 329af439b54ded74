"""Kafka settings from the environment.

Every key may be written `CROSSDOCK_KAFKA_X` (wins) or `KAFKA_X`. Unset timeouts keep the client
library's defaults, which suit Apache Kafka; only a test broker needs them smaller.

  KAFKA_BOOTSTRAP_SERVERS        host:port[,host:port...]               localhost:9092
  KAFKA_CLIENT_ID                client id prefix                        crossdock
  KAFKA_CHANNELS                 channels consumed                       amazon,shopee,shopify,tiktok,web
  KAFKA_ORDERS_TOPIC_PREFIX      inbound topic = prefix + channel        orders.
  KAFKA_DLQ_SUFFIX               dead letters = inbound topic + suffix   .dlq
  KAFKA_EVENTS_TOPIC             outbound integration events             logistics.events
  KAFKA_GROUP_ID                 consumer group of `crossdock consume`   crossdock-intake
  KAFKA_BATCH_SIZE               max records per event-store transaction 200
  KAFKA_BATCH_WAIT_MS            max wait to fill a batch                500
  KAFKA_AUTO_OFFSET_RESET        earliest | latest (no committed offset) earliest
  KAFKA_MAX_POLL_INTERVAL_MS     consumer group timeouts (client default when unset)
  KAFKA_SESSION_TIMEOUT_MS
  KAFKA_HEARTBEAT_INTERVAL_MS
  KAFKA_REQUEST_TIMEOUT_MS
  KAFKA_SEND_TIMEOUT_S           wait for broker acks before giving up   30
  KAFKA_LINGER_MS                producer batching delay                 5
  KAFKA_MAX_REQUEST_SIZE         producer max request bytes              1048576
  KAFKA_COMPRESSION_TYPE         gzip | snappy | lz4 | zstd              (none)
  KAFKA_RELAY_NAME               relay position row in kafka_relay_tracking  logistics-events
  KAFKA_RELAY_BATCH_SIZE         notifications per relay step            1000
  KAFKA_RELAY_INTERVAL_MS        relay idle poll interval                200
  KAFKA_SECURITY_PROTOCOL        PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
  KAFKA_SASL_MECHANISM           PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
  KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD
  KAFKA_SSL_CAFILE / KAFKA_SSL_CERTFILE / KAFKA_SSL_KEYFILE
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.orders.channels import MAPPERS

# Every channel with a JSON mapper has its inbound topic (the dealer CSV upload has none).
DEFAULT_CHANNELS = tuple(sorted(MAPPERS))


def _lookup(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(f"CROSSDOCK_KAFKA_{key}") or env.get(f"KAFKA_{key}")
    return value.strip() if value and value.strip() else None


def _int(env: Mapping[str, str], key: str, default: int | None, minimum: int = 1) -> int | None:
    raw = _lookup(env, key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"KAFKA_{key} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"KAFKA_{key} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: tuple[str, ...] = ("localhost:9092",)
    client_id: str = "crossdock"
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    orders_topic_prefix: str = "orders."
    dlq_suffix: str = ".dlq"
    events_topic: str = "logistics.events"
    group_id: str = "crossdock-intake"
    batch_size: int = 200
    batch_wait_ms: int = 500
    auto_offset_reset: str = "earliest"
    max_poll_interval_ms: int | None = None
    session_timeout_ms: int | None = None
    heartbeat_interval_ms: int | None = None
    request_timeout_ms: int | None = None
    send_timeout_s: float = 30.0
    linger_ms: int = 5
    max_request_size: int = 1048576
    compression_type: str | None = None
    relay_name: str = "logistics-events"
    relay_batch_size: int = 1000
    relay_interval_ms: int = 200
    security: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> KafkaSettings:
        """Settings from `env` (default: os.environ); keyword overrides win (e.g. CLI options)."""
        env = os.environ if env is None else env
        servers = _lookup(env, "BOOTSTRAP_SERVERS") or "localhost:9092"
        channels = _lookup(env, "CHANNELS")
        values: dict[str, Any] = {
            "bootstrap_servers": tuple(s.strip() for s in servers.split(",") if s.strip()),
            "client_id": _lookup(env, "CLIENT_ID") or "crossdock",
            "channels": (
                tuple(c.strip() for c in channels.split(",") if c.strip())
                if channels
                else DEFAULT_CHANNELS
            ),
            "orders_topic_prefix": _lookup(env, "ORDERS_TOPIC_PREFIX") or "orders.",
            "dlq_suffix": _lookup(env, "DLQ_SUFFIX") or ".dlq",
            "events_topic": _lookup(env, "EVENTS_TOPIC") or "logistics.events",
            "group_id": _lookup(env, "GROUP_ID") or "crossdock-intake",
            "batch_size": _int(env, "BATCH_SIZE", 200),
            "batch_wait_ms": _int(env, "BATCH_WAIT_MS", 500, minimum=0),
            "auto_offset_reset": (_lookup(env, "AUTO_OFFSET_RESET") or "earliest").lower(),
            "max_poll_interval_ms": _int(env, "MAX_POLL_INTERVAL_MS", None),
            "session_timeout_ms": _int(env, "SESSION_TIMEOUT_MS", None),
            "heartbeat_interval_ms": _int(env, "HEARTBEAT_INTERVAL_MS", None),
            "request_timeout_ms": _int(env, "REQUEST_TIMEOUT_MS", None),
            "send_timeout_s": float(_int(env, "SEND_TIMEOUT_S", 30) or 30),
            "linger_ms": _int(env, "LINGER_MS", 5, minimum=0),
            "max_request_size": _int(env, "MAX_REQUEST_SIZE", 1048576),
            "compression_type": _lookup(env, "COMPRESSION_TYPE"),
            "relay_name": _lookup(env, "RELAY_NAME") or "logistics-events",
            "relay_batch_size": _int(env, "RELAY_BATCH_SIZE", 1000),
            "relay_interval_ms": _int(env, "RELAY_INTERVAL_MS", 200, minimum=0),
            "security": {
                option: value
                for option, key in (
                    ("security_protocol", "SECURITY_PROTOCOL"),
                    ("sasl_mechanism", "SASL_MECHANISM"),
                    ("sasl_plain_username", "SASL_USERNAME"),
                    ("sasl_plain_password", "SASL_PASSWORD"),
                    ("ssl_cafile", "SSL_CAFILE"),
                    ("ssl_certfile", "SSL_CERTFILE"),
                    ("ssl_keyfile", "SSL_KEYFILE"),
                )
                if (value := _lookup(env, key)) is not None
            },
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if not self.bootstrap_servers:
            raise ValueError("KAFKA_BOOTSTRAP_SERVERS is empty")
        if not self.channels:
            raise ValueError("KAFKA_CHANNELS is empty")
        if self.auto_offset_reset not in ("earliest", "latest"):
            raise ValueError("KAFKA_AUTO_OFFSET_RESET must be 'earliest' or 'latest'")
        if (
            self.heartbeat_interval_ms is not None
            and self.session_timeout_ms is not None
            and self.heartbeat_interval_ms >= self.session_timeout_ms
        ):
            raise ValueError("KAFKA_HEARTBEAT_INTERVAL_MS must be below KAFKA_SESSION_TIMEOUT_MS")

    # ------------------------------------------------------------------ topics
    def orders_topic(self, channel: str) -> str:
        return f"{self.orders_topic_prefix}{channel}"

    def dlq_topic(self, channel: str) -> str:
        return f"{self.orders_topic(channel)}{self.dlq_suffix}"

    @property
    def orders_topics(self) -> list[str]:
        return [self.orders_topic(c) for c in self.channels]

    def channel_of(self, topic: str) -> str | None:
        """The channel an inbound topic carries (None for a topic we do not consume)."""
        if not topic.startswith(self.orders_topic_prefix):
            return None
        channel = topic[len(self.orders_topic_prefix) :]
        return channel if channel in self.channels else None

    # ------------------------------------------------------------------ client configs
    def _common(self, role: str) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap_servers": list(self.bootstrap_servers),
            "client_id": f"{self.client_id}-{role}",
            **self.security,
        }
        if self.request_timeout_ms is not None:
            config["request_timeout_ms"] = self.request_timeout_ms
        return config

    def consumer_config(self) -> dict[str, Any]:
        config = self._common("consume")
        config.update(
            group_id=self.group_id,
            enable_auto_commit=False,  # offsets are committed after the database commit
            auto_offset_reset=self.auto_offset_reset,
            max_poll_records=self.batch_size,
        )
        for key in ("max_poll_interval_ms", "session_timeout_ms", "heartbeat_interval_ms"):
            value = getattr(self, key)
            if value is not None:
                config[key] = value
        return config

    def producer_config(self, role: str) -> dict[str, Any]:
        config = self._common(role)
        config.update(
            enable_idempotence=True,
            acks="all",
            linger_ms=self.linger_ms,
            max_request_size=self.max_request_size,
            batch_size=256 * 1024,
        )
        if self.compression_type:
            config["compression_type"] = self.compression_type
        return config
