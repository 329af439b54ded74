"""Backorders that release themselves: 10,000 orders held for stock, then one large receipt.

Untimed: a fresh store, the reference data, and N one-unit web orders for one SKU taken in (100
per transaction) with no stock anywhere, so every one is held for stock and queued in the SKU's
backorder index. Timed: ONE admin stock receipt of N units (`WarehouseUseCases.receive_stock`),
which records the receipt and then releases the waiting orders oldest first, in batches of one
transaction each (review, split, reservation, as intake does). Every order must end allocated.
Reported: total seconds of the receipt call, orders released per second, batches, conflicts.

    .venv/bin/python -m scripts.bench --only backorders [--quick]
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.bootstrap import build_app
from adapters.reference.seed import seed_reference
from domains.orders.intake import Intake
from domains.warehouse.model import Inventory

SKU = "SKU-PHONE-CASE"
WAREHOUSE = "LAX"
FULL_ORDERS = 10_000
QUICK_ORDERS = 1_000


def _order(n: int) -> dict[str, Any]:
    return {
        "external_id": f"BO-{n:06d}",
        "placed_at": "2026-11-20T08:00:00+00:00",
        "currency": "USD",
        "customer": {"name": "Bench Buyer", "email": "bench@example.com", "phone": None},
        "ship_to": {
            "name": "Bench Buyer",
            "line1": "1 Main St",
            "line2": None,
            "city": "Los Angeles",
            "region": "CA",
            "postcode": "90001",
            "country": "US",
        },
        "lines": [{"sku": SKU, "quantity": 1, "unit_price": "7.50"}],
        "dealer_id": None,
    }


def run_one(overrides: dict[str, str], kind: str, orders: int) -> dict[str, Any]:
    app = build_app(overrides)
    try:
        seed_reference(app)
        for start in range(0, orders, 100):
            items = [
                Intake("web", c, c) for c in map(_order, range(start, min(orders, start + 100)))
            ]
            outcomes, _ = app.orders.intake_batch(items)
            assert all(o.order is not None and o.order.status == "held" for o in outcomes)
        waiting = len(app.orders.waiting_for_stock([SKU]))
        assert waiting == orders, f"{waiting} of {orders} orders wait"
        t0 = time.perf_counter()
        app.warehouse.receive_stock(WAREHOUSE, SKU, orders, "bench-big-receipt")
        seconds = time.perf_counter() - t0
        inv = app.store.get_or_none(Inventory.create_id(WAREHOUSE, SKU))
        left = len(app.orders.waiting_for_stock([SKU]))
        released = inv.reserved
        assert left == 0 and released == orders, f"{released} released, {left} still waiting"
        return {
            "store": kind,
            "orders": orders,
            "seconds": round(seconds, 2),
            "orders_per_s": round(released / seconds),
        }
    finally:
        app.close()


def run(stores: Any, kinds: list[str], quick: bool) -> list[dict[str, Any]]:
    """One row per store kind ("sqlite", "postgres"); `stores` makes fresh stores."""
    orders = QUICK_ORDERS if quick else FULL_ORDERS
    return [run_one(stores.fresh(kind, "backorders"), kind, orders) for kind in kinds]


def report(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Backorders released by one receipt")
    for column in ("store", "orders", "seconds", "orders/s"):
        table.add_column(column, justify="right" if column != "store" else "left")
    for r in rows:
        table.add_row(
            r["store"], f"{r['orders']:,}", f"{r['seconds']:.1f}", f"{r['orders_per_s']:,}"
        )
    console.print(table)
