"""Kafka in and out: marketplace orders in through a consumer group, domain events out.

- `config.KafkaSettings.from_env()`: bootstrap servers, topics, group, batch size, timeouts.
- `consumer.OrderConsumer`: `orders.<channel>` -> one event-store transaction per batch ->
  offsets committed after it; bad records to `orders.<channel>.dlq` with the reason in headers.
- `relay.EventRelay`: notification log -> `logistics.events`, keyed by order (aggregate) id,
  position saved after the broker acknowledged.
- `local_broker.LocalBroker`: a throwaway Kafka-protocol broker for tests and benchmarks.
"""

from adapters.kafka.config import KafkaSettings

__all__ = ["KafkaSettings"]
