"""Outbox use cases for the API, the CLI and tests: webhook subscriptions per channel, what was
sent (and tried) for an order, the dead letters and their replay.

Following the log and delivering are the worker's (adapters/outbox/worker.py); this is what an
admin does about them. Secrets are never answered back after registration.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from domains.common import NotFound, ValidationFailed
from domains.outbox.messages import CHANNEL_KINDS
from domains.outbox.ports import OutboxLedger
from domains.ports import Clock

CHANNELS = ("amazon", "shopee", "shopify", "tiktok", "web", "dealer")
MIN_SECRET = 16


def public(sub: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sub.items() if k != "secret"}


class OutboxUseCases:
    def __init__(self, ledger: OutboxLedger, clock: Clock) -> None:
        self.ledger = ledger
        self.clock = clock

    def subscribe(
        self,
        channel: str,
        url: str,
        events: list[str] | None,
        secret: str | None,
        created_by: str,
    ) -> dict[str, Any]:
        """Register a webhook for a channel's confirmations and updates. Without a secret one
        is generated; it is answered this once (the receiver verifies signatures with it)."""
        errors = []
        if channel not in CHANNELS:
            errors.append({"loc": "channel", "msg": f"one of {', '.join(CHANNELS)}"})
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors.append({"loc": "url", "msg": "an absolute http(s) URL"})
        chosen = list(events) if events else list(CHANNEL_KINDS)
        unknown = sorted(set(chosen) - set(CHANNEL_KINDS))
        if unknown:
            msg = f"unknown {', '.join(unknown)}; events are {', '.join(CHANNEL_KINDS)}"
            errors.append({"loc": "events", "msg": msg})
        if secret is not None and len(secret) < MIN_SECRET:
            errors.append({"loc": "secret", "msg": f"at least {MIN_SECRET} characters"})
        if errors:
            raise ValidationFailed(errors)
        row = {
            "id": "sub_" + secrets.token_hex(8),
            "channel": channel,
            "url": url,
            "events": sorted(set(chosen)),
            "secret": secret or "whsec_" + secrets.token_hex(24),
            "created_at": self.clock.now().isoformat(),
            "created_by": created_by,
            "active": True,
        }
        self.ledger.add_subscription(row)
        return row

    def subscriptions(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [public(s) for s in self.ledger.subscriptions(channel)]

    def unsubscribe(self, subscription_id: str) -> None:
        if not self.ledger.deactivate_subscription(subscription_id, self.clock.now().isoformat()):
            raise NotFound("subscription", subscription_id)

    def messages(self, order_id: str) -> list[dict[str, Any]]:
        """Every message derived for an order, each with its attempts."""
        return [
            {**m, "attempt_log": self.ledger.attempts(m["id"])}
            for m in self.ledger.messages(order_id=order_id)
        ]

    def dead_letters(self, limit: int = 500) -> list[dict[str, Any]]:
        return self.ledger.messages(status="dead", limit=limit)

    def replay(self, message_id: str | None = None) -> int:
        """Put one dead letter (or all) back in the queue with a fresh attempt budget; the
        next delivery pass sends it. Answers how many were requeued."""
        at = self.clock.now().isoformat()
        if message_id is None:
            return self.ledger.replay(None, at)
        if not self.ledger.replay([message_id], at):
            raise NotFound("dead letter", message_id)
        return 1
