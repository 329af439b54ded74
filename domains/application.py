"""The Crossdock application: use cases over the event store.

Commands gather facts, let the pure policies decide, record the decisions on the aggregates and
save everything one business step touched in ONE transaction (order, inventories, dealer). A
version conflict means another writer got there first: re-read and decide again.
Outside facts (FX, countries, cost table, the solver) come in through ports (domains/ports.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domains.common import DomainError, InvalidTransition, NotFound
from domains.customs.application import CUSTOMS_RULES_TOPICS, CustomsOps
from domains.log_cache import LogCached
from domains.orders import review as review_rules
from domains.orders.model import ALLOCATED, APPROVED, CANCELLED, HELD, Order, order_total
from domains.orders.split import (
    SplitLine,
    SplitProblem,
    SplitSolver,
    WarehouseOption,
    decide,
    describe,
)
from domains.ports import Clock, Countries, FxRates, ShippingCostTable
from domains.reference.model import (
    PRODUCT_FIELDS,
    PRODUCT_OPTIONAL,
    Dealer,
    Product,
    ProhibitedGoodsList,
    Registry,
    Warehouse,
)
from domains.settlement.application import SettlementOps
from domains.transport.application import RATE_CARD_TOPICS, TransportOps
from domains.warehouse.application import WarehouseOps
from domains.warehouse.lots import UNLOTTED, choose_lots, sellable
from domains.warehouse.model import Inventory
from domains.warehouse.picking import PickList

MAPPER_VERSION = 1
MAX_CONFLICT_RETRIES = 30
KNOWN_ORDERS_MAX = 200_000  # order ids remembered per process (about 30 MB)


class ValidationFailed(DomainError):
    """Bad input, answered 422. Each error names the field by its path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['loc']}: {e['msg']}" for e in errors))
        self.errors = errors


class DuplicateConflict(DomainError):
    """A different payload for an external id we already hold (409)."""

    def __init__(self, order_id: UUID, differences: list[dict[str, Any]]) -> None:
        super().__init__(f"order {order_id} exists with different content")
        self.order_id = order_id
        self.differences = differences


@dataclass
class Intake:
    """One order to take in: the channel's raw payload and its mapped canonical form."""

    channel: str
    raw_payload: Any
    canonical: dict[str, Any]
    source_paths: dict[str, str] = field(default_factory=dict)


@dataclass
class IntakeOutcome:
    order_id: UUID
    created: bool
    order: Order | None = None
    error: DomainError | None = None


def payload_hash(payload: Any) -> str:
    """SHA-256 of the payload serialised with sorted keys (so key order does not matter)."""
    try:
        text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)
    except (orjson.JSONEncodeError, TypeError):  # e.g. an integer beyond 64 bits
        return legacy_payload_hash(payload)
    return hashlib.sha256(text).hexdigest()


def legacy_payload_hash(payload: Any) -> str:
    """The hash orders stored before `payload_hash` moved to orjson (different bytes for
    non-ASCII text and some floats); still accepted, so a repeat of an order taken in then is
    recognised as the same payload."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Field-level differences between two JSON-like values, by path."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            sub = f"{path}.{key}" if path else str(key)
            out += diff(old.get(key), new.get(key), sub)
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            a = old[i] if i < len(old) else None
            b = new[i] if i < len(new) else None
            out += diff(a, b, f"{path}[{i}]")
        return out
    return [] if old == new else [{"path": path, "stored": old, "received": new}]


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


INVENTORY_TOPICS = [
    f"domains.warehouse.model:Inventory.{name}"
    for name in (
        "Opened",
        "Received",
        "Reserved",
        "ReservationReleased",
        "Picked",
        "ShortPicked",
        "Counted",
    )
]


DEALER_TOPICS = [
    f"domains.reference.model:Dealer.{name}"
    for name in ("Registered", "Revised", "CreditCommitted", "CreditReleased")
]
ORDER_RECEIVED_TOPIC = "domains.orders.model:Order.Received"

# Two half-stocked warehouses for one line: enough to make the split solver load and run.
_WARM_UP_SPLIT = SplitProblem(
    destination="US",
    currency="USD",
    lines=[SplitLine("WARM-UP", 2, 100)],
    options=[
        WarehouseOption("A", "US", {"WARM-UP": 1}, Decimal("5"), Decimal("1")),
        WarehouseOption("B", "US", {"WARM-UP": 1}, Decimal("6"), Decimal("1")),
    ],
)


REFERENCE_TOPICS = [
    f"domains.reference.model:{aggregate}.{name}"
    for aggregate, names in (
        ("Registry", ("Created", "Added")),
        ("Warehouse", ("Registered", "Revised")),
        ("Product", ("Registered", "Revised")),
        ("ProhibitedGoodsList", ("Created", "Published")),
    )
    for name in names
]


def _stored_ids(outcomes: list[IntakeOutcome]) -> Iterable[UUID]:
    """The orders of a saved batch that are now stored: taken in, repeated, or conflicting."""
    for o in outcomes:
        if o.order is not None or isinstance(o.error, DuplicateConflict):
            yield o.order_id


class IntakeFollower:
    """The intake path's own copy of the inventory and dealer streams (the aggregates intake
    changes besides the orders), kept current by reading the notification log ONCE per batch
    (one query for every writer's changes, any process) instead of re-reading each stream; no
    defensive copies, because only the intake path, under its lock, touches these objects. A failed save makes it forget what it changed.
    The same query brings the orders other processes took in, so a connector's retry that
    lands on another worker is known to be a repeat (see `Crossdock._known_orders`)."""

    def __init__(self, app: Crossdock) -> None:
        self.app = app
        self.position: int | None = None
        self.items: dict[UUID, Inventory | Dealer | None] = {}
        self.topics = [*INVENTORY_TOPICS, *DEALER_TOPICS, ORDER_RECEIVED_TOPIC]

    def refresh(self) -> None:
        if self.position is None:
            self.position = self.app.max_notification_id()
            return
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position, limit=1000, topics=self.topics, inclusive_of_start=False
            )
            received = []
            for n in notifications:
                if n.topic == ORDER_RECEIVED_TOPIC:
                    received.append(UUID(str(n.originator_id)))
                    continue
                item_id = UUID(str(n.originator_id))
                if item_id not in self.items:
                    continue
                current = self.items[item_id]
                if current is None or n.originator_version > current.version + 1:
                    del self.items[item_id]  # created meanwhile, or a gap: reload
                elif n.originator_version == current.version + 1:
                    self.app.mapper.to_domain_event(n).mutate(current)  # type: ignore[attr-defined]
                # Versions already held (our own saves) are skipped.
            self.app._remember(received)
            if notifications:
                self.position = notifications[-1].id
            if len(notifications) < 1000:
                return

    def saved(self, ids: list[int]) -> None:
        """Our own batch was just recorded under these notification ids. When they follow the
        position without a gap, nobody else wrote in between (SQLite and the PostgreSQL
        recorder both number notifications in commit order), so there is nothing to read
        back: the objects we hold already carry these events."""
        if self.position is None or not ids:
            return
        ordered = sorted(ids)
        if ordered[0] == self.position + 1 and ordered[-1] - ordered[0] + 1 == len(ordered):
            self.position = ordered[-1]

    def get(self, aggregate_id: UUID) -> Any:
        if aggregate_id not in self.items:
            self.items[aggregate_id] = self.app._get_or_none(aggregate_id)
        return self.items[aggregate_id]

    def preload(self, limit: int) -> int:
        """Loads up to `limit` inventory streams now; returns how many it holds. Streams written
        after the follower's position are brought up to date by `refresh` as usual."""
        self.refresh()
        held = sum(isinstance(item, Inventory) for item in self.items.values())
        start = 0
        while held < limit:
            opened = self.app.recorder.select_notifications(
                start=start,
                limit=min(1000, limit - held),
                topics=[INVENTORY_TOPICS[0]],  # Opened: one per stream
                inclusive_of_start=False,
            )
            for n in opened:
                item_id = UUID(str(n.originator_id))
                if item_id not in self.items:
                    held += self.get(item_id) is not None
            if not opened:
                break
            start = opened[-1].id
        return held

    def forget(self, ids: Iterable[UUID]) -> None:
        for i in ids:
            self.items.pop(i, None)


class _Batch:
    """Aggregates loaded once and shared by every order decided in one transaction."""

    def __init__(self, app: Crossdock, follower: IntakeFollower | None = None) -> None:
        self.app = app
        self.follower = follower
        self.inventories: dict[tuple[str, str], Inventory | None] = {}
        self.dealers: dict[str, Dealer] = {}
        self.touched: dict[UUID, Aggregate] = {}
        self.today = app.clock.now().date()  # one decision day for the whole batch
        self._lanes: dict[tuple[str, str], tuple[Decimal, Decimal, str]] = {}

    def lane_cost(self, origin: str, destination: str) -> tuple[Decimal, Decimal, str]:
        key = (origin, destination)
        cost = self._lanes.get(key)
        if cost is None:
            cost = self._lanes[key] = self.app.costs.estimate(origin, destination, self.today)
        return cost

    def inventory(self, warehouse_id: str, sku: str) -> Inventory | None:
        key = (warehouse_id, sku)
        if key not in self.inventories:
            inv_id = Inventory.create_id(warehouse_id, sku)
            self.inventories[key] = (
                self.follower.get(inv_id) if self.follower else self.app._get_or_none(inv_id)
            )
        return self.inventories[key]

    def dealer(self, code: str) -> Dealer:
        if code not in self.dealers:
            dealer_id = Dealer.create_id(code)
            dealer = (
                self.follower.get(dealer_id) if self.follower else self.app._get_or_none(dealer_id)
            )
            if dealer is None:
                raise NotFound("dealer", code)
            self.dealers[code] = dealer
        return self.dealers[code]

    def touch(self, *aggregates: Aggregate) -> None:
        for a in aggregates:
            self.touched[a.id] = a


class Crossdock(SettlementOps, CustomsOps, TransportOps, WarehouseOps, Application[UUID]):
    name = "Crossdock"
    snapshotting_intervals = {Order: 50, Inventory: 200, Dealer: 200, Registry: 200, PickList: 100}
    REFERENCE_TTL_S = 2.0

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        fx: FxRates,
        countries: Countries,
        costs: ShippingCostTable,
        split_solver: SplitSolver | None = None,
        clock: Clock | None = None,
        pick_router: Any = None,
        intake_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        """`intake_lock` serialises intake batches; by default within this process only.
        Processes sharing one store can pass a lock held across processes (adapters/), so their
        batches queue for it instead of deciding on the same stock and one of them redoing its
        whole batch after a version conflict."""
        super().__init__(env)
        self.clock: Clock = clock or _UtcClock()
        self.pick_router = pick_router
        self.fx = fx
        self.countries = countries
        self.costs = costs
        self.split_solver = split_solver
        self._reference = LogCached(self, REFERENCE_TOPICS, self._load_reference)
        self._rate_cards = LogCached(self, RATE_CARD_TOPICS, self._load_rate_cards)
        self._tariffs = LogCached(self, CUSTOMS_RULES_TOPICS, self._load_tariffs)
        self._intake_lock: AbstractContextManager[Any] = intake_lock or threading.Lock()
        self._follower = IntakeFollower(self)
        # Orders this process has taken in, seen stored, or seen other processes take in since
        # it started (oldest first). Intake assumes an order is new unless it is listed here; a
        # repeat it does not know (stored before this process started) costs a failed save and
        # a second pass of its batch.
        self._known_orders: dict[UUID, None] = {}

    # ------------------------------------------------------------------ helpers
    def _get_or_none(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _read_fresh(self, aggregate_id: UUID) -> Any:
        """Like `_get_or_none`, but rebuilt from the store (snapshot and events) past the
        repository's cache: for an order that is only compared and answered with, the cache's
        defensive deep copy costs more than the read, and the cached object itself may be
        fast-forwarded by another thread while it is being answered with."""
        try:
            return self.repository.get(aggregate_id, version=sys.maxsize)
        except AggregateNotFoundError:
            return None

    def _save(self, *aggregates: Aggregate | None) -> int:
        """Records the aggregates' pending events in one transaction; returns the highest
        notification id."""
        return max(self._save_ids(*aggregates), default=0)

    def _save_ids(self, *aggregates: Aggregate | None) -> list[int]:
        """Like `Application.save` for our own aggregates, without its runtime Protocol checks
        per object (a measurable share of batched intake); returns the notification ids."""
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            if aggregate is None:
                continue
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        recordings = self._record(processing)
        self._take_snapshots(processing)
        self._notify(recordings)
        return [r.notification.id for r in recordings]

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots the saved aggregates whose new events crossed a snapshotting interval.
        The aggregate in memory IS the recorded state (its events were just saved), so it is
        snapshotted as it stands instead of being read back from the store."""
        if not (self.snapshots and self.snapshotting_intervals):
            return
        first: dict[UUID, int] = {}
        for e in processing_event.events:
            if e.originator_id not in first:
                first[e.originator_id] = e.originator_version
        snapshots = []
        for aggregate_id, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or aggregate_id not in first:
                continue
            if aggregate.version // interval * interval >= first[aggregate_id]:
                snapshot_class: Any = type(aggregate).Snapshot  # type: ignore[attr-defined]
                snapshots.append(snapshot_class.take(aggregate))
        if snapshots:
            self.snapshots.put(snapshots)

    def max_notification_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    # ------------------------------------------------------------ reference data
    def _registry(self) -> Registry:
        registry = self._get_or_none(Registry.create_id())
        return registry if registry is not None else Registry()

    def changed_since(self, position: int, topics: list[str]) -> bool:
        """Whether any event of these topics was recorded after `position` (one indexed look at
        the notification log): how cached reference data notices other processes' changes."""
        return bool(
            self.recorder.select_notifications(
                start=position, limit=1, topics=topics, inclusive_of_start=False
            )
        )

    def warm_up(self, inventories: int = 10_000) -> dict[str, Any]:
        """Loads at start what the first orders would otherwise wait for (about 130 ms on the
        demo data): reference data, rate cards and today's lane costs between the warehouses'
        countries, up to `inventories` inventory streams, the dealers, and the split solver.
        Returns what was loaded and how long it took."""
        started = time.perf_counter()
        ref = self.reference()
        with self._intake_lock:
            loaded = self._follower.preload(inventories)
            for code in ref["dealers"]:
                self._follower.get(Dealer.create_id(code))
        countries = sorted({w.country for w in ref["warehouses"].values()})
        today = self.clock.now().date()
        for origin in countries:
            for destination in countries:
                self.costs.estimate(origin, destination, today)
        if self.split_solver is not None:
            self.split_solver(_WARM_UP_SPLIT, None)
        return {"inventories": loaded, "ms": round((time.perf_counter() - started) * 1000, 1)}

    def reference(self) -> dict[str, Any]:
        """Warehouses, products and the prohibited list, cached (they change rarely; see
        domains/log_cache.py: reloading everything every few seconds stalled intake)."""
        return self._reference.get()

    def _load_reference(self) -> dict[str, Any]:
        registry = self._registry()
        warehouses: dict[str, Warehouse] = {
            code: self.repository.get(Warehouse.create_id(code))
            for code in registry.entries["warehouse"]
        }
        products: dict[str, Product] = {
            sku: self.repository.get(Product.create_id(sku)) for sku in registry.entries["product"]
        }
        prohibited = self._get_or_none(ProhibitedGoodsList.create_id())
        return {
            "warehouses": warehouses,
            "products": products,
            "dealers": list(registry.entries["dealer"]),
            "prohibited": prohibited,
        }

    def invalidate_reference(self) -> None:
        self._reference.invalidate()

    def _upsert(self, kind: str, cls: Any, key: str, values: dict[str, Any]) -> tuple[Any, bool]:
        registry = self._registry()
        current = self._get_or_none(cls.create_id(key))
        if current is None:
            aggregate = cls(key, **values)
            registry.add(kind, key)
            self._save(aggregate, registry)
            self.invalidate_reference()
            return aggregate, True
        changes = {k: v for k, v in values.items() if getattr(current, k) != v}
        if not changes:
            return current, False
        current.revise(changes)
        registry.add(kind, key)
        self._save(current, registry)
        self.invalidate_reference()
        return current, True

    def register_warehouse(
        self,
        code: str,
        name: str,
        country: str,
        city: str,
        address: str,
        layout: dict[str, Any] | None = None,
    ) -> tuple[Warehouse, bool]:
        values = {"name": name, "country": country, "city": city, "address": address}
        warehouse, changed = self._upsert("warehouse", Warehouse, code, values)
        if layout is not None and warehouse.layout != layout:
            warehouse.revise({"layout": layout})
            self._save(warehouse)
            self.invalidate_reference()
            changed = True
        return warehouse, changed

    def register_product(self, sku: str, **values: Any) -> tuple[Product, bool]:
        missing = [f for f in PRODUCT_FIELDS if f not in values]
        if missing:
            raise ValidationFailed([{"loc": f, "msg": "field required"} for f in missing])
        product, changed = self._upsert(
            "product", Product, sku, {f: values[f] for f in PRODUCT_FIELDS}
        )
        # Optional settings travel as a revision, so the Registered event keeps its shape.
        extra = {
            f: values[f]
            for f in PRODUCT_OPTIONAL
            if f in values and values[f] is not None and getattr(product, f) != values[f]
        }
        if extra:
            product.revise(extra)
            self._save(product)
            self.invalidate_reference()
            changed = True
        return product, changed

    def register_dealer(
        self,
        code: str,
        name: str,
        credit_limit: Decimal,
        currency: str,
        regions: list[str],
        unpaid_balance: Decimal,
    ) -> tuple[Dealer, bool]:
        values = {
            "name": name,
            "credit_limit": credit_limit,
            "currency": currency,
            "regions": list(regions),
            "unpaid_balance": unpaid_balance,
        }
        return self._upsert("dealer", Dealer, code, values)

    def publish_prohibited(
        self, rules: dict[str, list[dict[str, str]]], source: str
    ) -> tuple[ProhibitedGoodsList, bool]:
        current = self._get_or_none(ProhibitedGoodsList.create_id())
        if current is None:
            current = ProhibitedGoodsList()
        elif current.rules == rules:
            return current, False
        current.publish(rules=rules, source=source)
        self._save(current)
        self.invalidate_reference()
        return current, True

    def get_dealer(self, code: str) -> Dealer:
        dealer = self._get_or_none(Dealer.create_id(code))
        if dealer is None:
            raise NotFound("dealer", code)
        return dealer

    def receive_stock(
        self,
        warehouse_id: str,
        sku: str,
        quantity: int,
        receipt_ref: str,
        lot: str | None = None,
        bin_code: str | None = None,
        expiry: str | None = None,
    ) -> int:
        """An admin stock receipt (opening balances, transfers in). Without a bin, goods go
        where the putaway policy suggests. Idempotent per receipt reference."""
        ref = self.reference()
        warehouse = ref["warehouses"].get(warehouse_id)
        if warehouse is None:
            raise NotFound("warehouse", warehouse_id)
        if sku not in ref["products"]:
            raise NotFound("product", sku)
        lot = lot or UNLOTTED

        def attempt(touched: dict[UUID, Aggregate]) -> None:
            inventory = self._get_or_none(Inventory.create_id(warehouse_id, sku))
            if inventory is None:
                inventory = Inventory(warehouse_id, sku)
            elif receipt_ref in inventory.receipts or f"{receipt_ref}#1" in inventory.receipts:
                return
            if bin_code is None and warehouse.layout:
                placements = self.plan_putaway(warehouse_id, sku, quantity, lot)
                for n, (target, units, _why) in enumerate(placements, start=1):
                    inventory.receive(
                        units, f"{receipt_ref}#{n}", lot=lot, bin=target, expiry=expiry
                    )
            else:
                inventory.receive(quantity, receipt_ref, lot=lot, bin=bin_code, expiry=expiry)
            touched[inventory.id] = inventory

        return int(self._retry(attempt)[1])

    def bin_contents(self, warehouse_id: str) -> dict[str, list[dict[str, Any]]]:
        """What each bin holds now, read from the inventory streams (the source of truth)."""
        contents: dict[str, list[dict[str, Any]]] = {}
        for sku in self.reference()["products"]:
            inv = self._get_or_none(Inventory.create_id(warehouse_id, sku))
            for lot in inv.lots.values() if inv else []:
                if lot["bin"] and lot["on_hand"] > 0:
                    contents.setdefault(lot["bin"], []).append(
                        {
                            "sku": sku,
                            "lot": lot["lot"],
                            "quantity": lot["on_hand"],
                            "expiry": lot["expiry"],
                            "reserved": lot["reserved"],
                        }
                    )
        return contents

    # ------------------------------------------------------------ validation
    def validate(self, item: Intake, batch: _Batch | None = None) -> None:
        """Reference checks after structural mapping: unknown SKU, country, currency, dealer."""
        ref = self.reference()
        c = item.canonical
        errors: list[dict[str, str]] = []

        def err(loc: str, msg: str) -> None:
            e = {"loc": loc, "msg": msg}
            if loc in item.source_paths and item.source_paths[loc] != loc:
                e["source"] = item.source_paths[loc]
            errors.append(e)

        country = (c.get("ship_to") or {}).get("country") or ""
        if not self.countries.is_country(country):
            err("ship_to.country", f"{country!r} is not an ISO 3166-1 alpha-2 country code")
        currency = c.get("currency") or ""
        if not self.fx.is_currency(currency):
            err("currency", f"{currency!r} is not an ISO 4217 currency code")
        lines = c.get("lines") or []
        if not lines:
            err("lines", "an order needs at least one line")
        for i, line in enumerate(lines):
            if line.get("sku") not in ref["products"]:
                err(f"lines[{i}].sku", f"unknown SKU {line.get('sku')!r}")
            q = line.get("quantity")
            if not isinstance(q, int) or isinstance(q, bool) or q <= 0:
                err(f"lines[{i}].quantity", f"quantity must be a positive integer, got {q!r}")
            try:
                if Decimal(str(line.get("unit_price"))) < 0:
                    err(f"lines[{i}].unit_price", "unit price must not be negative")
            except ArithmeticError:
                err(f"lines[{i}].unit_price", f"not a decimal amount: {line.get('unit_price')!r}")
        dealer_id = c.get("dealer_id")
        if item.channel == "dealer" and not dealer_id:
            err("dealer_id", "dealer orders need a dealer_id")
        if dealer_id and dealer_id not in ref["dealers"]:
            err("dealer_id", f"unknown dealer {dealer_id!r}")
        elif dealer_id and self.fx.is_currency(currency):
            dealer_currency = (
                batch.dealer(dealer_id) if batch else self.get_dealer(dealer_id)
            ).currency
            if currency != dealer_currency and not (
                self.fx.has_rate(currency) and self.fx.has_rate(dealer_currency)
            ):
                err("currency", f"no ECB rate to convert {currency} into {dealer_currency}")
        if errors:
            raise ValidationFailed(errors)

    # ------------------------------------------------------------ intake
    def intake(self, item: Intake) -> tuple[IntakeOutcome, int]:
        """Take in one order (validate, receive, review, split, reserve). Idempotent."""
        outcomes, nid = self.intake_batch([item])
        outcome = outcomes[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome, nid

    def intake_batch(
        self, items: list[Intake], *, all_or_nothing: bool = False
    ) -> tuple[list[IntakeOutcome], int]:
        """Many orders, ONE transaction (group commit). Per-item errors are returned, not raised;
        with `all_or_nothing`, one bad item means nothing at all is stored.

        On a version conflict the whole batch is decided again from fresh state. The first
        attempt assumes an order is new unless this process knows it is stored (a stored one
        makes the save fail on its version 1), which saves a read per order in the common case
        and keeps a connector's retry from costing its whole batch a second pass."""
        with self._intake_lock:
            follower = self._follower
            for attempt in range(MAX_CONFLICT_RETRIES):
                follower.refresh()
                batch = _Batch(self, follower)
                try:
                    outcomes = [self._decide_intake(batch, item, attempt > 0) for item in items]
                except InvalidTransition:
                    follower.forget(batch.touched)
                    if attempt == 0:
                        continue  # e.g. credit already committed: the order exists after all
                    raise
                except BaseException:
                    follower.forget(batch.touched)
                    raise
                if (all_or_nothing and any(o.error for o in outcomes)) or not batch.touched:
                    follower.forget(batch.touched)
                    if not batch.touched:  # repeats only: all of them are stored
                        self._remember(_stored_ids(outcomes))
                    return outcomes, 0
                try:
                    ids = self._save_ids(*batch.touched.values())
                    follower.saved(ids)
                    self._remember(_stored_ids(outcomes))
                    return outcomes, max(ids, default=0)
                except IntegrityError:
                    # Another writer won (a duplicate order, a stock or credit conflict):
                    # drop what this attempt changed in memory and decide again.
                    follower.forget(batch.touched)
                    time.sleep(0.001 * attempt)
            raise InvalidTransition("the order kept conflicting with concurrent writers; retry")

    def _remember(self, order_ids: Iterable[UUID]) -> None:
        known = self._known_orders
        for order_id in order_ids:
            known[order_id] = None
        if len(known) > KNOWN_ORDERS_MAX:  # forget the oldest half
            for order_id in list(itertools.islice(known, len(known) // 2)):
                del known[order_id]

    def _decide_intake(
        self, batch: _Batch, item: Intake, check_store: bool = True
    ) -> IntakeOutcome:
        canonical = item.canonical
        external_id = str(canonical.get("external_id") or "")
        order_id = Order.create_id(item.channel, external_id)
        try:
            self.validate(item, batch)
        except ValidationFailed as exc:
            return IntakeOutcome(order_id, False, error=exc)
        digest = payload_hash(item.raw_payload)
        existing: Order | None = batch.touched.get(order_id)  # type: ignore[assignment]
        if existing is None and (check_store or order_id in self._known_orders):
            existing = self._read_fresh(order_id)
        if existing is not None:
            if existing.payload_hash == digest or (
                existing.payload_hash == legacy_payload_hash(item.raw_payload)
            ):
                return IntakeOutcome(order_id, False, order=existing)
            return IntakeOutcome(
                order_id,
                False,
                error=DuplicateConflict(order_id, diff(existing.canonical, canonical)),
            )
        order = Order(
            channel=item.channel,
            external_id=external_id,
            raw_payload=item.raw_payload,
            payload_hash=digest,
            canonical=canonical,
            mapper_version=MAPPER_VERSION,
        )
        batch.touch(order)
        self._review_and_allocate(batch, order)
        return IntakeOutcome(order_id, True, order=order)

    def _merged_lines(self, order: Order) -> dict[str, int]:
        merged: dict[str, int] = {}
        for line in order.canonical["lines"]:
            merged[line["sku"]] = merged.get(line["sku"], 0) + int(line["quantity"])
        return merged

    def _review_and_allocate(self, batch: _Batch, order: Order) -> None:
        ref = self.reference()
        c = order.canonical
        ship_to = c["ship_to"]
        country = ship_to["country"]
        merged = self._merged_lines(order)
        warehouses = ref["warehouses"]
        products = ref["products"]
        today = batch.today
        # Units each warehouse can sell now, per SKU of the order (only where it has some).
        availability: dict[str, dict[str, int]] = {}
        totals = dict.fromkeys(merged, 0)
        for code in warehouses:
            held: dict[str, int] = {}
            for sku in merged:
                inv = batch.inventory(code, sku)
                if inv is None:
                    continue
                p = products[sku]
                free = sellable(inv.lots, p.perishable, p.min_shelf_life_days, today)
                if free > 0:
                    held[sku] = free
                    totals[sku] += free
            if held:
                availability[code] = held
        prohibited = ref["prohibited"]
        lines = [
            review_rules.LineFacts(
                sku=sku,
                quantity=qty,
                hs_code=products[sku].hs_code,
                available_total=totals[sku],
            )
            for sku, qty in merged.items()
        ]
        matches = {
            sku: (prohibited.matches(country, products[sku].hs_code) if prohibited else [])
            for sku in merged
        }
        dealer = None
        dealer_facts = None
        if order.dealer_id:
            dealer = batch.dealer(order.dealer_id)
            rate, rate_date = self.fx.rate(
                c["currency"], dealer.currency, datetime.fromisoformat(c["placed_at"]).date()
            )
            dealer_facts = review_rules.DealerFacts(
                dealer_id=dealer.code,
                credit_limit=dealer.credit_limit,
                currency=dealer.currency,
                unpaid_balance=dealer.unpaid_balance,
                open_orders_total=dealer.open_orders_total,
                regions=list(dealer.regions),
                order_total_in_dealer_currency=(order.total * rate).quantize(Decimal("0.01")),
                fx_rate=rate,
                fx_rate_date=rate_date.isoformat(),
            )
        facts = review_rules.ReviewFacts(
            country=country,
            country_valid=self.countries.is_country(country),
            region=ship_to.get("region"),
            postcode=ship_to.get("postcode"),
            lines=lines,
            prohibited_matches=matches,
            prohibited_list_version=prohibited.version if prohibited else 0,
            dealer=dealer_facts,
            overrides=list(order.overrides),
        )
        results, outcome = review_rules.review(facts)
        order.record_review(rules=results, outcome=outcome)
        if outcome != APPROVED:
            return
        problem = SplitProblem(
            destination=country,
            currency="USD",
            lines=[SplitLine(s, q, products[s].unit_weight_g) for s, q in merged.items()],
            options=[
                WarehouseOption(
                    warehouse_id=code,
                    country=warehouses[code].country,
                    available=held,
                    fixed_cost=lane[0],
                    per_kg_cost=lane[1],
                )
                for code, held in availability.items()
                for lane in (batch.lane_cost(warehouses[code].country, country),)
            ],
        )
        plan, solver_used = decide(problem, self.split_solver)
        if not plan.allocations:
            order.backorder(
                shortages=[{"sku": ln.sku, "short": ln.quantity} for ln in problem.lines]
            )
            return
        order_key = str(order.id)
        for warehouse_id, units in plan.allocations.items():
            for sku, qty in units.items():
                inv = batch.inventory(warehouse_id, sku)
                assert inv is not None  # the plan only uses stock that exists
                p = products[sku]
                lots, short = choose_lots(inv.lots, qty, p.perishable, p.min_shelf_life_days, today)
                assert short == 0  # availability above counted exactly these lots
                inv.reserve(
                    order_key,
                    qty,
                    allocations=lots,
                    policy="FEFO" if p.perishable else "FIFO",
                    as_of=today.isoformat(),
                )
                batch.touch(inv)
        order.record_split(describe(problem, plan, solver_used))
        if dealer is not None:
            dealer.commit_credit(order_key, dealer_facts.order_total_in_dealer_currency)  # type: ignore[union-attr]
            batch.touch(dealer)

    # ------------------------------------------------------------ order commands
    def get_order(self, order_id: UUID) -> Order:
        order = self._get_or_none(order_id)
        if order is None or not isinstance(order, Order):
            raise NotFound("order", str(order_id))
        return order

    def _release_allocation(self, batch: _Batch, order: Order) -> None:
        key = str(order.id)
        for shipment in order.shipments:
            for line in shipment["lines"]:
                inv = batch.inventory(shipment["warehouse_id"], line["sku"])
                if inv is not None and inv.release(key):
                    batch.touch(inv)
        if order.dealer_id:
            dealer = batch.dealer(order.dealer_id)
            if key in dealer.open_orders:
                dealer.release_credit(key)
                batch.touch(dealer)

    def _retrying(self, order_id: UUID, step: Any) -> tuple[Order, int]:
        def attempt(touched: dict[UUID, Aggregate]) -> Order:
            batch = _Batch(self)
            order = self.get_order(order_id)
            step(batch, order)
            batch.touch(order)
            touched.update(batch.touched)
            return order

        order: Order
        order, nid = self._retry(attempt)
        return order, nid

    def release_order(self, order_id: UUID, reason: str, by: str) -> tuple[Order, int]:
        """An admin lifts a hold: the held rules are overridden and the order is decided again."""

        def step(batch: _Batch, order: Order) -> None:
            order.release(reason=reason, released_by=by)
            self._review_and_allocate(batch, order)

        return self._retrying(order_id, step)

    def cancel_order(self, order_id: UUID, reason: str, by: str) -> tuple[Order, int]:
        def step(batch: _Batch, order: Order) -> None:
            if order.status == ALLOCATED:
                self._release_allocation(batch, order)
            order.cancel(reason=reason, cancelled_by=by)

        return self._retrying(order_id, step)

    # ------------------------------------------------------------ history
    def order_events(self, order_id: UUID) -> list[Any]:
        events = list(self.events.get(order_id))
        if not events:
            raise NotFound("order", str(order_id))
        return events

    def order_at(self, order_id: UUID, at: datetime) -> Order:
        """The order as it stood at time `at` (time travel)."""
        events = self.order_events(order_id)
        version = None
        for e in events:
            if e.timestamp <= at:
                version = e.originator_version
        if version is None:
            raise NotFound("order", f"{order_id} at {at.isoformat()}")
        return self.repository.get(order_id, version=version)

    def stock_of(self, pairs: Iterable[tuple[str, str]]) -> list[Inventory]:
        out = []
        for warehouse_id, sku in pairs:
            inv = self._get_or_none(Inventory.create_id(warehouse_id, sku))
            if inv is not None:
                out.append(inv)
        return out


__all__ = [
    "ALLOCATED",
    "APPROVED",
    "CANCELLED",
    "HELD",
    "Crossdock",
    "DuplicateConflict",
    "Intake",
    "IntakeOutcome",
    "ValidationFailed",
    "order_total",
]
