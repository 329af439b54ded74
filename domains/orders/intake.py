"""The intake path's machinery: what one order to take in is, how a repeat is recognised, and
the aggregates a batch of orders shares (loaded once per transaction: group commit).

Kept apart from the order use cases (domains/orders/application.py) because it is about speed:
intake reads the notification log once per batch instead of re-reading every stream.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate

from domains.common import DomainError, NotFound
from domains.orders.amounts import complete_amounts
from domains.orders.backorders import BACKORDER_TOPICS, BackorderQueue
from domains.orders.lanes import LaneOffers, LanePricer
from domains.orders.model import Order
from domains.orders.presale import PRESALE_TOPICS, PresaleSettings
from domains.orders.risk import DEFAULT_SETTINGS as RISK_DEFAULTS
from domains.orders.risk_history import RISK_TOPICS, RiskSettings, Seen
from domains.ports import LaneOffer, ShippingCostTable
from domains.reference.model import Dealer
from domains.store import Store
from domains.warehouse.model import Inventory

KNOWN_ORDERS_MAX = 200_000  # order ids remembered per process (about 30 MB)


class DuplicateConflict(DomainError):
    """The external id of an order we hold, for another buyer or marketplace (409): an
    identity clash, not an update (domains/orders/updates.py `identity_clash`)."""

    def __init__(self, order_id: UUID, differences: list[dict[str, Any]]) -> None:
        super().__init__(f"order {order_id} exists for another buyer or marketplace")
        self.order_id = order_id
        self.differences = differences


@dataclass
class Intake:
    """One order to take in: the channel's raw payload and its mapped canonical form.
    `fingerprints`: what identifies a repeat when it is not the raw payload (a dealer file's
    order: its canonical form, then the form older code recorded, domains/orders/dealer_files.py);
    the first one's hash is recorded."""

    channel: str
    raw_payload: Any
    canonical: dict[str, Any]
    source_paths: dict[str, str] = field(default_factory=dict)
    fingerprints: tuple[Any, ...] = ()

    @property
    def fingerprint(self) -> Any:
        return self.fingerprints[0] if self.fingerprints else self.raw_payload

    def repeats(self, stored_hash: str, digest: str) -> bool:
        """Whether an order recorded with `stored_hash` is this one again (`digest`: the hash
        of this one's fingerprint), also as hashed by older code."""
        if stored_hash == digest:
            return True
        forms = self.fingerprints or (self.raw_payload,)
        return any(
            stored_hash == legacy_payload_hash(form)
            or (i > 0 and stored_hash == payload_hash(form))
            for i, form in enumerate(forms)
        )

    def __post_init__(self) -> None:
        # Payloads without amounts (web, dealer CSV) get them from their lines. A dealer
        # order's raw payload IS its canonical dict: completed on a copy, so the raw payload
        # (and its hash, which recognises a resend) stays as the dealer sent it.
        if self.canonical is self.raw_payload:
            self.canonical = copy.deepcopy(self.canonical)
        complete_amounts(self.canonical)


@dataclass
class IntakeOutcome:
    order_id: UUID
    created: bool
    order: Order | None = None
    error: DomainError | None = None
    # An update from the channel (domains/orders/channel_intake.py): each change applied or
    # held, and the SKUs whose stock it gave back (released to waiting orders after commit).
    updates: list[dict[str, Any]] = field(default_factory=list)
    freed: list[str] = field(default_factory=list)


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
        "InboundExpected",
        "InboundRescheduled",
        "PresaleReserved",
        "PresaleReleased",
        "InboundReceived",
        "InboundCancelled",
        "ShippedOut",
    )
]
DEALER_TOPICS = [
    f"domains.reference.model:Dealer.{name}"
    for name in (
        "Registered",
        "Revised",
        "CreditCommitted",
        "CreditReleased",
        "CreditInvoiced",
        "CreditRepaid",
    )
]
ORDER_RECEIVED_TOPIC = "domains.orders.model:Order.Received"


class KnownOrders:
    """Orders this process has taken in, seen stored, or seen other processes take in since it
    started (oldest first). Intake assumes an order is new unless it is listed here; a repeat
    it does not know (stored before this process started) costs a failed save and a second
    pass of its batch."""

    def __init__(self, limit: int = KNOWN_ORDERS_MAX) -> None:
        self.limit = limit
        self._ids: dict[UUID, None] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._ids

    def remember(self, order_ids: Iterable[UUID]) -> None:
        known = self._ids
        for order_id in order_ids:
            known[order_id] = None
        if len(known) > self.limit:  # forget the oldest half
            for order_id in list(itertools.islice(known, len(known) // 2)):
                del known[order_id]


def stored_ids(outcomes: list[IntakeOutcome]) -> Iterable[UUID]:
    """The orders of a saved batch that are now stored: taken in, repeated, or conflicting."""
    for o in outcomes:
        if o.order is not None or isinstance(o.error, DuplicateConflict):
            yield o.order_id


class IntakeFollower:
    """The intake path's own copy of the inventory and dealer streams (the aggregates intake
    changes besides the orders), kept current by reading the notification log ONCE per batch
    (one query for every writer's changes, any process) instead of re-reading each stream; no
    defensive copies, because only the intake path, under its lock, touches these objects. A
    failed save makes it forget what it changed. The same query brings the orders other
    processes took in, so a connector's retry that lands on another worker is known to be a
    repeat (see `KnownOrders`)."""

    def __init__(
        self,
        store: Store,
        known: KnownOrders,
        watched: Iterable[str] = (),
        on_watched: Callable[[], object] | None = None,
    ) -> None:
        """`on_watched` is called once per refresh that read an event of the `watched` topics
        (reference data another process changed): the same query, no extra read."""
        self.store = store
        self.known = known
        self.position: int | None = None
        self.items: dict[UUID, Inventory | Dealer | None] = {}
        self.watched = frozenset(watched)
        self.on_watched = on_watched
        self.topics = [
            *INVENTORY_TOPICS,
            *DEALER_TOPICS,
            *BACKORDER_TOPICS,
            *PRESALE_TOPICS,
            *RISK_TOPICS,
            ORDER_RECEIVED_TOPIC,
            *self.watched,
        ]

    def refresh(self) -> None:
        if self.position is None:
            self.position = self.store.max_notification_id()
            return
        watched = False
        while True:
            notifications = self.store.recorder.select_notifications(
                start=self.position, limit=1000, topics=self.topics, inclusive_of_start=False
            )
            received = []
            for n in notifications:
                if n.topic == ORDER_RECEIVED_TOPIC:
                    received.append(UUID(str(n.originator_id)))
                    continue
                if n.topic in self.watched:
                    watched = True
                    continue
                item_id = UUID(str(n.originator_id))
                if item_id not in self.items:
                    continue
                current = self.items[item_id]
                if current is None or n.originator_version > current.version + 1:
                    del self.items[item_id]  # created meanwhile, or a gap: reload
                elif n.originator_version == current.version + 1:
                    self.store.mapper.to_domain_event(n).mutate(current)  # type: ignore[attr-defined]
                # Versions already held (our own saves) are skipped.
            self.known.remember(received)
            if notifications:
                self.position = notifications[-1].id
            if len(notifications) < 1000:
                if watched and self.on_watched is not None:
                    self.on_watched()
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
            self.items[aggregate_id] = self.store.get_or_none(aggregate_id)
        return self.items[aggregate_id]

    def preload(self, limit: int) -> int:
        """Loads up to `limit` inventory streams now; returns how many it holds. Streams written
        after the follower's position are brought up to date by `refresh` as usual."""
        self.refresh()
        held = sum(isinstance(item, Inventory) for item in self.items.values())
        start = 0
        while held < limit:
            opened = self.store.recorder.select_notifications(
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


class IntakeBatch:
    """Aggregates loaded once and shared by every order decided in one transaction."""

    def __init__(
        self,
        store: Store,
        costs: ShippingCostTable,
        today: date,
        follower: IntakeFollower | None = None,
        offers: LaneOffers | None = None,
    ) -> None:
        self.store = store
        self.costs = costs
        self.offers = offers
        self._pricer: LanePricer | None = None
        self._offers: dict[tuple[str, str], LaneOffer] = {}
        self.follower = follower
        self.inventories: dict[tuple[str, str], Inventory | None] = {}
        self.dealers: dict[str, Dealer] = {}
        self.touched: dict[UUID, Aggregate] = {}
        self.today = today  # one decision day for the whole batch
        self._lanes: dict[tuple[str, str], tuple[Decimal, Decimal, str]] = {}
        self.queues: dict[str, BackorderQueue] = {}
        self._presale: PresaleSettings | None = None
        self._risk: RiskSettings | None = None
        self.risk_pending: list[Seen] = []  # remembered by the risk history once saved
        self._held_at: str | None = None

    def _get(self, aggregate_id: UUID) -> Any:
        return (
            self.follower.get(aggregate_id)
            if self.follower
            else self.store.get_or_none(aggregate_id)
        )

    def lane_cost(self, origin: str, destination: str) -> tuple[Decimal, Decimal, str]:
        key = (origin, destination)
        cost = self._lanes.get(key)
        if cost is None:
            cost = self._lanes[key] = self.costs.estimate(origin, destination, self.today)
        return cost

    def lane_pricer(self) -> LanePricer | None:
        """The carrier service a shipment would take (domains/orders/lanes.py), or why none:
        one pricer for the whole batch, so its orders are priced on the same cards. None
        without a lane-offer port."""
        if self.offers is None:
            return None
        if self._pricer is None:
            # The follower's one read of the log for this batch watched the card topics too:
            # cards another process published before the batch began are already taken in.
            looked = self.follower is not None and self.follower.watched.issuperset(
                self.offers.topics
            )
            self._pricer = self.offers.pricer(self.today, looked)
        return self._pricer

    def lane_offer(self, destination: str, channel: str) -> LaneOffer | None:
        """The batch pricer's lookup for a destination and channel (one per batch for all
        their orders); None without a lane-offer port."""
        offer = self._offers.get((destination, channel))
        if offer is None:
            pricer = self.lane_pricer()
            if pricer is None:
                return None
            offer = self._offers[(destination, channel)] = pricer(destination, channel)
        return offer

    def inventory(self, warehouse_id: str, sku: str) -> Inventory | None:
        key = (warehouse_id, sku)
        if key not in self.inventories:
            self.inventories[key] = self._get(Inventory.create_id(warehouse_id, sku))
        return self.inventories[key]

    def dealer(self, code: str) -> Dealer:
        if code not in self.dealers:
            dealer = self._get(Dealer.create_id(code))
            if dealer is None:
                raise NotFound("dealer", code)
            self.dealers[code] = dealer
        return self.dealers[code]

    def presale_settings(self) -> PresaleSettings:
        """Asked only when stock on hand is short (one read per batch at most)."""
        if self._presale is None:
            self._presale = self._get(PresaleSettings.create_id()) or PresaleSettings()
        return self._presale

    def risk_settings(self) -> RiskSettings:
        """The risk rules' settings (one read per batch; the defaults until published)."""
        if self._risk is None:
            self._risk = self._get(RiskSettings.create_id()) or RiskSettings(RISK_DEFAULTS)
        return self._risk

    def backorder_queue(self, sku: str) -> BackorderQueue:
        """The SKU's queue of orders held for stock (opened the first time one waits)."""
        if sku not in self.queues:
            queue = self._get(BackorderQueue.create_id(sku))
            self.queues[sku] = queue if queue is not None else BackorderQueue(sku)
        return self.queues[sku]

    def waiting_claim(self, sku: str, free: int) -> int:
        """Units of the `free` stock of a SKU that orders already waiting for it would take
        (domains/orders/backorders.py): a new order does not jump the queue. No store read
        once the process holds the SKU's queue (or knows it has none)."""
        queue = self.queues.get(sku) or self._get(BackorderQueue.create_id(sku))
        return queue.claim(free) if queue is not None and queue.waiting else 0

    @property
    def held_at(self) -> str:
        """When this batch's holds were recorded (one clock reading per batch)."""
        if self._held_at is None:
            self._held_at = self.store.clock.now().isoformat()
        return self._held_at

    def touch(self, *aggregates: Aggregate) -> None:
        for a in aggregates:
            self.touched[a.id] = a
