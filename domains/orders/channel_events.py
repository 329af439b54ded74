"""What the order records of the channel's updates (domains/orders/updates.py decides them):
a resend that changed something, each change applied or held for an operator, and an
operator's resolution of a held one. A mixin of the `Order` aggregate, kept apart so the
aggregate's own module stays about the order's life.

Every event carries its decision (action, reason, rules version) and what it changes
(`patch`: the canonical keys replaced, personal parts sealed), so replaying never decides again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domains.common import InvalidTransition
from domains.orders.lifecycle import RECEIVED

REPLAN = "replan"  # as domains/orders/updates.py names it: reservations are released


class ChannelUpdateReceived(Aggregate.Event):
    """The channel sent the order again, changed. `canonical` and `raw_payload` are as
    received (personal parts sealed like intake's); `differences` name what changed (personal
    fields by path only)."""

    update_no: int
    canonical: dict[str, Any]
    raw_payload: Any
    payload_hash: str
    received_hash: str
    mapper_version: int
    differences: list[dict[str, Any]]

    def apply(self, aggregate: Any) -> None:
        aggregate.payload_hash = self.payload_hash
        aggregate.channel_updates.append(
            {
                "no": self.update_no,
                "received_at": self.timestamp.isoformat(),
                "received_hash": self.received_hash,
                "mapper_version": self.mapper_version,
                "differences": self.differences,
                "canonical": self.canonical,
                "changes": [],
            }
        )


def _replace(aggregate: Any, action: str, patch: dict[str, Any]) -> None:
    aggregate.canonical = {**aggregate.canonical, **patch}
    if action == REPLAN:  # its reservations were released in the same transaction
        aggregate.status = RECEIVED
        aggregate.split = None
        aggregate.hold_reasons = []


class ChannelChangeApplied(Aggregate.Event):
    update_no: int
    kind: str
    action: str
    reason: str
    rules_version: int
    differences: list[dict[str, Any]]
    patch: dict[str, Any]

    def apply(self, aggregate: Any) -> None:
        _replace(aggregate, self.action, self.patch)
        aggregate.channel_update(self.update_no)["changes"].append(
            {
                "kind": self.kind,
                "applied": True,
                "status": "applied",
                "action": self.action,
                "reason": self.reason,
                "rules_version": self.rules_version,
                "differences": self.differences,
            }
        )


class ChannelChangeHeld(Aggregate.Event):
    """An exception for an operator: what the channel asked and why it was not applied."""

    update_no: int
    kind: str
    reason: str
    rules_version: int
    differences: list[dict[str, Any]]

    def apply(self, aggregate: Any) -> None:
        aggregate.channel_update(self.update_no)["changes"].append(
            {
                "kind": self.kind,
                "applied": False,
                "status": "open",
                "reason": self.reason,
                "rules_version": self.rules_version,
                "differences": self.differences,
            }
        )


class ChannelChangeResolved(Aggregate.Event):
    """An operator applied a held change anyway (`action`, `patch` as decided then) or
    dismissed it; with who and why."""

    update_no: int
    kind: str
    resolution: str
    reason: str
    resolved_by: str
    action: str | None
    patch: dict[str, Any] | None
    rules_version: int

    def apply(self, aggregate: Any) -> None:
        change = aggregate.channel_change(self.update_no, self.kind)
        if change["status"] != "open":
            raise InvalidTransition(f"this change was already {change['status']}")
        if self.patch is not None and self.action is not None:
            _replace(aggregate, self.action, self.patch)
        change.update(
            status=self.resolution,
            applied=self.resolution == "applied",
            resolved={
                "by": self.resolved_by,
                "reason": self.reason,
                "at": self.timestamp.isoformat(),
                "action": self.action,
                "rules_version": self.rules_version,
            },
        )


class ChannelUpdates:
    """The Order's side: its `channel_updates` list and the commands that record them."""

    channel_updates: list[dict[str, Any]]

    if TYPE_CHECKING:

        def trigger_event(self, event_class: Any, **kwargs: Any) -> None: ...

    def channel_update(self, update_no: int) -> dict[str, Any]:
        for entry in self.channel_updates:
            if entry["no"] == update_no:
                return entry
        raise InvalidTransition(f"order has no channel update {update_no}")

    def channel_change(self, update_no: int, kind: str) -> dict[str, Any]:
        for change in self.channel_update(update_no)["changes"]:
            if change["kind"] == kind:
                return change
        raise InvalidTransition(f"channel update {update_no} has no {kind}")

    def last_received_hash(self) -> str | None:
        return self.channel_updates[-1]["received_hash"] if self.channel_updates else None

    def record_channel_update(self, **fields: Any) -> int:
        update_no = len(self.channel_updates) + 1
        self.trigger_event(ChannelUpdateReceived, update_no=update_no, **fields)
        return update_no

    def apply_channel_change(self, **fields: Any) -> None:
        self.trigger_event(ChannelChangeApplied, **fields)

    def hold_channel_change(self, **fields: Any) -> None:
        self.trigger_event(ChannelChangeHeld, **fields)

    def resolve_channel_change(self, **fields: Any) -> None:
        if not str(fields.get("reason") or "").strip():
            raise InvalidTransition("a resolution needs a reason")
        self.trigger_event(ChannelChangeResolved, **fields)
