"""Delivers what the processor queued: Kafka `channel.out`, signed webhooks, e-mails.

One pass takes the messages due (pending, next attempt at or before now), tries each once, and
records every attempt and the message's new state in one transaction: delivered, retried later
(exponential back-off with jitter, domains/outbox/retry.py), dead after the last attempt, or
skipped (a buyer erased, a subscription removed). Delivery is at-least-once: a crash after
sending and before recording sends that message again, with the same X-Crossdock-Delivery id.
The clock and the jitter draw are injected, so tests run passes without waiting.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from adapters.outbox.ledger import SqlOutboxLedger
from adapters.outbox.mail import SmtpMailer, render
from adapters.outbox.webhooks import WebhookSender, signature
from domains.outbox.retry import RetryPolicy

CHANNEL_OUT_TOPIC = "channel.out"


@dataclass
class Outcome:
    ok: bool
    detail: str
    final: bool = False  # nothing to retry: skipped or cancelled


@dataclass
class PassStats:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    by_target: dict[str, int] = field(default_factory=dict)


class KafkaOut:
    """`channel.out`, keyed by order id; a batch is confirmed by the broker (acks=all)."""

    def __init__(self, producer: Any, topic: str = CHANNEL_OUT_TOPIC, timeout_s: float = 10.0):
        self.producer = producer
        self.topic = topic
        self.timeout_s = timeout_s

    def send(self, messages: list[dict[str, Any]]) -> Outcome:
        from adapters.kafka.clients import send_and_confirm

        records = [
            (
                self.topic,
                m["order_id"].encode(),
                json.dumps({**m["body"], "delivery_id": m["id"]}).encode(),
                [("event_type", m["kind"].encode()), ("delivery_id", m["id"].encode())],
            )
            for m in messages
        ]
        try:
            send_and_confirm(self.producer, records, self.timeout_s)
        except Exception as exc:  # any broker error fails the batch; retried as a whole
            return Outcome(False, f"{type(exc).__name__}: {exc}"[:300])
        return Outcome(True, f"acknowledged on {self.topic}")


class Delivery:
    def __init__(
        self,
        app: Any,
        ledger: SqlOutboxLedger,
        *,
        webhooks: WebhookSender | None = None,
        mailer: SmtpMailer | None = None,
        kafka: KafkaOut | None = None,
        policy: RetryPolicy | None = None,
        draw: Callable[[], float] = random.random,
        batch: int = 200,
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.webhooks = webhooks or WebhookSender()
        self.mailer = mailer
        self.kafka = kafka
        self.policy = policy or RetryPolicy()
        self.draw = draw
        self.batch = batch

    def deliver_once(self) -> PassStats:
        """One pass over the messages due now; answers what became of them."""
        stats = PassStats()
        now = self.app.clock.now()
        due = self.ledger.due(now.isoformat(), self.batch)
        if not due:
            return stats
        outcomes: dict[str, Outcome] = {}
        to_kafka = [m for m in due if m["target"] == "kafka"]
        if to_kafka:
            assert self.kafka is not None, "kafka messages queued without a Kafka sender"
            sent = self.kafka.send(to_kafka)
            outcomes.update({m["id"]: sent for m in to_kafka})
        for m in due:
            if m["target"] != "kafka":
                outcomes[m["id"]] = self._send(m, int(now.timestamp()))
        if self.mailer is not None:
            self.mailer.close()
        self.ledger.record(self._record(m, outcomes[m["id"]], now, stats) for m in due)
        return stats

    def _record(self, m: dict[str, Any], o: Outcome, now: Any, stats: PassStats) -> dict:
        attempts, tries = m["attempts"] + 1, m["tries"] + 1
        row = {"id": m["id"], "tries": tries, "at": now.isoformat(), "detail": o.detail}
        kind = m["target"].split(":")[0]
        stats.by_target[kind] = stats.by_target.get(kind, 0) + 1
        if o.ok or o.final:
            status = "delivered" if o.ok else "skipped"
            stats.delivered += o.ok
            stats.skipped += not o.ok
            sent_at = now.isoformat() if o.ok else None
            return {**row, "outcome": status, "status": status, "attempts": attempts,
                    "next_attempt_at": m["next_attempt_at"], "error": None, "sent_at": sent_at}  # fmt: skip
        retry_at = self.policy.after_failure(attempts, now, self.draw())
        if retry_at is None:
            stats.dead += 1
        else:
            stats.retried += 1
        return {**row, "outcome": "failed", "status": "dead" if retry_at is None else "pending",
                "attempts": attempts, "error": o.detail, "sent_at": None,
                "next_attempt_at": (retry_at or now).isoformat()}  # fmt: skip

    # ------------------------------------------------------------------ per target
    def _send(self, m: dict[str, Any], unix_now: int) -> Outcome:
        kind, _, ref = m["target"].partition(":")
        if kind == "webhook":
            return self._webhook(m, ref, unix_now)
        if kind == "email":
            return self._email(m, ref)
        return Outcome(False, f"unknown target {m['target']}", final=True)

    def _webhook(self, m: dict[str, Any], subscription_id: str, unix_now: int) -> Outcome:
        sub = self.ledger.subscription(subscription_id)
        if sub is None or not sub["active"]:
            return Outcome(False, "subscription removed", final=True)
        body = json.dumps({**m["body"], "delivery_id": m["id"]}, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Crossdock-Signature": signature(sub["secret"], unix_now, body),
            "X-Crossdock-Event": m["kind"],
            "X-Crossdock-Delivery": m["id"],
        }
        ok, detail = self.webhooks.post(sub["url"], body, headers)
        return Outcome(ok, detail)

    def _email(self, m: dict[str, Any], audience: str) -> Outcome:
        if self.mailer is None:
            return Outcome(False, "no SMTP host configured")
        body = m["body"]
        if audience == "customs":
            to = self.mailer.settings.customs_team
            if not to:
                return Outcome(False, "no CROSSDOCK_CUSTOMS_TEAM_EMAIL", final=True)
            subject, text = render(body["template"], "en", body["data"], None)
            ok, detail = self.mailer.send(to, subject, text, m["id"])
            return Outcome(ok, f"{detail} to the customs team ({to})")
        personal = self.app.orders.personal
        order = self.app.orders.get_order(UUID(m["order_id"]))
        customer = personal.customer(order.canonical) or {}
        who = f"subject {body['subject_id']}" if body.get("subject_id") else "the buyer"
        if not customer.get("email"):
            erased = personal.is_erased(order.canonical.get("customer"))
            return Outcome(False, f"{who} erased" if erased else f"no e-mail for {who}", True)
        subject, text = render(body["template"], body["language"], body["data"], customer["name"])
        ok, detail = self.mailer.send(customer["email"], subject, text, m["id"])
        # The address is never recorded: the data subject is.
        return Outcome(ok, f"{detail} to {who} in {body['language']}")
