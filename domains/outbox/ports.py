"""What the outbox use cases need from outside: where messages, their attempts and the channels'
webhook subscriptions are kept (adapters/outbox/ledger.py, tables beside the events)."""

from __future__ import annotations

from typing import Any, Protocol


class OutboxLedger(Protocol):
    def add_subscription(self, row: dict[str, Any]) -> None: ...

    def subscriptions(self, channel: str | None = None) -> list[dict[str, Any]]: ...

    def deactivate_subscription(self, subscription_id: str, at: str) -> bool: ...

    def messages(
        self, *, status: str | None = None, order_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]: ...

    def attempts(self, message_id: str) -> list[dict[str, Any]]: ...

    def replay(self, message_ids: list[str] | None, at: str) -> int: ...
