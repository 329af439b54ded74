"""The faster write paths keep the store's guarantees: the PostgreSQL bulk-insert recorder,
snapshots taken from memory, the intake follower skipping its own batch, the reference cache
noticing other processes' changes, and repeats of orders hashed before the orjson switch."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from adapters.bootstrap import build_app
from adapters.pg_recorder import BulkInsertApplicationRecorder
from domains.orders.intake import Intake, legacy_payload_hash, payload_hash
from domains.orders.model import Order
from domains.warehouse.model import Inventory
from tests.conftest import drop_schema, make_app, pg_env
from tests.integration.test_spine_scenarios import push, web_order


class Note(Aggregate):
    @event("Opened")
    def __init__(self, text: str) -> None:
        self.texts = [text]

    @event("Added")
    def add(self, text: str) -> None:
        self.texts.append(text)


@pytest.fixture
def two_processes(sqlite_store):
    """Two applications on one SQLite file, as two processes would be: the first seeded."""
    first, second = make_app(sqlite_store), build_app(sqlite_store)
    yield first, second
    second.close()
    first.close()


@pytest.fixture
def pg_app():
    env = pg_env()
    app = build_app(env)
    yield app
    app.close()
    drop_schema(env)


@pytest.mark.postgres
def test_postgres_store_uses_the_bulk_insert_recorder_and_round_trips_events(pg_app):
    assert isinstance(pg_app.recorder, BulkInsertApplicationRecorder)
    notes = [Note(f"n{i}") for i in range(3)]
    for n in notes:
        n.add("ü €")  # non-ASCII text survives the binary text[] / bytea[] path
    recordings = pg_app.store.save(*notes)
    ids = [r.notification.id for r in recordings]
    assert ids == sorted(ids) and ids[-1] - ids[0] + 1 == len(ids) == 6
    for n in notes:
        assert pg_app.repository.get(n.id).texts == [n.texts[0], "ü €"]
    stored = pg_app.recorder.select_notifications(ids[0], 6)
    assert [(s.originator_id, s.originator_version) for s in stored] == [
        (n.id, v) for n in notes for v in (1, 2)
    ]


@pytest.mark.postgres
def test_postgres_version_conflict_stores_nothing_of_the_transaction(pg_app):
    note = Note("first")
    pg_app.store.save(note)
    stale = pg_app.repository.get(note.id)
    note.add("winner")
    pg_app.store.save(note)
    other = Note("innocent bystander")
    stale.add("loser")
    before = pg_app.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        pg_app.store.save(other, stale)
    assert pg_app.recorder.max_notification_id() == before
    assert pg_app.repository.get(note.id).texts == ["first", "winner"]
    with pytest.raises(Exception, match="not found|NotFound|AggregateNotFound"):
        pg_app.repository.get(other.id)


def test_inventory_snapshot_is_taken_from_memory_and_loads_the_same_state(sqlite_store):
    app = make_app(sqlite_store)
    try:
        app.warehouse.receive_stock("LAX", "SKU-TEA-001", 1000, "r1")
        for start in range(0, 210, 30):
            batch = [
                Intake("web", c, c)
                for c in (
                    web_order(f"SNAP-{i}", [("SKU-TEA-001", 1, "12.50")])
                    for i in range(start, start + 30)
                )
            ]
            outcomes, _ = app.orders.intake_batch(batch)
            assert all(o.order.status == "allocated" for o in outcomes)
        inv_id = Inventory.create_id("LAX", "SKU-TEA-001")
        snapshots = list(app.store.snapshots.get(inv_id))
        assert snapshots and snapshots[-1].originator_version >= 200
    finally:
        app.close()
    fresh = build_app(sqlite_store)  # a new process: loads from the snapshot, then events
    try:
        inv = fresh.repository.get(inv_id)
        assert (inv.on_hand, inv.reserved, len(inv.reservations)) == (1000, 210, 210)
        replayed = None  # from the events alone, no snapshot
        for e in fresh.store.events.get(inv_id):
            replayed = e.mutate(replayed)
        assert replayed is not None and replayed.version == inv.version
        state = {k: v for k, v in vars(inv).items() if k != "_pending_events"}
        assert {k: v for k, v in vars(replayed).items() if k != "_pending_events"} == state
    finally:
        fresh.close()


def test_intake_sees_stock_changed_by_another_process_after_its_own_batches(two_processes):
    """The follower skips reading back its own batch only when nobody wrote in between."""
    first, second = two_processes
    first.warehouse.receive_stock("LAX", "SKU-TEA-001", 5, "r1")
    assert push(first, web_order("P-1", [("SKU-TEA-001", 2, "12.50")])).order.status == (
        "allocated"
    )
    # Another process takes the remaining 3 units.
    assert push(second, web_order("P-2", [("SKU-TEA-001", 3, "12.50")])).order.status == (
        "allocated"
    )
    late = push(first, web_order("P-3", [("SKU-TEA-001", 1, "12.50")])).order
    assert late.status == "held"
    assert [h["rule"] for h in late.hold_reasons] == ["stock"]
    inv = first.repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
    assert (inv.on_hand, inv.reserved) == (5, 5)


def test_reference_cache_notices_another_processes_change(two_processes):
    reader, writer = two_processes
    reader.store.REFERENCE_TTL_S = 0.0  # look at the log on every call
    assert "SKU-NEW-1" not in reader.reference.current()["products"]
    cached = reader.reference.current()
    assert reader.reference.current() is cached  # nothing changed: the same cache, no reload
    tea = writer.reference.current()["products"]["SKU-TEA-001"]
    writer.reference.register_product(
        "SKU-NEW-1",
        name="New kettle",
        unit_weight_g=900,
        dimensions_mm=[200, 150, 150],
        hs_code=tea.hs_code,
        origin_country="CN",
        unit_value=Decimal("20.00"),
        currency="USD",
        perishable=False,
    )
    assert "SKU-NEW-1" in reader.reference.current()["products"]


def test_repeat_of_an_order_hashed_before_the_orjson_switch_is_the_same_order(sqlite_app):
    sqlite_app.warehouse.receive_stock("LAX", "SKU-TEA-001", 5, "r1")
    canonical = web_order("OLD-1", [("SKU-TEA-001", 1, "12.50")])
    canonical["customer"]["name"] = "Zoë Ærø"  # non-ASCII: the two hashes differ
    assert payload_hash(canonical) != legacy_payload_hash(canonical)
    old = Order(
        channel="web",
        external_id="OLD-1",
        raw_payload=canonical,
        payload_hash=legacy_payload_hash(canonical),
        canonical=canonical,
        mapper_version=1,
    )
    sqlite_app.store.save(old)
    outcome = push(sqlite_app, canonical)
    assert outcome.order_id == old.id and not outcome.created and outcome.error is None
    changed = {**canonical, "currency": "EUR"}
    update = push(sqlite_app, changed)  # a change no rule applies: held for an operator
    assert [(u["kind"], u["applied"]) for u in update.updates] == [("other_change", False)]


def _count_transactions(app, monkeypatch) -> list[int]:
    """How many times the app tried to record events (each is one transaction)."""
    calls: list[int] = []
    original = app.recorder.insert_events

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(app.recorder, "insert_events", counting)
    return calls


def test_a_retried_order_in_a_batch_costs_no_second_pass(sqlite_store, monkeypatch):
    """A connector's retry lands in a batch with new orders: the batch is still ONE transaction
    (no failed save and re-decision of every order), the retry answers with the stored order,
    and a process that never saw the order (a restart) still gets it right."""
    app = make_app(sqlite_store)
    try:
        app.warehouse.receive_stock("LAX", "SKU-TEA-001", 100, "r1")
        first = [
            Intake("web", c, c)
            for c in (web_order(f"R-{i}", [("SKU-TEA-001", 1, "12.50")]) for i in range(3))
        ]
        taken, _ = app.orders.intake_batch(first)
        calls = _count_transactions(app, monkeypatch)
        mixed = [first[1]] + [
            Intake("web", c, c)
            for c in (web_order(f"N-{i}", [("SKU-TEA-001", 1, "12.50")]) for i in range(3))
        ]
        outcomes, _ = app.orders.intake_batch(mixed)
        assert len(calls) == 1
        assert not outcomes[0].created and outcomes[0].order_id == taken[1].order_id
        assert [o.created for o in outcomes[1:]] == [True, True, True]
        only_repeats, nid = app.orders.intake_batch(first)
        assert len(calls) == 1 and nid == 0  # nothing new: not even a transaction
        assert [o.created for o in only_repeats] == [False, False, False]
    finally:
        app.close()
    restarted = build_app(sqlite_store)
    try:
        again = [first[0]] + [
            Intake("web", c, c) for c in [web_order("N-9", [("SKU-TEA-001", 1, "12.50")])]
        ]
        outcomes, _ = restarted.orders.intake_batch(again)
        assert [o.created for o in outcomes] == [False, True]
        assert outcomes[0].order_id == taken[0].order_id
        inv = restarted.repository.get(Inventory.create_id("LAX", "SKU-TEA-001"))
        assert inv.reserved == 7  # three, three and one: the repeats reserved nothing twice
    finally:
        restarted.close()


def test_known_orders_are_bounded(sqlite_app):
    sqlite_app.orders.known.limit = 10
    sqlite_app.warehouse.receive_stock("LAX", "SKU-TEA-001", 100, "r1")
    for i in range(25):
        push(sqlite_app, web_order(f"K-{i}", [("SKU-TEA-001", 1, "12.50")]))
    assert len(sqlite_app.orders.known) <= 10
    # Forgotten or not, a repeat is still recognised.
    again = push(sqlite_app, web_order("K-0", [("SKU-TEA-001", 1, "12.50")]))
    assert not again.created and again.error is None


def test_warm_up_loads_what_the_first_order_would_wait_for(sqlite_store):
    seeded = make_app(sqlite_store)
    seeded.warehouse.receive_stock("LAX", "SKU-TEA-001", 10, "r1")
    seeded.warehouse.receive_stock("FRA", "SKU-TEA-001", 10, "r2")
    seeded.warehouse.receive_stock("FRA", "SKU-PHONE-CASE", 10, "r3")
    seeded.close()
    app = build_app(sqlite_store)  # a new process
    try:
        assert app.warm_up(inventories=1)["inventories"] == 1  # the cap holds
        done = app.warm_up()
        assert done["inventories"] == 3
        parsed, read = [], []
        parser, get = app.rates.parser, app.store.get_or_none
        app.rates.parser = lambda text: parsed.append(1) or parser(text)
        app.store.get_or_none = lambda aggregate_id: read.append(aggregate_id) or get(aggregate_id)
        out = push(app, web_order("WARM-1", [("SKU-TEA-001", 12, "12.50")]))
        assert out.order.status == "allocated" and len(out.order.shipments) == 2
        assert parsed == []  # rate cards were parsed by the warm-up
        inventories = {Inventory.create_id(w, "SKU-TEA-001") for w in ("LAX", "FRA")}
        assert not inventories & set(read)  # and the stock was already held
    finally:
        app.close()


def test_rate_cards_are_parsed_once_and_notice_another_processes_publication(two_processes):
    reader, writer = two_processes
    reader.store.REFERENCE_TTL_S = 0.0  # look at the log on every call
    cards = reader.rates.rate_cards()
    assert reader.rates.rate_cards() is cards  # nothing published: no re-parse
    path = next(p for p in Path("adapters/data/rate_cards").glob("dhl_paket_de_2025.csv"))
    text = path.read_text().replace("card,version,2025", "card,version,2026-test")
    text = text.replace("card,effective_from,2025-01-01", "card,effective_from,2026-01-01")
    writer.rates.publish_rate_card(text, "test", "admin")
    fresh = reader.rates.rate_cards()
    assert fresh is not cards and len(fresh) == len(cards) + 1
    assert any(c.version == "2026-test" for c in fresh)


def test_a_retry_landing_on_another_worker_costs_no_second_pass(two_processes, monkeypatch):
    """Two workers on one store: an order taken in by one and retried through the other is
    known there from the log, so its batch is still one transaction."""
    first, second = two_processes
    first.warehouse.receive_stock("LAX", "SKU-TEA-001", 100, "r1")
    push(second, web_order("W2-0", [("SKU-TEA-001", 1, "12.50")]))  # second is running
    taken = push(first, web_order("W2-1", [("SKU-TEA-001", 1, "12.50")]))
    calls = _count_transactions(second, monkeypatch)
    batch = [
        Intake("web", c, c)
        for c in (
            web_order("W2-1", [("SKU-TEA-001", 1, "12.50")]),
            web_order("W2-2", [("SKU-TEA-001", 1, "12.50")]),
        )
    ]
    outcomes, _ = second.orders.intake_batch(batch)
    assert len(calls) == 1
    assert [o.created for o in outcomes] == [False, True]
    assert outcomes[0].order_id == taken.order_id


def test_intake_sees_dealer_credit_changed_by_another_process(two_processes):
    """The intake follower holds dealers too: credit committed, a limit raised and credit
    released by another process all count in this process's next credit check."""
    other, here = two_processes
    other.warehouse.receive_stock("LAX", "SKU-KETTLE-1L7", 1000, "r1")
    here.warm_up()  # holds DLR-US-01 from now on: limit 40,000, unpaid 12,500
    big = push(
        other,
        web_order("DC-1", [("SKU-KETTLE-1L7", 200, "100.00")], dealer="DLR-US-01"),
        "dealer",
    )
    assert big.order.status == "allocated"

    def credit_inputs(external_id: str) -> tuple[list[str], dict]:
        out = push(
            here,
            web_order(external_id, [("SKU-KETTLE-1L7", 90, "100.00")], dealer="DLR-US-01"),
            "dealer",
        )
        rule = next(r for r in out.order.review["rules"] if r["rule"] == "credit")
        return [h["code"] for h in out.order.hold_reasons], rule["inputs"]

    codes, inputs = credit_inputs("DC-2")  # 12,500 + 20,000 + 9,000 > 40,000
    assert codes == ["over_credit_limit"] and inputs["open_orders_total"] == "20000.00"
    dealer = other.reference.get_dealer("DLR-US-01")
    other.reference.register_dealer(
        "DLR-US-01",
        dealer.name,
        Decimal("60000.00"),
        dealer.currency,
        dealer.regions,
        dealer.unpaid_balance,
    )
    codes, inputs = credit_inputs("DC-3")
    assert codes == [] and inputs["credit_limit"] == "60000.00"
    other.orders.cancel_order(big.order_id, "customer withdrew", "admin-1")
    codes, inputs = credit_inputs("DC-4")
    assert codes == [] and inputs["open_orders_total"] == "9000.00"  # DC-3's only


def test_customs_rules_are_loaded_once_and_notice_another_processes_publication(two_processes):
    writer, reader = two_processes
    reader.store.REFERENCE_TTL_S = 0.0  # look at the log on every call
    tables = reader.customs.tariffs
    assert reader.customs.tariffs is tables  # nothing published: the same tables, no reload
    files = json.loads(writer.customs.shipped_files["restricted_goods.json"])
    files["note"] = "edited by another process"
    result, _ = writer.customs.publish_customs_rules(
        {"restricted_goods.json": json.dumps(files)}, "admin", "test"
    )
    assert result["changed"]
    assert reader.customs.tariffs is not tables and reader.customs.tariffs.version == result["version"]
