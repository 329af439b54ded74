"""A channel sends an order we already hold: a repeat (answered with the stored order, nothing
stored), an identity clash (409), or an update whose changes are applied or held for an
operator by the rules in domains/orders/updates.py; and an operator resolving a held change.

Mixed into `OrderUseCases` (domains/orders/application.py). An update is decided inside the
intake batch like a new order (same transaction, same stock and dealer objects); stock it gives
back goes to the orders waiting for it after the commit, as a cancellation's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domains.common import InvalidTransition
from domains.orders.allocation import merged_lines
from domains.orders.channel_events import ChannelChangeHeld
from domains.orders.dealer_files import comparable as dealer_form
from domains.orders.intake import (
    DuplicateConflict,
    Intake,
    IntakeBatch,
    IntakeOutcome,
)
from domains.orders.model import ALLOCATED, CANCELLED, HELD, Order
from domains.orders.restock import BackorderUseCases
from domains.orders.updates import (
    CANCEL,
    LABEL_BOUGHT,
    REPLAN,
    REVIEW,
    UPDATE_RULES_VERSION,
    Decision,
    OrderState,
    cancel_reason,
    canonical_hash,
    classify,
    comparable,
    decide,
    identity_clash,
    patch_for,
    public,
)
from domains.privacy.records import CLEAR_SHIP_TO, PII, is_sealed
from domains.privacy.sealing import PersonalData

HELD_TOPIC = get_topic(ChannelChangeHeld)
Record = Callable[[Decision, dict[str, Any]], None]


def order_state(order: Order, stored: dict[str, Any], received: dict[str, Any]) -> OrderState:
    """The facts the update rules look at (`stored` and `received` opened)."""
    labelled = any(order.shipment_status(s["shipment_no"]) in LABEL_BOUGHT for s in order.shipments)
    old_country = (stored.get("ship_to") or {}).get("country")
    new_country = (received.get("ship_to") or {}).get("country")
    return OrderState(order.status, labelled, old_country != new_country)


class ChannelUpdateUseCases(BackorderUseCases):
    personal: PersonalData
    mapper_version: int

    def _change(
        self, order_id: UUID, step: Callable[[IntakeBatch, Order], None]
    ) -> tuple[Order, int]:
        raise NotImplementedError

    # ------------------------------------------------------------------ at intake
    def _existing_order(
        self, batch: IntakeBatch, item: Intake, order: Order, digest: str
    ) -> IntakeOutcome:
        if item.repeats(order.payload_hash, digest):
            return IntakeOutcome(order.id, False, order=order)  # the cheap path
        # A dealer order stored with the prefixed number reads as a new one would.
        stored = dealer_form(order, self.personal.canonical(order.canonical))
        clash = identity_clash(stored, item.canonical)
        if clash:
            return IntakeOutcome(order.id, False, error=DuplicateConflict(order.id, clash))
        received = comparable(stored, item.canonical)
        plain, raw_payload = item.canonical, item.raw_payload
        subject = self._subject_of(order, item)
        if self.personal.is_erased(order.canonical.get("customer")):
            # The person was erased: their data sent again is not recorded again (and nothing
            # is sealed under their deleted key: the pseudonym is kept in clear).
            received = without_personal_changes(stored, received)
            plain, raw_payload, subject = without_personal_changes(stored, plain), None, None
        changes = classify(stored, received)
        if not changes:  # only the envelope changed: request id, update time...
            return IntakeOutcome(order.id, False, order=order)
        received_hash = canonical_hash(received)
        if order.last_received_hash() == received_hash:  # sent again, already decided
            return IntakeOutcome(
                order.id, False, order=order, updates=summary(order.channel_updates[-1])
            )
        sealed, raw = self.personal.seal_order(subject, plain, raw_payload)
        update_no = order.record_channel_update(
            canonical=sealed,
            raw_payload=raw,
            payload_hash=digest,
            received_hash=received_hash,
            mapper_version=self.mapper_version,
            differences=public([d for c in changes for d in c.differences]),
        )
        batch.touch(order)
        freed = self._decide_changes(
            batch, order, update_no, [c.kind for c in changes], stored, received, None
        )
        outcome = IntakeOutcome(order.id, False, order=order)
        outcome.updates = summary(order.channel_update(update_no))
        outcome.freed = freed
        return outcome

    def _subject_of(self, order: Order, item: Intake) -> str | None:
        """The order's own data subject: an update is erased with the order."""
        customer = order.canonical.get("customer")
        if is_sealed(customer):
            return str(customer[PII])
        return self.personal.subject(item.channel, item.canonical)

    def _decide_changes(
        self,
        batch: IntakeBatch,
        order: Order,
        update_no: int,
        kinds: list[str],
        stored: dict[str, Any],
        received: dict[str, Any],
        operator: tuple[str, str] | None,
    ) -> list[str]:
        """Decides and records each kind of change in turn (a cancellation first: what follows
        is decided on the cancelled order), then reviews the order again once if a change
        asks for it. Returns the SKUs whose stock was given back. `operator`: (who, why) when
        a person applies a held change anyway (one kind); None for the channel."""
        sealed = order.channel_update(update_no)["canonical"]
        waiting = sorted(merged_lines(order)) if order.status == HELD else []
        was_allocated = order.status == ALLOCATED
        freed: list[str] = []
        review = False
        by_kind = {c.kind: c.differences for c in classify(stored, received)}
        held: set[str] = set()
        for kind in kinds:
            decision = decide(
                kind,
                order_state(order, stored, received),
                operator=operator is not None,
                held=frozenset(held),
            )
            if operator is not None and not decision.applied:
                raise InvalidTransition(f"{kind} cannot be applied now: {decision.reason}")
            differences = public(by_kind.get(kind, []))
            if not decision.applied:
                held.add(kind)
                order.hold_channel_change(
                    update_no=update_no,
                    kind=kind,
                    reason=decision.reason,
                    rules_version=UPDATE_RULES_VERSION,
                    differences=differences,
                )
                continue

            def record(
                d: Decision,
                patch: dict[str, Any],
                kind: str = kind,
                differences: list[dict[str, Any]] = differences,
            ) -> None:
                if operator is None:
                    order.apply_channel_change(
                        update_no=update_no,
                        kind=kind,
                        action=d.action,
                        reason=d.reason,
                        rules_version=UPDATE_RULES_VERSION,
                        differences=differences,
                        patch=patch,
                    )
                else:
                    order.resolve_channel_change(
                        update_no=update_no,
                        kind=kind,
                        resolution="applied",
                        reason=operator[1],
                        resolved_by=operator[0],
                        action=d.action,
                        patch=patch,
                        rules_version=UPDATE_RULES_VERSION,
                    )

            freed += self._carry_out(batch, order, kind, decision, sealed, received, record)
            review = review or decision.action in (REVIEW, REPLAN)
        if review and order.status != CANCELLED:
            self._review_again(batch, order, waiting, was_allocated)
        return freed

    def _carry_out(
        self,
        batch: IntakeBatch,
        order: Order,
        kind: str,
        decision: Decision,
        sealed: dict[str, Any],
        received: dict[str, Any],
        record: Record,
    ) -> list[str]:
        freed: list[str] = []
        if decision.action in (REPLAN, CANCEL) and order.status == ALLOCATED:
            trigger = {"kind": "channel_update", "order_id": str(order.id), "change": kind}
            freed = self._give_back(batch, order, trigger)
        record(decision, patch_for(kind, order.canonical, sealed))
        if decision.action == CANCEL:
            reason = cancel_reason(order.channel, received.get("cancelled"))
            order.cancel(reason=reason, cancelled_by=order.channel)
        return freed

    def _give_back(self, batch: IntakeBatch, order: Order, trigger: dict[str, Any]) -> list[str]:
        """Releases an allocated order's reservations and dealer credit, and rings the queues
        of its SKUs in the same transaction (see BackorderQueue.restocked); returns the SKUs,
        for `release_after_commit` once the transaction is saved."""
        freed = sorted({ln["sku"] for s in order.shipments for ln in s["lines"]})
        self.allocator.release(batch, order)
        for sku in freed:
            batch.backorder_queue(sku).restocked(trigger)
            batch.touch(batch.backorder_queue(sku))
        return freed

    def _review_again(
        self, batch: IntakeBatch, order: Order, waiting: list[str], was_allocated: bool
    ) -> None:
        """Reviewed (and split) on its new lines or address. A held order leaves the stock
        queues first (it waits again for what it now lacks, behind those already waiting); an
        allocated one had its stock, so it does not yield it to the waiting ones."""
        trigger = {"kind": "channel_update", "order_id": str(order.id)}
        for sku in waiting:
            queue = batch.backorder_queue(sku)
            if queue.leave(str(order.id), "changed by the channel", trigger):
                batch.touch(queue)
        self.allocator.review_and_allocate(
            batch, order, self.reference.current(), waiting=was_allocated
        )

    # ------------------------------------------------------------------ operators
    def resolve_channel_change(
        self,
        order_id: UUID,
        update_no: int,
        kind: str,
        resolution: str,
        reason: str,
        by: str,
    ) -> tuple[Order, int]:
        """An operator applies a held change anyway (decided again on the order as it is
        now; refused, saying why, when it still cannot be) or dismisses it."""
        freed: list[str] = []

        def step(batch: IntakeBatch, order: Order) -> None:
            freed.clear()
            change = order.channel_change(update_no, kind)
            if change["status"] != "open":
                raise InvalidTransition(f"this {kind} was already {change['status']}")
            if resolution == "dismiss":
                order.resolve_channel_change(
                    update_no=update_no,
                    kind=kind,
                    resolution="dismissed",
                    reason=reason,
                    resolved_by=by,
                    action=None,
                    patch=None,
                    rules_version=UPDATE_RULES_VERSION,
                )
                return
            stored = self.personal.canonical(order.canonical)
            opened = self.personal.canonical(order.channel_update(update_no)["canonical"])
            received = comparable(stored, opened)
            freed.extend(
                self._decide_changes(
                    batch, order, update_no, [kind], stored, received, (by, reason)
                )
            )

        order, nid = self._change(order_id, step)
        if freed:
            self.release_after_commit(freed, {"kind": "channel_update", "order_id": str(order_id)})
        return order, nid

    def channel_exceptions(self, limit: int = 200) -> list[tuple[Order, dict[str, Any]]]:
        """Changes held for an operator and still open, oldest first: read from the log of
        held changes (few), each order read once."""
        seen: dict[UUID, None] = {}
        start = 0
        while True:
            found = self.store.recorder.select_notifications(
                start=start, limit=1000, topics=[HELD_TOPIC], inclusive_of_start=False
            )
            for n in found:
                seen[UUID(str(n.originator_id))] = None
            if len(found) < 1000:
                break
            start = found[-1].id
        out: list[tuple[Order, dict[str, Any]]] = []
        for order_id in seen:
            order = self.store.get_or_none(order_id)
            for entry in order.channel_updates if isinstance(order, Order) else ():
                for change in entry["changes"]:
                    if change["status"] == "open" and len(out) < limit:
                        out.append((order, {"update_no": entry["no"], **change}))
        return out


def without_personal_changes(stored: dict[str, Any], received: dict[str, Any]) -> dict[str, Any]:
    """The received order with the stored personal parts: the person was erased, and a resend
    from the channel does not record their data again (the clear address parts still count)."""
    ship_to = dict(received.get("ship_to") or {})
    ship_to.update(
        {k: v for k, v in (stored.get("ship_to") or {}).items() if k not in CLEAR_SHIP_TO}
    )
    return {**received, "customer": stored.get("customer"), "ship_to": ship_to}


def summary(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """What the channel is told of its update: each kind, applied or held, and why."""
    return [
        {
            "kind": c["kind"],
            "applied": c["applied"],
            "reason": c["reason"],
            "update_no": entry["no"],
        }
        for c in entry["changes"]
    ]
