"""Order use cases: take orders in (validate, receive, review, split, reserve), release a held
order, cancel, and read an order's history or its state at a past time.

Commands gather facts, let the pure policies decide, record the decisions on the aggregates
and save everything one business step touched in ONE transaction (order, inventories, dealer).
A version conflict means another writer got there first: re-read and decide again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.orders.allocation import Allocator
from domains.orders.channel_intake import ChannelUpdateUseCases
from domains.orders.credit_holds import CreditHoldUseCases
from domains.orders.dealer_files import dealer_intake
from domains.orders.intake import (
    DuplicateConflict,
    Intake,
    IntakeBatch,
    IntakeFollower,
    IntakeOutcome,
    KnownOrders,
    payload_hash,
    stored_ids,
)
from domains.orders.lanes import LaneOffers
from domains.orders.model import ALLOCATED, Order
from domains.orders.risk_review import RiskReview, RiskSettingsUseCases
from domains.orders.split import SplitLine, SplitProblem, SplitSolver, WarehouseOption
from domains.orders.updates import cancel_reason
from domains.ports import Countries, DealerOrderFile, FxRates, ShippingCostTable
from domains.privacy.sealing import PersonalData
from domains.reference.application import REFERENCE_TOPICS, ReferenceUseCases
from domains.reference.model import Dealer
from domains.store import MAX_CONFLICT_RETRIES, Store, Touched, retry_on_conflict

# 2: canonical orders carry the channel's amounts, line discount and tax, cancellation and
# marketplace id (domains/orders/amounts.py).
MAPPER_VERSION = 2

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


def _names_known(ref: dict[str, Any], canonical: dict[str, Any]) -> bool:
    """Whether every SKU and the dealer an order names are in the reference data `ref`."""
    products = ref["products"]
    for line in canonical.get("lines") or ():
        if not isinstance(line, dict) or line.get("sku") not in products:
            return False
    dealer_id = canonical.get("dealer_id")
    return not dealer_id or dealer_id in ref["dealers"]


class OrderUseCases(ChannelUpdateUseCases, CreditHoldUseCases, RiskSettingsUseCases):
    mapper_version = MAPPER_VERSION

    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        *,
        fx: FxRates,
        countries: Countries,
        costs: ShippingCostTable,
        dealer_orders: DealerOrderFile,
        split_solver: SplitSolver | None = None,
        intake_lock: AbstractContextManager[Any] | None = None,
        lane_offers: LaneOffers | None = None,
        personal: PersonalData | None = None,
        risk: RiskReview | None = None,
    ) -> None:
        """`personal` seals each order's personal data under its data subject's key before
        the order is recorded (domains/privacy/sealing.py) and opens it for readers.
        `intake_lock` serialises intake batches; by default within this process only.
        Processes sharing one store can pass a lock held across processes (adapters/), so their
        batches queue for it instead of deciding on the same stock and one of them redoing its
        whole batch after a version conflict."""
        self.store = store
        self.reference = reference
        self.fx = fx
        self.countries = countries
        self.costs = costs
        self.dealer_orders = dealer_orders
        self.split_solver = split_solver
        self.lane_offers = lane_offers  # None: every stocked warehouse is a candidate
        self.personal = personal or PersonalData()
        self.allocator = Allocator(fx, countries, split_solver, risk)
        self.known = KnownOrders()
        self._intake_lock: AbstractContextManager[Any] = intake_lock or threading.Lock()
        # Reference data another process changed is noticed by the batch's one log read, so
        # a batch decides on what was acknowledged before it began (a product's revision, the
        # prohibited list), without a read of its own.
        # Rate cards likewise, so a batch's lane pricer needs no look of its own.
        watched = [*REFERENCE_TOPICS, *(lane_offers.topics if lane_offers else ())]
        self._follower = IntakeFollower(store, self.known, watched, self._watched_changed)

    def _watched_changed(self) -> None:
        self.reference.latest()
        if self.lane_offers is not None:
            self.lane_offers.latest()

    def _batch(self, follower: IntakeFollower | None = None) -> IntakeBatch:
        return IntakeBatch(
            self.store, self.costs, self.store.clock.now().date(), follower, self.lane_offers
        )

    def warm_up(self, inventories: int = 10_000) -> int:
        """Loads what the first orders would otherwise wait for: up to `inventories` inventory
        streams, the dealers, today's lane costs between the warehouses' countries, and the
        split solver. Returns how many inventory streams it holds."""
        ref = self.reference.current()
        with self._intake_lock:
            loaded = self._follower.preload(inventories)
            for code in ref["dealers"]:
                self._follower.get(Dealer.create_id(code))
        countries = sorted({w.country for w in ref["warehouses"].values()})
        today = self.store.clock.now().date()
        for origin in countries:
            for destination in countries:
                self.costs.estimate(origin, destination, today)
        if self.lane_offers is not None:
            goods = {frozenset[str]()} | {p.goods_classes() for p in ref["products"].values()}
            self.lane_offers.warm(countries, sorted(goods, key=sorted), today)
        if self.split_solver is not None:
            self.split_solver(_WARM_UP_SPLIT, None)
        return loaded

    # ------------------------------------------------------------------ validation
    def validate(self, item: Intake, batch: IntakeBatch | None = None) -> None:
        """Reference checks after structural mapping: unknown SKU, country, currency, dealer.
        A SKU or dealer the cached reference data lacks is looked up in the log before it is
        called unknown: another process may have registered it a moment ago."""
        ref = self.reference.current()
        c = item.canonical
        if not _names_known(ref, c):
            ref = self.reference.latest()
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
            dealer = batch.dealer(dealer_id) if batch else self.reference.get_dealer(dealer_id)
            if currency != dealer.currency and not (
                self.fx.has_rate(currency) and self.fx.has_rate(dealer.currency)
            ):
                err("currency", f"no ECB rate to convert {currency} into {dealer.currency}")
        if errors:
            raise ValidationFailed(errors)

    # ------------------------------------------------------------------ intake
    def intake(self, item: Intake) -> tuple[IntakeOutcome, int]:
        """Take in one order (validate, receive, review, split, reserve). Idempotent."""
        outcomes, nid = self.intake_batch([item])
        outcome = outcomes[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome, nid

    def intake_dealer_file(
        self, data: bytes, dealer_id: str | None = None, profile: str | None = None
    ) -> tuple[list[IntakeOutcome], int]:
        """Dealer orders from a file, one row per line, grouped by the dealer's order number,
        taken in all or nothing: a bad row rejects the file naming its line, column and value,
        an invalid order rejects it with every error naming its order, and nothing is stored.
        The file is read through the dealer's import profile `profile`, else its default one;
        in today's CSV format when the dealer has none (or no dealer is named)."""
        chosen = self.reference.import_profiles.resolve(dealer_id, profile)
        mapped = self.dealer_orders(data, chosen)
        if dealer_id is not None:
            others = [
                {
                    "loc": m.source_paths.get("dealer_id", "dealer_id"),
                    "msg": f"{other!r} is not the dealer this file was sent for ({dealer_id})",
                }
                for m in mapped
                if (other := m.canonical.get("dealer_id")) != dealer_id
            ]
            if others:
                raise ValidationFailed(others)
        reference = chosen.reference if chosen is not None else None
        items = [dealer_intake(m, reference) for m in mapped]
        outcomes, nid = self.intake_batch(items, all_or_nothing=True)
        errors = []
        for item, outcome in zip(items, outcomes, strict=True):
            if isinstance(outcome.error, ValidationFailed):
                ext = item.canonical["external_id"]
                errors += [dict(e, order=ext) if ext else dict(e) for e in outcome.error.errors]
        if errors:
            raise ValidationFailed(errors)
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
        return outcomes, nid

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
            outcomes, nid = retry_on_conflict(
                lambda attempt: self._intake_attempt(items, all_or_nothing, attempt),
                tries=MAX_CONFLICT_RETRIES,
                backoff_s=0.0005,
                gave_up="the order kept conflicting with concurrent writers; retry",
            )
        freed = sorted({sku for o in outcomes for sku in o.freed})
        if freed and nid:  # updates gave stock back: the orders waiting for it take it now
            self.release_after_commit(freed, {"kind": "channel_update"})
        return outcomes, nid

    def _intake_attempt(
        self, items: list[Intake], all_or_nothing: bool, attempt: int
    ) -> tuple[list[IntakeOutcome], int]:
        """One pass over the batch: decide every order, then save all it touched at once.
        Whatever this pass changed in memory is forgotten unless its save succeeds."""
        follower = self._follower
        # Every data subject of the batch gets its key now, in one round trip.
        subjects = [self.personal.subject(item.channel, item.canonical) for item in items]
        self.personal.prepare(subjects)
        for first_pass in (attempt == 0, False):
            follower.refresh()
            batch = self._batch(follower)
            try:
                outcomes = [
                    self._decide_intake(batch, item, not first_pass, subject)
                    for item, subject in zip(items, subjects, strict=True)
                ]
                break
            except InvalidTransition:
                follower.forget(batch.touched)
                if not first_pass:
                    raise
                # e.g. credit already committed: the order exists after all; check the store
            except BaseException:
                follower.forget(batch.touched)
                raise
        if (all_or_nothing and any(o.error for o in outcomes)) or not batch.touched:
            follower.forget(batch.touched)
            if not batch.touched:  # repeats only: all of them are stored
                self.known.remember(stored_ids(outcomes))
            return outcomes, 0
        try:
            ids = self.store.commit_ids(*batch.touched.values())
        except IntegrityError:
            # Another writer won (a duplicate order, a stock or credit conflict): drop what
            # this attempt changed in memory; the caller decides again.
            follower.forget(batch.touched)
            raise
        follower.saved(ids)
        self.known.remember(stored_ids(outcomes))
        if self.allocator.risk is not None:
            self.allocator.risk.history.remember(batch.risk_pending)
        return outcomes, max(ids, default=0)

    def _decide_intake(
        self,
        batch: IntakeBatch,
        item: Intake,
        check_store: bool = True,
        subject: str | None = None,
    ) -> IntakeOutcome:
        """The payload hash is taken on the plaintext payload, and a repeat is compared on
        the stored order's opened canonical form; what is recorded is sealed."""
        canonical = item.canonical
        external_id = str(canonical.get("external_id") or "")
        order_id = Order.create_id(item.channel, external_id, canonical.get("dealer_id"))
        try:
            self.validate(item, batch)
        except ValidationFailed as exc:
            return IntakeOutcome(order_id, False, error=exc)
        digest = payload_hash(item.fingerprint)
        existing: Order | None = batch.touched.get(order_id)  # type: ignore[assignment]
        if existing is None and (check_store or order_id in self.known):
            existing = self.store.read_fresh(order_id)
        if existing is not None:  # a repeat, an update or an identity clash
            return self._existing_order(batch, item, existing, digest)
        if subject is None:
            subject = self.personal.subject(item.channel, canonical)
        sealed, raw_payload = self.personal.seal_order(subject, canonical, item.raw_payload)
        order = Order(
            channel=item.channel,
            external_id=external_id,
            raw_payload=raw_payload,
            payload_hash=digest,
            canonical=sealed,
            mapper_version=MAPPER_VERSION,
        )
        batch.touch(order)
        if canonical.get("cancelled"):  # first seen already cancelled: nothing to reserve
            why = cancel_reason(item.channel, canonical["cancelled"])
            order.cancel(reason=why, cancelled_by=item.channel)
        else:
            risk = self.allocator.risk
            identity = (
                risk.identify(item.channel, canonical, item.raw_payload, subject)
                if risk and risk.screens(batch, item.channel)
                else None
            )
            self.allocator.review_and_allocate(
                batch, order, self.reference.current(), identity=identity
            )
        return IntakeOutcome(order_id, True, order=order)

    # ------------------------------------------------------------------ order commands
    def get_order(self, order_id: UUID) -> Order:
        order = self.store.get_or_none(order_id)
        if order is None or not isinstance(order, Order):
            raise NotFound("order", str(order_id))
        return order

    def _change(
        self, order_id: UUID, step: Callable[[IntakeBatch, Order], None]
    ) -> tuple[Order, int]:
        def attempt(touched: Touched) -> Order:
            batch = self._batch()
            order = self.get_order(order_id)
            step(batch, order)
            batch.touch(order)
            touched.update(batch.touched)
            return order

        return self.store.retry(attempt)

    def release_order(self, order_id: UUID, reason: str, by: str) -> tuple[Order, int]:
        """An admin lifts a hold: the held rules are overridden and the order is decided again."""

        def step(batch: IntakeBatch, order: Order) -> None:
            order.release(reason=reason, released_by=by)
            self.allocator.review_and_allocate(batch, order, self.reference.current(), True)

        return self._change(order_id, step)

    def cancel_order(self, order_id: UUID, reason: str, by: str) -> tuple[Order, int]:
        """Cancels; stock it gave back goes to the orders waiting for it (after the commit)."""
        freed: list[str] = []
        trigger = {"kind": "cancellation", "order_id": str(order_id)}

        def step(batch: IntakeBatch, order: Order) -> None:
            freed.clear()
            if order.status == ALLOCATED:
                freed.extend(self._give_back(batch, order, trigger))
            order.cancel(reason=reason, cancelled_by=by)

        order, nid = self._change(order_id, step)
        if freed:
            self.release_after_commit(freed, trigger)
        return order, nid

    # ------------------------------------------------------------------ history
    def order_events(self, order_id: UUID) -> list[Any]:
        events = list(self.store.events.get(order_id))
        if not events:
            raise NotFound("order", str(order_id))
        return events

    def order_at(self, order_id: UUID, at: datetime) -> Order:
        """The order as it stood at time `at` (time travel)."""
        version = None
        for e in self.order_events(order_id):
            if e.timestamp <= at:
                version = e.originator_version
        if version is None:
            raise NotFound("order", f"{order_id} at {at.isoformat()}")
        order: Order = self.store.repository.get(order_id, version=version)
        return order


__all__ = ["DuplicateConflict", "Intake", "IntakeOutcome", "OrderUseCases", "ValidationFailed"]
