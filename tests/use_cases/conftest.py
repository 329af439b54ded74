"""The use cases called directly (no HTTP) on an application built like tests/conftest.py's
`app` (a store per backend, seeded reference data), on a clock the test moves, with helpers
that take a shipment through the warehouse floor by the floor's own use cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from domains.crossdock import Crossdock
from domains.orders.intake import Intake
from domains.warehouse.application import cutoff_for
from tests.integration.test_spine_scenarios import web_order


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # an hour after the orders

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: dict[str, str], clock: Clock) -> Iterator[Crossdock]:
    a = build_app(store, clock=clock)
    seed_reference(a)
    yield a
    a.close()


BINS = {"SKU-PHONE-CASE": "A-02-05-1", "SKU-CHARGER-65W": "A-05-10-1"}


def push_web_order(app: Crossdock, ext: str, lines: list, **ship_to: Any) -> UUID:
    canonical = web_order(ext, lines, **ship_to)
    outcome, _ = app.orders.intake(Intake("web", canonical, canonical))
    assert outcome.order is not None and outcome.order.status == "allocated", outcome
    return outcome.order_id


def packed_shipment(
    app: Crossdock, ext: str, goods: dict[str, int] | None = None, **ship_to: Any
) -> UUID:
    """A web order from LAX (two phone cases unless `goods` says otherwise; to the US unless
    `ship_to` says otherwise), waved, picked and packed in one parcel: its shipment 1."""
    goods = goods or {"SKU-PHONE-CASE": 2}
    for sku, quantity in goods.items():
        app.warehouse.receive_goods("LAX", sku, quantity, f"R-{ext}", "P1", BINS[sku], None)
    order_id = push_web_order(app, ext, [(s, q, "10.00") for s, q in goods.items()], **ship_to)
    cutoff = cutoff_for(app.orders.get_order(order_id).canonical["placed_at"], "web")
    wave, _ = app.warehouse.release_wave("LAX", [(order_id, 1, cutoff)], 20, 25_000, cutoff, "ann")
    task = app.warehouse.next_task("LAX", "ann", [UUID(p["id"]) for p in wave["pick_lists"]])
    for n, ln in enumerate(task.details()["next"]):
        app.warehouse.scan(
            task.id, "LAX", "ann", f"{ext}-{n}", ln["bin"], ln["sku"], ln["lot"], ln["quantity"]
        )
    products = app.reference.current()["products"]
    parcel = {
        "weight_g": sum(products[s].unit_weight_g * q for s, q in goods.items()),
        "dimensions_mm": [200, 150, 50],
        "items": [{"sku": s, "quantity": q} for s, q in goods.items()],
    }
    app.warehouse.pack_shipment(order_id, 1, [parcel], "ann", "LAX")
    return order_id


def labelled_shipment(
    app: Crossdock, ext: str, policy: str = "cheapest", **kw: Any
) -> tuple[UUID, dict]:
    order_id = packed_shipment(app, ext, **kw)
    app.transport.choose_carrier(order_id, 1, policy)
    label, _ = app.transport.create_label(order_id, 1)
    return order_id, label


def dispatched_shipment(app: Crossdock, ext: str) -> tuple[UUID, dict]:
    order_id, label = labelled_shipment(app, ext)
    app.transport.dispatch(order_id, 1)
    return order_id, label
