"""The composition root: the only place that knows which concrete adapters are in use.

Configuration is by environment, with an embedded default (a SQLite file under ./var/):
  PERSISTENCE_MODULE=eventsourcing.sqlite   SQLITE_DBNAME=var/crossdock.db      (default)
  PERSISTENCE_MODULE=eventsourcing.postgres POSTGRES_DBNAME/HOST/PORT/USER/PASSWORD[/SCHEMA]
Keys may be prefixed CROSSDOCK_ (the application's name), which wins over the plain key.
The views live in the same database; CROSSDOCK_INLINE_PROJECTION=0 leaves them to separate
`crossdock project` workers instead of catching up before each read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from adapters.customs.documents import render_commercial_invoice, render_packing_list
from adapters.customs.rules import load_tariffs, shipped_files, tables_from_files
from adapters.orders import risk_model
from adapters.orders.channels import read_dealer_file
from adapters.orders.split_cpsat import CpSatSplitSolver
from adapters.planning.bundles import association_rules
from adapters.planning.forecaster import HoltWintersWithPeaks
from adapters.planning.history import DemoDemand, SyntheticDemand, baskets
from adapters.privacy.keys import MemorySubjectKeys, SqlSubjectKeys
from adapters.receivables.statements import parse_statement
from adapters.reference.facts import EcbRates, IsoCountries, LaneCostTable
from adapters.returns.claim_files import claim_file
from adapters.settlement.files import PandasBillFiles, reconcile_bill
from adapters.settlement.ledger import cost_totals
from adapters.transport.carriers.issuer import sandbox_issuers
from adapters.transport.carriers.tracking_codes import normalise
from adapters.transport.rate_cards import parse_rate_card_csv
from adapters.transport.scorecards import (
    carrier_record_rows,
    carrier_scorecards,
    load_record_settings,
)
from adapters.warehouse.pick_route import OrToolsPickRouter
from domains.crossdock import Crossdock
from domains.customs.application import CustomsUseCases
from domains.inbound.application import InboundUseCases
from domains.journey import JourneyQueries, tracking_tokens
from domains.metrics.application import MetricsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.risk_review import RiskReview
from domains.planning.application import PlanningUseCases
from domains.ports import Clock
from domains.privacy.application import PrivacyUseCases
from domains.privacy.sealing import PersonalData
from domains.receivables.application import ReceivablesUseCases
from domains.reference.application import ReferenceUseCases
from domains.returns.application import ReturnsUseCases
from domains.returns.claims import ClaimUseCases
from domains.returns.rules import LOST_AFTER_DAYS
from domains.settlement.application import SettlementUseCases
from domains.store import Store
from domains.transport.application import TransportUseCases
from domains.transport.rates import RateBook, RateCardLaneCosts, RateCardLaneOffers
from domains.transport.recommend import CarrierRecord
from domains.warehouse.application import WarehouseUseCases
from projections import spine_projectors
from projections.db import ViewDB
from projections.inbound_views import LandedCostViews
from projections.journey_views import JourneyReads
from projections.live import LiveViews
from projections.metrics_views import MetricViews
from projections.planning_views import PlanningViews, RecordedDemand
from projections.privacy_views import SubjectOrders
from projections.receivables_views import ReceivablesViews
from projections.returns_views import ReturnViews
from projections.settlement_views import SettlementViews
from projections.transport_views import TransportViews

DEFAULT_SQLITE = "var/crossdock.db"


def store_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The effective store settings: environment, then overrides, then the embedded default."""
    env = {k: v for k, v in os.environ.items()}
    if overrides:
        env.update(overrides)

    def get(key: str) -> str | None:
        return env.get(f"CROSSDOCK_{key}") or env.get(key)

    module = get("PERSISTENCE_MODULE") or "eventsourcing.sqlite"
    out = {"PERSISTENCE_MODULE": module}
    if module == "eventsourcing.sqlite":
        db = get("SQLITE_DBNAME") or DEFAULT_SQLITE
        if db != ":memory:" and not db.startswith("file:"):
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        out["SQLITE_DBNAME"] = db
        out["SQLITE_LOCK_TIMEOUT"] = get("SQLITE_LOCK_TIMEOUT") or "30"
    elif module == "eventsourcing.postgres":
        for key in ("DBNAME", "HOST", "PORT", "USER", "PASSWORD", "SCHEMA", "POOL_SIZE"):
            value = get(f"POSTGRES_{key}")
            if value:
                out[f"POSTGRES_{key}"] = value
        out.setdefault("POSTGRES_HOST", "127.0.0.1")
        out.setdefault("POSTGRES_PORT", "5432")
        out.setdefault("POSTGRES_PASSWORD", "postgres")  # required by the library, even for trust
        out.setdefault("POSTGRES_POOL_SIZE", "10")
        # Same table and semantics as the library's recorder, binary bulk insert (see module).
        from adapters.pg_recorder import TOPIC

        out["APPLICATION_RECORDER_TOPIC"] = get("APPLICATION_RECORDER_TOPIC") or TOPIC
    out["AGGREGATE_CACHE_MAXSIZE"] = get("AGGREGATE_CACHE_MAXSIZE") or "20000"
    ttl = get("REFERENCE_TTL_S")
    if ttl:
        out["REFERENCE_TTL_S"] = ttl
    return out


@lru_cache(maxsize=1)
def _fx() -> EcbRates:
    return EcbRates()


@lru_cache(maxsize=1)
def _tariffs() -> Any:
    return load_tariffs()


@lru_cache(maxsize=1)
def _countries() -> IsoCountries:
    return IsoCountries()


def _admin_connection(env: Mapping[str, str]) -> Any:
    """An autocommit connection to the store's PostgreSQL database, for start-up DDL."""
    import psycopg

    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env.get("POSTGRES_USER"),
        password=env.get("POSTGRES_PASSWORD"),
        autocommit=True,
    )


def ensure_schema(env: Mapping[str, str]) -> None:
    """The library expects POSTGRES_SCHEMA to exist already; create it on first use."""
    schema = env.get("POSTGRES_SCHEMA")
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres" or not schema:
        return
    from psycopg import sql

    with _admin_connection(env) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


DDL_LOCK_KEY = 7_164_212_001  # one advisory lock for "creating Crossdock's tables"


@contextmanager
def ddl_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Serialise start-up DDL across processes: PostgreSQL answers concurrent
    CREATE ... IF NOT EXISTS on the same objects with "tuple concurrently updated"."""
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        yield
        return
    with _admin_connection(env) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (DDL_LOCK_KEY,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (DDL_LOCK_KEY,))


def build_app(overrides: Mapping[str, str] | None = None, clock: Clock | None = None) -> Crossdock:
    return build_app_with_views(overrides, clock)[0]


def build_app_with_views(
    overrides: Mapping[str, str] | None = None, clock: Clock | None = None
) -> tuple[Crossdock, LiveViews]:
    """The application and its read side (the same object as `app.views`, with the view
    database and the projection runner that entry points serving reads need)."""
    env = store_env(overrides)
    with ddl_lock(env):
        ensure_schema(env)
        return _construct(env, clock)


def _intake_lock(env: dict[str, str]) -> Any:
    """On a SQLite file, intake batches of all processes take turns (a file lock next to the
    database); on PostgreSQL, concurrent consumers decide in parallel and rely on optimistic
    concurrency (their conflicts are rarer than the lock's round trips would cost)."""
    if env["PERSISTENCE_MODULE"] != "eventsourcing.sqlite":
        return None
    db = env["SQLITE_DBNAME"]
    if db == ":memory:" or db.startswith("file:"):
        return None
    from adapters.file_lock import ProcessLock

    return ProcessLock(Path(db + ".intake-lock"))


def demand_history(views: LiveViews, clock: Clock) -> Any:
    """Recorded demand (units reserved per business day); with CROSSDOCK_DEMAND_HISTORY=
    synthetic, laid over two years of SYNTHETIC history ending yesterday (the demo's and
    the tests' choice: adapters/planning/history.py)."""
    recorded = RecordedDemand(views.db, views.fresh)
    if not synthetic_demand():
        return recorded
    yesterday = clock.now().date() - timedelta(days=1)
    return DemoDemand(recorded, SyntheticDemand(yesterday))


def synthetic_demand() -> bool:
    return os.environ.get("CROSSDOCK_DEMAND_HISTORY", "recorded") == "synthetic"


def order_lines(views: PlanningViews) -> Any:
    """The recorded orders' lines; with synthetic demand, the SYNTHETIC baskets added."""
    if not synthetic_demand():
        return views.order_lines
    demo = baskets().to_dict(orient="records")
    return lambda: views.order_lines() + demo


def _construct(env: dict[str, str], clock: Clock | None) -> tuple[Crossdock, LiveViews]:
    """Every context built through its constructor, each given what it calls (domains/crossdock.py
    shows the order); the only place that names concrete adapters."""
    split_time = float(os.environ.get("CROSSDOCK_SPLIT_TIME_LIMIT_S", "2.0"))
    store = Store(env, clock=clock)
    inline = os.environ.get("CROSSDOCK_INLINE_PROJECTION", "1") != "0"
    # Personal data is sealed per data subject under keys kept outside the event log.
    subject_keys = (
        MemorySubjectKeys()
        if env["PERSISTENCE_MODULE"] == "eventsourcing.popo"
        else SqlSubjectKeys(env)
    )
    # The customer search index and the tracking tokens are keyed with the server's secret.
    views = LiveViews(
        store,
        ViewDB(env),
        inline=inline,
        projectors=partial(spine_projectors, PersonalData(subject_keys)),
    )
    reference = ReferenceUseCases(store)
    rates = RateBook(store, _fx(), parse_rate_card_csv)
    # Split estimates come from the rate cards once there are any (else the lane table).
    lane_costs = RateCardLaneCosts(rates, fallback=LaneCostTable())
    orders = OrderUseCases(
        store,
        reference,
        fx=_fx(),
        countries=_countries(),
        costs=lane_costs,
        dealer_orders=read_dealer_file,
        split_solver=CpSatSplitSolver(time_limit_s=split_time),
        intake_lock=_intake_lock(env),
        lane_offers=RateCardLaneOffers(rates),
        personal=PersonalData(subject_keys),
        # Orders screened for risk: rules, and the anomaly model once one was fitted.
        risk=RiskReview(
            _fx(),
            PersonalData(subject_keys),
            model=risk_model.load(),
            forwarders=risk_model.load_forwarders(),
        ),
    )
    customs = CustomsUseCases(
        store,
        reference,
        rates,
        orders,
        fx=_fx(),
        countries=_countries(),
        documents={
            "commercial-invoice.pdf": render_commercial_invoice,
            "packing-list.pdf": render_packing_list,
        },
        tariff_loader=tables_from_files,
        shipped_tariffs=_tariffs(),
        shipped_files=shipped_files(),
    )
    warehouse = WarehouseUseCases(
        store,
        reference,
        orders,
        customs,
        pick_router=OrToolsPickRouter(),
        costs=lane_costs,
    )
    carriers = sandbox_issuers()
    return_views = ReturnViews(views.db, views.fresh)
    settlement = SettlementUseCases(
        store,
        reference,
        orders,
        fx=_fx(),
        base_currency=os.environ.get("CROSSDOCK_BASE_CURRENCY", "EUR"),
        views=SettlementViews(views.db, views.fresh),
        bill_files=PandasBillFiles(),
        reconcile=reconcile_bill,
        cost_totals=cost_totals,
        landed=LandedCostViews(views.db, views.fresh),
        entries=return_views.ledger_entries,
    )
    receivables = ReceivablesUseCases(
        store,
        reference,
        orders,
        fx=_fx(),
        holds=ReceivablesViews(views.db, views.fresh),
        statements=parse_statement,
    )
    transport = TransportUseCases(
        store,
        reference,
        orders,
        rates,
        customs,
        carriers=carriers,
        countries=_countries(),
        views=TransportViews(views.db, views.fresh),
        scorecards=carrier_scorecards,
        tracking_codes=normalise,
        receivables=receivables,
        claim_counts=return_views.claim_counts,
    )
    # Best value priced by expected cost from the carriers' own record (on-time, claims).
    transport.record = CarrierRecord(
        TransportViews(views.db, views.fresh),
        carrier_record_rows,
        load_record_settings(),
        lambda: {code: w.country for code, w in reference.current()["warehouses"].items()},
        return_views.claim_counts,
    )
    returns = ReturnsUseCases(
        store, reference, orders, customs, warehouse, rates, carriers=carriers, views=return_views
    )
    transport.scan_listeners.append(returns.on_scan)
    lost_after = int(os.environ.get("CROSSDOCK_CLAIM_LOST_AFTER_DAYS", str(LOST_AFTER_DAYS)))
    planning_views = PlanningViews(views.db, views.fresh)
    inbound = InboundUseCases(
        store,
        reference,
        orders,
        warehouse,
        customs,
        rates,
        fx=_fx(),
        countries=_countries(),
        landed=LandedCostViews(views.db, views.fresh),
    )
    app = Crossdock(
        store=store,
        reference=reference,
        rates=rates,
        orders=orders,
        customs=customs,
        transport=transport,
        warehouse=warehouse,
        settlement=settlement,
        privacy=PrivacyUseCases(
            store,
            orders,
            customs,
            keys=subject_keys,
            index=SubjectOrders(views.db, views.fresh),
        ),
        inbound=inbound,
        planning=PlanningUseCases(
            store,
            reference,
            inbound,
            history=demand_history(views, store.clock),
            model=HoltWintersWithPeaks(),
            reads=planning_views,
            order_lines=order_lines(planning_views),
            association_rules=association_rules,
        ),
        receivables=receivables,
        journey=JourneyQueries(
            orders,
            customs,
            settlement,
            JourneyReads(views.db, views.fresh),
            tracking_tokens(subject_keys),
        ),
        returns=returns,
        claims=ClaimUseCases(
            store, orders, views=return_views, claim_file=claim_file, lost_after_days=lost_after
        ),
        metrics=MetricsUseCases(store, MetricViews(views.db, views.fresh), settlement),
        views=views,
    )
    return app, views
