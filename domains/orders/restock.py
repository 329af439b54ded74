"""Backorders that release themselves, and the pre-sale settings.

Whenever stock arrives (a receipt, an inbound received, a count up, a cancellation giving
stock back), the command that recorded it calls `release_backorders` AFTER its commit: the
orders waiting for those SKUs (domains/orders/backorders.py, the index written with every hold)
are re-examined oldest first under the same rules as intake (review, split, reservation), in
batches of one transaction each, retried from fresh reads on a version conflict. An order is
re-examined only when the stock now sellable could cover what it waits for (no event noise on
the others), and its `StockReexamined` event names what arrived (the trigger).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeGuard
from uuid import UUID

from eventsourcing.application import project_aggregate

from domains.common import InvalidTransition, ValidationFailed
from domains.orders.allocation import Allocator, merged_lines, sellable_stock
from domains.orders.backorders import BackorderQueue
from domains.orders.intake import IntakeBatch
from domains.orders.model import ALLOCATED, HELD, Order
from domains.orders.presale import PresaleSettings
from domains.reference.application import ReferenceUseCases
from domains.store import Store, retry_on_conflict

RELEASE_BATCH = 200  # orders re-examined per transaction


def held_for_stock(order: Any) -> TypeGuard[Order]:
    return (
        isinstance(order, Order)
        and order.status == HELD
        and any(h["rule"] == "stock" for h in order.hold_reasons)
    )


class BackorderUseCases:
    """Mixed into `OrderUseCases` (domains/orders/application.py), which provides these."""

    store: Store
    reference: ReferenceUseCases
    allocator: Allocator

    def _batch(self, follower: Any = None) -> IntakeBatch:
        raise NotImplementedError

    # ------------------------------------------------------------------ reads
    def _queues(self, skus: Iterable[str] | None) -> list[BackorderQueue]:
        names = (
            sorted(set(skus)) if skus is not None else sorted(self.reference.current()["products"])
        )
        out = []
        for sku in names:
            queue = self.store.get_or_none(BackorderQueue.create_id(sku))
            if queue is not None and queue.waiting:
                out.append(queue)
        return out

    def waiting_for_stock(self, skus: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Orders held for stock, oldest first: {order_id, held_at, destination, channel,
        lines: {sku: qty}} (what a transfer proposal weighs)."""
        seen: dict[str, dict[str, Any]] = {}
        for queue in self._queues(skus):
            for order_id, entry in queue.waiting.items():
                if order_id not in seen or entry["held_at"] < seen[order_id]["held_at"]:
                    seen[order_id] = {
                        "order_id": order_id,
                        "held_at": entry["held_at"],
                        "destination": entry["destination"],
                        "channel": entry["channel"],
                        "lines": dict(entry["lines"]),
                    }
        return sorted(seen.values(), key=lambda e: (e["held_at"], e["order_id"]))

    # ------------------------------------------------------------------ release
    def release_backorders(
        self,
        skus: Iterable[str] | None = None,
        trigger: dict[str, Any] | None = None,
        batch_size: int = RELEASE_BATCH,
    ) -> dict[str, Any]:
        """Re-examines the orders held for stock of `skus` (all SKUs when None), oldest first.
        Answers {"released", "still_waiting", "dropped", "examined", "batches", "conflicts"}."""
        trigger = trigger or {"kind": "stock"}
        skus = None if skus is None else sorted(set(skus))
        unknown = [s for s in skus or [] if s not in self.reference.current()["products"]]
        if unknown:
            raise ValidationFailed(
                [{"loc": "skus", "msg": f"unknown SKU {s!r}"} for s in unknown]
            )
        totals = {"released": 0, "dropped": 0, "examined": 0, "batches": 0, "conflicts": 0}
        done: set[str] = set()  # examined in this call: not again in a later batch
        conflicts = [0]

        def attempt(_: int) -> dict[str, Any]:
            return self._release_batch(skus, trigger, batch_size, done)

        def on_conflict() -> None:
            conflicts[0] += 1

        while True:
            result = retry_on_conflict(attempt, on_conflict=on_conflict)
            for key in ("released", "dropped", "examined"):
                totals[key] += result[key]
            totals["batches"] += 1
            done.update(result["ids"])
            if not result["more"]:
                break
        totals["conflicts"] = conflicts[0]
        totals["still_waiting"] = len(self.waiting_for_stock(skus))
        return totals

    def release_after_commit(
        self, skus: Iterable[str] | None, trigger: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """What a stock command calls once its own transaction committed. The stock is
        recorded whatever happens here, so a release that keeps conflicting with other
        writers does not turn that command into an error: the orders stay in their queues
        (nothing is lost) and the answer says the release is pending; the next stock to
        arrive, `POST /v1/backorders/release` or `crossdock backorders release` resumes it."""
        try:
            return self.release_backorders(skus, trigger)
        except InvalidTransition as exc:
            return {"pending": True, "reason": str(exc), "skus": sorted(set(skus or []))}

    def _release_batch(
        self,
        skus: list[str] | None,
        trigger: dict[str, Any],
        batch_size: int,
        done: set[str],
    ) -> dict[str, Any]:
        """One transaction: up to `batch_size` waiting orders that the sellable stock could
        cover, decided again from fresh reads; queues updated in the same save."""
        ref = self.reference.current()
        batch = self._batch()
        queues = {q.sku: q for q in self._queues(skus)}
        for sku, queue in queues.items():
            batch.queues[sku] = queue
        waiting: dict[str, tuple[str, int]] = {}
        for queue in queues.values():
            for order_id, entry in queue.waiting.items():
                key = (entry["held_at"], entry["seq"])
                if order_id not in done and (order_id not in waiting or key < waiting[order_id]):
                    waiting[order_id] = key
        ids: list[str] = []
        released = dropped = 0
        exhausted: set[str] = set()  # SKUs with nothing sellable left
        for order_id in sorted(waiting, key=waiting.__getitem__):
            if len(ids) >= batch_size:
                break
            entry_lines = next(
                q.waiting[order_id]["lines"] for q in queues.values() if order_id in q.waiting
            )
            if exhausted & set(entry_lines):
                continue
            availability, free = sellable_stock(batch, ref, entry_lines)
            short = [s for s, qty in entry_lines.items() if free[s] < qty]
            if short:
                exhausted.update(s for s in short if free[s] == 0)
                continue  # still waiting; nothing recorded
            ids.append(order_id)
            order = self._read_order(UUID(order_id))
            if not held_for_stock(order):
                self._leave(batch, order_id, entry_lines, "no longer held for stock", trigger)
                dropped += 1
                continue
            order.reexamine_for_stock(trigger=trigger)
            batch.touch(order)
            self.allocator.review_and_allocate(batch, order, ref, waiting=True)
            if order.status == ALLOCATED:
                self._leave(batch, order_id, merged_lines(order), ALLOCATED, trigger)
                released += 1
            elif not held_for_stock(order):
                self._leave(batch, order_id, merged_lines(order), order.status, trigger)
        more = len(ids) >= batch_size
        if batch.touched:
            self.store.commit(*batch.touched.values())
        return {
            "released": released,
            "dropped": dropped,
            "examined": len(ids),
            "ids": ids,
            "more": more,
        }

    def _read_order(self, order_id: UUID) -> Order | None:
        """The order from its events alone: one query (an order waiting for stock has a few
        events, below its snapshot interval), no copy out of the repository's cache."""
        order = project_aggregate(None, self.store.events.get(order_id))
        return order if isinstance(order, Order) else None

    @staticmethod
    def _leave(
        batch: IntakeBatch,
        order_id: str,
        lines: dict[str, int],
        outcome: str,
        trigger: dict[str, Any],
    ) -> None:
        for sku in lines:
            queue = batch.queues.get(sku)
            if queue is not None and queue.leave(order_id, outcome, trigger):
                batch.touch(queue)

    # ------------------------------------------------------------------ pre-sale settings
    def presale_settings(self) -> PresaleSettings:
        settings = self.store.get_or_none(PresaleSettings.create_id())
        return settings if settings is not None else PresaleSettings()

    def set_presale(
        self,
        rules: list[dict[str, Any]],
        handling_days: dict[str, int],
        published_by: str,
        note: str,
    ) -> tuple[PresaleSettings, int]:
        """Publishes a new version of the pre-sale settings ([{channel, sku, cap}], handling
        days per warehouse), replacing the previous one; unknown SKUs or warehouses are
        refused whole (422 naming them). Answers the settings and the notification id."""
        ref = self.reference.latest()
        errors = []
        table: dict[str, dict[str, dict[str, Any]]] = {}
        for i, r in enumerate(rules):
            if r["sku"] not in ref["products"]:
                errors.append({"loc": f"rules[{i}].sku", "msg": f"unknown SKU {r['sku']!r}"})
            if r["sku"] in table.get(r["channel"], {}):
                errors.append({"loc": f"rules[{i}]", "msg": "channel and SKU listed twice"})
            table.setdefault(r["channel"], {})[r["sku"]] = {"cap": r.get("cap")}
        for code in handling_days:
            if code not in ref["warehouses"]:
                errors.append(
                    {"loc": f"handling_days.{code}", "msg": f"unknown warehouse {code!r}"}
                )
        if errors:
            raise ValidationFailed(errors)

        def step(touched: dict[UUID, Any]) -> PresaleSettings:
            settings = self.presale_settings()
            if settings.rules != table or settings.handling_days != handling_days:
                settings.publish(
                    rules=table,
                    handling_days=dict(handling_days),
                    published_by=published_by,
                    note=note,
                )
                touched[settings.id] = settings
            return settings

        return self.store.retry(step)


__all__ = ["BackorderUseCases", "held_for_stock"]
