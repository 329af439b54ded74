"""Builders for the application tests.

Orders are built from a valid default with overrides (the house style of
tests/unit/test_review_rules.py): `order(lines=[line("SKU-TEA-001", 2)])`. The floor helpers
below drive the use cases through the steps every later flow starts from (receive, take in,
wave, claim, scan, pack), each exactly as an entry point would call it.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domains.crossdock import Crossdock
from domains.orders.intake import Intake
from domains.orders.model import Order
from domains.warehouse.application import cutoff_for
from domains.warehouse.picking import PickList

PLACED_AT = "2026-11-20T08:00:00+00:00"  # an hour before the test clock's start
ANY_CUTOFF = "9999-12-31T00:00:00+00:00"  # a wave released without a cut-off takes everything


# ---------------------------------------------------------------------------------- orders
def ship_to(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        name="Ada Buyer",
        line1="1 Main St",
        line2=None,
        city="Los Angeles",
        region="CA",
        postcode="90001",
        country="US",
    )
    base.update(kw)
    return base


def line(sku: str = "SKU-PHONE-CASE", quantity: int = 1, unit_price: str = "7.50") -> dict:
    return {"sku": sku, "quantity": quantity, "unit_price": unit_price}


def order(**kw: Any) -> dict[str, Any]:
    """A canonical web order to a Los Angeles address, one phone case at 7.50 USD."""
    base: dict[str, Any] = dict(
        external_id="W-1",
        placed_at=PLACED_AT,
        currency="USD",
        customer={"name": "Ada Buyer", "email": "ada@example.com", "phone": None},
        ship_to=ship_to(),
        lines=[line()],
        dealer_id=None,
    )
    base.update(kw)
    return base


def dealer_order(**kw: Any) -> dict[str, Any]:
    """An order of DLR-US-01 (Pacific Coast Wholesale: regions US-CA/OR/WA, USD)."""
    base: dict[str, Any] = dict(external_id="D-1", dealer_id="DLR-US-01")
    base.update(kw)
    return order(**base)


def intake(canonical: dict[str, Any], channel: str = "web") -> Intake:
    return Intake(channel, canonical, canonical)


def take_in(app: Crossdock, channel: str = "web", **kw: Any) -> Order:
    """Takes `order(**kw)` in on `channel` and answers the stored order."""
    build = dealer_order if channel == "dealer" else order
    outcome, _ = app.orders.intake(intake(build(**kw), channel))
    return app.orders.get_order(outcome.order_id)


# ---------------------------------------------------------------------------------- floor
def receive(
    app: Crossdock,
    warehouse_id: str,
    sku: str,
    quantity: int,
    bin_code: str,
    lot: str = "L1",
    expiry: date | None = None,
    receipt_id: str | None = None,
) -> dict[str, Any]:
    """A handheld goods receipt into a bin."""
    result, _ = app.warehouse.receive_goods(
        warehouse_id,
        sku,
        quantity,
        receipt_id or f"R-{sku}-{lot}-{bin_code}",
        lot,
        bin_code,
        expiry,
    )
    return result


def wave(
    app: Crossdock,
    warehouse_id: str,
    *orders: Order,
    max_lines: int = 20,
    max_weight_g: int = 25_000,
) -> dict[str, Any]:
    """Releases the orders' shipments from this warehouse into one wave (the candidates the
    shipments view would list, with the channel's cut-off)."""
    candidates = [
        (o.id, s["shipment_no"], cutoff_for(o.canonical["placed_at"], o.channel))
        for o in orders
        for s in o.shipments
        if s["warehouse_id"] == warehouse_id
    ]
    result, _ = app.warehouse.release_wave(
        warehouse_id, candidates, max_lines, max_weight_g, ANY_CUTOFF, "lead"
    )
    return result


def list_ids(released: dict[str, Any]) -> list[UUID]:
    return [UUID(p["id"]) for p in released["pick_lists"]]


def claim(app: Crossdock, warehouse_id: str, picker: str, released: dict) -> PickList:
    task = app.warehouse.next_task(warehouse_id, picker, list_ids(released))
    assert task is not None, f"no open pick list for {picker}"
    return task


def pick_all(app: Crossdock, task: PickList, picker: str, prefix: str = "scan") -> PickList:
    """Scans every open line as listed, in route order; answers the list when done."""
    for n in range(100):
        now = app.warehouse.get_pick_list(task.id, task.warehouse_id)
        expected = now.next_line()
        if expected is None:
            return now
        app.warehouse.scan(
            task.id,
            task.warehouse_id,
            picker,
            f"{prefix}-{n}",
            expected["bin"],
            expected["sku"],
            expected["lot"],
            now.remaining(expected),
        )
    raise AssertionError("the pick list never finished")


def parcel(
    items: dict[str, int], weight_g: int, dimensions_mm: tuple[int, int, int] = (200, 150, 50)
) -> dict[str, Any]:
    return {
        "weight_g": weight_g,
        "dimensions_mm": list(dimensions_mm),
        "items": [{"sku": sku, "quantity": q} for sku, q in items.items()],
    }


def pack_as_picked(
    app: Crossdock, order_id: UUID, shipment_no: int = 1, weight_g: int | None = None
) -> dict[str, Any]:
    """One parcel holding exactly what was picked, weighing (unless told otherwise) what the
    catalogue says those units weigh."""
    picked = app.orders.get_order(order_id).picked_quantities(shipment_no)
    products = app.reference.current()["products"]
    expected = sum(products[sku].unit_weight_g * q for sku, q in picked.items())
    result, _ = app.warehouse.pack_shipment(
        order_id, shipment_no, [parcel(picked, weight_g or expected)], "packer", None
    )
    return result


def packed_order(
    app: Crossdock,
    warehouse_id: str,
    sku: str,
    quantity: int,
    unit_price: str,
    *,
    bin_code: str = "A-02-05-1",
    external_id: str = "P-1",
    channel: str = "web",
    picker: str = "ann",
    **order_kw: Any,
) -> tuple[Order, dict[str, Any]]:
    """An order of `quantity` x `sku`, stocked (twice over) in one bin of `warehouse_id`,
    waved, picked and packed as picked. Answers the order and the packing answer."""
    receive(app, warehouse_id, sku, quantity * 2, bin_code, receipt_id=f"R-{external_id}")
    o = take_in(
        app,
        channel,
        external_id=external_id,
        lines=[line(sku, quantity, unit_price)],
        **order_kw,
    )
    assert o.status == "allocated", o.hold_reasons
    task = claim(app, warehouse_id, picker, wave(app, warehouse_id, o))
    pick_all(app, task, picker, prefix=external_id)
    packed = pack_as_picked(app, o.id)
    return app.orders.get_order(o.id), packed


def shipment_row(o: Order, shipment_no: int = 1, **kw: Any) -> dict[str, Any]:
    """The shipments view's row for one shipment (what the SLA check reads), from the order."""
    entry = o.fulfilment.get(str(shipment_no), {})
    tracking = entry.get("tracking") or []
    base: dict[str, Any] = dict(
        order_id=str(o.id),
        shipment_no=shipment_no,
        shipment_id=f"{o.id}-S{shipment_no}",
        status=entry.get("status", "allocated"),
        cutoff=cutoff_for(o.canonical["placed_at"], o.channel),
        dispatched_at=entry.get("dispatched_at"),
        last_scan_at=max((t["occurred_at"] for t in tracking), default=None),
        on_hold_since=None,
        hold_reason=None,
        eta=entry.get("eta"),
    )
    base.update(kw)
    return base
