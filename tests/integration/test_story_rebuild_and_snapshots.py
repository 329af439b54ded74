"""What must hold of everything a full day's story wrote, on each store (SQLite file and
PostgreSQL schema):

- every view rebuilt from zero, into a fresh SQLite file / a fresh PostgreSQL schema, equals the
  live view the projection runner built while the story ran, table by table and row for row;
- `crossdock project --rebuild` (the CLI's rebuild path) repairs views whose rows were deleted,
  changed or invented;
- a projector whose schema version changed has its tables dropped (their old shape goes) and
  rebuilt to the same rows, while the other views are left exactly as they were;
- every snapshot the store took while the story ran loads the same aggregate as replaying that
  aggregate's events alone, at the snapshot's version and at the stream's end.

The story is the legacy fixture's (tests/fixtures/make_legacy_store.py), driven over HTTP:
orders from every channel, splits over two warehouses, holds, a release, cancellations, waves
picked on handhelds with short picks (re-reserved, re-split, backordered), packing, carrier
choice, labels (one voided), customs declarations (amended, approved, rejected, clearance),
dispatch, tracking to delivery, SLA alerts and a reconciled carrier bill; then, through the use
cases, an inbound (tests/inbound/story.py), stock in transit (tests/integration/stock_story.py)
a delivered shipment returned and claimed (tests/integration/returns_story.py), and planning's
suggestions recorded and decided (tests/integration/planning_story.py: a replenishment accepted,
a slow mover's markdown rejected and its bundle accepted; over the SYNTHETIC demand history, as
the story's own orders span one day). Snapshot
intervals are lowered for it, so that every snapshotted class is snapshotted many times, on the
application's own path (snapshots taken from the aggregate in memory as it is saved).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from domains.orders.model import Order
from domains.privacy.sealing import PersonalData
from domains.reference.model import Dealer
from domains.store import Store
from domains.warehouse.model import Inventory
from domains.warehouse.picking import PickList
from projections import ProjectionRunner, ViewDB, spine_projectors
from tests.conftest import drop_schema, pg_env
from tests.fixtures.make_legacy_store import START, Clock, Story, make_keys, run_story
from tests.inbound.story import inbound_story
from tests.integration.planning_story import planning_story
from tests.integration.returns_story import returns_story
from tests.integration.stock_story import stock_story

# Every snapshotted class, snapshotted every few events while the story runs (a dealer has
# only a few events in it: every second one).
STORY_SNAPSHOT_INTERVALS = {cls: 2 if cls is Dealer else 3 for cls in Store.snapshotting_intervals}
MUST_SNAPSHOT = (Order, Inventory, Dealer, PickList)


# ------------------------------------------------------------------------------ views
Rows = list[tuple[Any, ...]]


def view_tables(db: ViewDB) -> dict[str, tuple[tuple[str, ...], Rows]]:
    """Every view table in the database: its columns (in order) and its rows (sorted).

    Only `view_*` tables are views (derived from the events alone, so rebuildable from zero):
    every projector's, the journey's tracking tokens and promises, the privacy subjects and
    the order search included. Left out, as they are not derived from the events: the outbox's
    own ledger (outbox_messages, outbox_attempts, outbox_subscriptions, outbox_tracking:
    delivery bookkeeping and rotatable secrets, adapters/outbox/ledger.py), the privacy key
    store (privacy_*), and the positions (projection_*, kafka_relay_tracking). Receivables keep
    their state on their own aggregates and have no view table (projections/receivables_views.py
    reads view_orders)."""
    if db.dialect == "sqlite":
        names = [
            r["name"]
            for r in db.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'",
                ("view\\_%",),
            )
        ]
    else:
        names = [
            r["table_name"]
            for r in db.query(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name LIKE ? ESCAPE '\\'",
                ("view\\_%",),
            )
        ]
    out = {}
    for name in sorted(names):
        columns = table_columns(db, name)
        rows = db.query(f"SELECT * FROM {name}")  # noqa: S608 - names from the catalog
        out[name] = (columns, sorted((tuple(r[c] for c in columns) for r in rows), key=repr))
    return out


def table_columns(db: ViewDB, table: str) -> tuple[str, ...]:
    if db.dialect == "sqlite":
        return tuple(r["name"] for r in db.query(f"PRAGMA table_info({table})"))
    return tuple(
        r["column_name"]
        for r in db.query(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
    )


def view_differences(
    expected: dict[str, tuple[tuple[str, ...], Rows]],
    actual: dict[str, tuple[tuple[str, ...], Rows]],
    only: set[str] | None = None,
) -> list[str]:
    """What differs, per table: missing tables, other columns, rows missing or extra."""
    out = []
    for name in sorted(set(expected) | set(actual)):
        if only is not None and name not in only:
            continue
        if name not in actual or name not in expected:
            out.append(f"{name}: {'missing' if name not in actual else 'unexpected'}")
            continue
        (cols_e, rows_e), (cols_a, rows_a) = expected[name], actual[name]
        if cols_e != cols_a:
            out.append(f"{name}: columns {cols_a} != {cols_e}")
            continue
        missing = [r for r in rows_e if r not in rows_a]
        extra = [r for r in rows_a if r not in rows_e]
        if missing or extra or len(rows_e) != len(rows_a):
            out.append(
                f"{name}: {len(rows_e)} rows expected, {len(rows_a)} found; "
                f"{len(missing)} missing e.g. {missing[:1]}, {len(extra)} extra e.g. {extra[:1]}"
            )
    return out


def projector_tables(names: set[str] | None = None) -> set[str]:
    # Every view the application runs, those keyed with its secrets included (names only).
    keyed = spine_projectors(PersonalData())
    return {t for p in keyed if names is None or p.name in names for t in p.tables}


# ------------------------------------------------------------------------------ story
@dataclass
class Written:
    env: dict[str, str]
    story: Story
    live: dict[str, tuple[tuple[str, ...], Rows]]  # the views as built while the story ran
    end: int  # the last notification id

    def views(self) -> ViewDB:
        return ViewDB(self.env)

    @contextmanager
    def fresh_views(self, tmp_path: Path) -> Iterator[ViewDB]:
        """An empty view database: a new SQLite file, or a new schema in the same
        PostgreSQL database (dropped afterwards)."""
        if self.env["PERSISTENCE_MODULE"].endswith("sqlite"):
            db = ViewDB({**self.env, "SQLITE_DBNAME": str(tmp_path / "fresh-views.db")})
            yield db
            db.close()
            return
        env = {**self.env, "POSTGRES_SCHEMA": "t_" + uuid.uuid4().hex[:12]}
        db = ViewDB(env)
        try:
            yield db
        finally:
            db.close()
            drop_schema(env)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def written(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Written]:
    if request.param == "sqlite":
        db = tmp_path_factory.mktemp("story") / "events.db"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
    else:
        env = pg_env()
    try:
        clock = Clock(START)
        keys, keystore = make_keys()
        with pytest.MonkeyPatch.context() as mp:
            # Planning forecasts from the SYNTHETIC history laid over the recorded one (read
            # when the app is built): the story's own orders are one day's, too few.
            mp.setenv("CROSSDOCK_DEMAND_HISTORY", "synthetic")
            svc = build_services(env, keystore, clock)
        svc.app.store.snapshotting_intervals = STORY_SNAPSHOT_INTERVALS
        seed_reference(svc.app)
        with TestClient(create_app(svc)) as c:  # leaving it closes the app and its views
            story = Story(c, keys, clock, svc)
            run_story(story, explicit_snapshots=False)
            inbound_story(svc.app)  # the inbound views filled too
            svc.runner.catch_up()
            stock_story(svc.app)  # an inbound on the water and a transfer in transit
            svc.app.metrics.set_target("loss_rate", "0.02", "ops")  # the metric targets view
            svc.runner.catch_up()
            # A delivered shipment returned (labelled, received, graded) and the carrier's
            # damage claim paid: the returns, claims and ledger views filled too.
            story.notes["returns"] = returns_story(svc.app, list(story.orders.values()))
            svc.runner.catch_up()
            # A replenishment suggestion accepted (an inbound booked) and a slow mover's
            # suggestions decided: the planning suggestion views filled too.
            story.notes["planning"] = planning_story(svc.app)
            svc.runner.catch_up()
            end = svc.app.max_notification_id()
            live = view_tables(svc.db)
        yield Written(env, story, live, end)
    finally:
        if request.param == "postgres":
            drop_schema(env)


def test_the_story_fills_every_view_table(written: Written) -> None:
    assert set(written.live) == projector_tables()
    empty = [name for name, (_, rows) in written.live.items() if not rows]
    assert not empty, f"the story leaves these views empty: {empty}"

    def column(table: str, name: str) -> list[Any]:
        columns, rows = written.live[table]
        return [r[columns.index(name)] for r in rows]

    statuses = set(column("view_orders", "status"))
    assert {"held", "cancelled", "allocated", "dispatched", "delivered"} <= statuses, statuses
    channels = set(column("view_orders", "channel"))
    assert {"amazon", "shopee", "shopify", "web", "dealer"} <= channels, channels
    assert max(column("view_orders", "shipments")) >= 2  # split over warehouses
    assert {"approved", "rejected"} <= set(column("view_declarations", "status"))
    assert {"done"} <= set(column("view_pick_lists", "status"))
    assert "voided" in set(column("view_labels", "status"))
    assert column("view_returns", "status") == ["received"]
    assert column("view_claims", "status") == ["paid"]
    # The return's costs (handling; the label, paid by the seller) and the claim's credit.
    kinds = sorted(column("view_ledger_entries", "kind"))
    assert kinds == ["claim_credit", "return_handling", "return_label"], kinds
    # Planning: the replenishment accepted (its inbound booked), the slow mover's markdown
    # rejected and its bundle accepted.
    planned = written.story.notes["planning"]
    assert planned["replenishment"]["status"] == "accepted"
    assert column("view_replenishment", "status") == ["accepted"]
    assert planned["inbound"] in column("view_inbound", "inbound_id")
    slow = dict(zip(column("view_slow_mover_suggestions", "suggestion_id"),
                    column("view_slow_mover_suggestions", "status"), strict=True))  # fmt: skip
    assert slow[planned["slow_movers"]["markdown"]["suggestion_id"]] == "rejected"
    assert slow[planned["slow_movers"]["bundle"]["suggestion_id"]] == "accepted"
    assert column("view_carrier_bills", "carrier") == [written.story.notes["bill"]["carrier"]]


def test_every_view_rebuilt_from_zero_in_a_fresh_store_equals_the_live_one(
    written: Written, tmp_path: Path
) -> None:
    app = build_app(written.env)
    try:
        with written.fresh_views(tmp_path) as db:
            assert view_tables(db) == {}  # from zero: nothing there yet
            runner = ProjectionRunner(app, db, spine_projectors(app.orders.personal))
            assert set(runner.positions().values()) == {0}
            runner.catch_up()
            assert set(runner.positions().values()) == {written.end}
            rebuilt = view_tables(db)
    finally:
        app.close()
    assert set(rebuilt) == set(written.live)
    diff = view_differences(written.live, rebuilt)
    assert not diff, "\n".join(diff)


def corrupt(db: ViewDB, tables: set[str]) -> None:
    """Rows deleted from each table; for the order list and the stock view, rows changed and a
    row invented as well."""
    for table in sorted(tables):
        key = table_columns(db, table)[0]
        first = db.query(f"SELECT {key} FROM {table} LIMIT 1")[0][key]  # noqa: S608
        db.execute(f"DELETE FROM {table} WHERE {key} = ?", (first,))  # noqa: S608
    if "view_orders" in tables:
        db.execute("UPDATE view_orders SET status = 'corrupted', units = units + 7")
        others = ", ".join(c for c in table_columns(db, "view_orders") if c != "order_id")
        db.execute(
            f"INSERT INTO view_orders (order_id, {others}) "  # noqa: S608 - catalog names
            f"SELECT 'invented-order', {others} FROM view_orders LIMIT 1"
        )
    if "view_stock" in tables:
        db.execute("UPDATE view_stock SET on_hand = on_hand + 1000, reserved = 0")


def test_crossdock_project_rebuild_repairs_corrupted_views(
    written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = written.views()
    try:
        corrupt(db, set(written.live))
        broken = view_tables(db)
        assert len(view_differences(written.live, broken)) == len(written.live)
        # `crossdock project --rebuild`, configured by environment as in production.
        for key, value in written.env.items():
            monkeypatch.setenv(f"CROSSDOCK_{key}", value)
        monkeypatch.setenv("CROSSDOCK_API_KEYS", "[]")
        monkeypatch.setattr("adapters.runtime.tune_gc", lambda: None)  # not in a test process
        import api.app

        built: list[Any] = []
        real_build = api.app.build_services

        def build_and_keep(*args: Any, **kwargs: Any) -> Any:
            built.append(real_build(*args, **kwargs))
            return built[-1]

        monkeypatch.setattr(api.app, "build_services", build_and_keep)
        from scripts.cli import cli

        try:
            result = CliRunner().invoke(cli, ["project", "--rebuild"])
        finally:
            for svc in built:
                svc.db.close()
                svc.app.close()
        assert result.exit_code == 0, result.output
        assert "rebuilt views" in result.output and len(built) == 1
        repaired = view_tables(db)
    finally:
        db.close()
    diff = view_differences(written.live, repaired)
    assert not diff, "\n".join(diff)


BUMPED = {"orders", "lots"}  # view_orders; view_lot_keys, view_lots, view_demand


def test_a_new_schema_version_drops_and_rebuilds_that_view_only(written: Written) -> None:
    bumped, untouched = projector_tables(BUMPED), projector_tables() - projector_tables(BUMPED)
    app = build_app(written.env)
    db = written.views()
    try:
        # Yesterday's shape of the bumped views (an extra column) and damage everywhere.
        for table in sorted(bumped):
            db.execute(f"ALTER TABLE {table} ADD COLUMN retired_column TEXT")
        corrupt(db, bumped | untouched)
        before = view_tables(db)
        was = tracking(db)
        assert set(was.values()) == {written.end}

        projectors = spine_projectors(app.orders.personal)
        for p in projectors:
            if p.name in BUMPED:
                p.schema_version += 1
        runner = ProjectionRunner(app, db, projectors)  # start-up notices the new versions
        dropped = view_tables(db)
        for table in sorted(bumped):
            columns, rows = dropped[table]
            assert "retired_column" not in columns and not rows, f"{table} was not dropped"
        assert {n: p for n, p in runner.positions().items() if n in BUMPED} == dict.fromkeys(
            BUMPED, 0
        )
        assert {n for n in tracking(db)} == set(was) - BUMPED
        runner.catch_up()
        after = view_tables(db)
        diff = view_differences(written.live, after, only=bumped)
        assert not diff, "\n".join(diff)
        for table in sorted(untouched):  # neither dropped nor replayed: still as damaged
            assert after[table] == before[table], f"{table} was touched"
        assert {n: p for n, p in runner.positions().items() if n not in BUMPED} == {
            n: p for n, p in was.items() if n not in BUMPED
        }
        versions = {
            r["name"]: r["version"] for r in db.query("SELECT name, version FROM projection_schema")
        }
        assert versions == {p.name: p.schema_version for p in projectors}

        # Back to today's versions: the bumped views are dropped and rebuilt once more, and
        # rebuilding one view by name repairs it without touching the others.
        runner = ProjectionRunner(app, db, spine_projectors(app.orders.personal))
        runner.catch_up()
        for p in spine_projectors(app.orders.personal):
            if p.name not in BUMPED:
                runner.rebuild(p.name)
        diff = view_differences(written.live, view_tables(db))
        assert not diff, "\n".join(diff)
    finally:
        db.close()
        app.close()


def tracking(db: ViewDB) -> dict[str, int]:
    return {r["name"]: int(r["position"]) for r in db.query("SELECT * FROM projection_tracking")}


# -------------------------------------------------------------------------- snapshots
def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def replayed(app: Any, aggregate_id: UUID, version: int | None = None) -> Any:
    """The aggregate from its events alone (no snapshot), up to `version`."""
    aggregate = None
    for e in app.store.events.get(aggregate_id, lte=version):
        aggregate = e.mutate(aggregate)
    return aggregate


def test_every_snapshot_loads_the_same_as_replaying_the_events_alone(written: Written) -> None:
    app = build_app(written.env)  # a new process: nothing cached, snapshots read from the store
    try:
        last: dict[UUID, int] = {}  # every stream in the log and its last version
        position = 0
        while batch := app.recorder.select_notifications(start=position + 1, limit=1000):
            for n in batch:
                last[UUID(str(n.originator_id))] = n.originator_version
            position = batch[-1].id
        assert position == written.end
        seen: dict[str, list[tuple[int, int]]] = {}  # class -> (snapshot version, last version)
        wrong = []
        for oid, end in last.items():
            versions = [s.originator_version for s in app.store.snapshots.get(oid)]
            if not versions:
                continue
            cls = type(app.repository.get(oid, version=versions[0]))
            for v in versions:
                seen.setdefault(cls.__name__, []).append((v, end))
                from_snapshot = app.repository.get(oid, version=v)
                if state(from_snapshot) != state(replayed(app, oid, v)):
                    wrong.append(f"{cls.__name__} {oid} at snapshot v{v}")
            latest = app.repository.get(oid)  # the latest snapshot, then later events
            if latest.version != end or state(latest) != state(replayed(app, oid)):
                wrong.append(f"{cls.__name__} {oid} at v{end} (snapshot v{versions[-1]})")
        assert not wrong, wrong[:10]
        for cls in MUST_SNAPSHOT:
            taken = seen.get(cls.__name__, [])
            assert taken, f"no {cls.__name__} was snapshotted"
            assert any(end > v for v, end in taken), f"no {cls.__name__} event after a snapshot"
    finally:
        app.close()
