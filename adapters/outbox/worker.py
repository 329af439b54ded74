"""The outbox as one running thing: the processor (log -> queued messages), the delivery passes,
and the admin use cases over the same tables. `build_outbox` wires it from the environment;
`crossdock outbox` runs it as a worker (scripts/outbox_commands.py); tests call `run_once`.

Settings (environment): CROSSDOCK_OUTBOX_MAX_ATTEMPTS (8), CROSSDOCK_OUTBOX_BACKOFF_S (30),
CROSSDOCK_OUTBOX_BACKOFF_CAP_S (3600), CROSSDOCK_OUTBOX_WEBHOOK_TIMEOUT_S (5),
CROSSDOCK_OUTBOX_KAFKA (1: also publish to `channel.out`, with the KAFKA_* settings), and the
SMTP settings of adapters/outbox/mail.py.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.outbox.delivery import Delivery, KafkaOut, PassStats
from adapters.outbox.ledger import SqlOutboxLedger
from adapters.outbox.mail import SmtpMailer, SmtpSettings
from adapters.outbox.processor import OutboxProcessor
from adapters.outbox.webhooks import WebhookSender
from domains.outbox.application import OutboxUseCases
from domains.outbox.retry import RetryPolicy
from projections.db import ViewDB

log = logging.getLogger(__name__)


@dataclass
class Outbox:
    ledger: SqlOutboxLedger
    processor: OutboxProcessor
    delivery: Delivery
    use_cases: OutboxUseCases

    def run_once(self) -> PassStats:
        """Queue everything the log holds so far, then one delivery pass."""
        self.processor.catch_up()
        return self.delivery.deliver_once()

    def run(self, stop: threading.Event, interval_s: float = 0.5) -> None:
        while not stop.is_set():
            try:
                read = self.processor.follow_once()
                stats = self.delivery.deliver_once()
            except Exception:  # a transient DB or broker error must not kill the worker
                log.exception("outbox step failed; retrying")
                stop.wait(1.0)
                continue
            if not read and not (stats.delivered or stats.retried or stats.dead):
                stop.wait(interval_s)

    def close(self) -> None:
        self.delivery.webhooks.close()
        if self.delivery.kafka is not None:
            self.delivery.kafka.producer.close(timeout=5)


def retry_policy(env: Mapping[str, str]) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=int(env.get("CROSSDOCK_OUTBOX_MAX_ATTEMPTS", "8")),
        base_s=float(env.get("CROSSDOCK_OUTBOX_BACKOFF_S", "30")),
        cap_s=float(env.get("CROSSDOCK_OUTBOX_BACKOFF_CAP_S", "3600")),
    )


def build_outbox(
    app: Any,
    db: ViewDB,
    env: Mapping[str, str] | None = None,
    *,
    kafka_producer: Any = None,
    draw: Callable[[], float] = random.random,
) -> Outbox:
    """The outbox over the events' database. Kafka is used when a producer is given or
    CROSSDOCK_OUTBOX_KAFKA=1; e-mail when CROSSDOCK_SMTP_HOST is set."""
    env = os.environ if env is None else env
    ledger = SqlOutboxLedger(db)
    smtp = SmtpSettings.from_env(env)
    if kafka_producer is None and env.get("CROSSDOCK_OUTBOX_KAFKA", "0") == "1":
        from adapters.kafka.clients import make_producer
        from adapters.kafka.config import KafkaSettings

        kafka_producer = make_producer(KafkaSettings.from_env(env), "outbox")
    processor = OutboxProcessor(
        app,
        ledger,
        kafka=kafka_producer is not None,
        email=smtp is not None,
        customs_team=bool(smtp and smtp.customs_team),
    )
    delivery = Delivery(
        app,
        ledger,
        webhooks=WebhookSender(float(env.get("CROSSDOCK_OUTBOX_WEBHOOK_TIMEOUT_S", "5"))),
        mailer=SmtpMailer(smtp) if smtp else None,
        kafka=KafkaOut(kafka_producer) if kafka_producer is not None else None,
        policy=retry_policy(env),
        draw=draw,
    )
    return Outbox(ledger, processor, delivery, OutboxUseCases(ledger, app.clock))
