"""Streams written before lots and bins existed (Inventory v1) still load, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eventsourcing.persistence import StoredEvent

from domains.warehouse.model import Inventory


def v1_event(app, inv_id, version, name, **state):
    state["timestamp"] = datetime(2026, 11, 1, tzinfo=UTC)
    if name == "Opened":
        state["originator_topic"] = "domains.warehouse.model:Inventory"
    return StoredEvent(
        originator_id=inv_id,
        originator_version=version,
        topic=f"domains.warehouse.model:Inventory.{name}",
        state=app.store.mapper.transcoder.encode(state),
    )


def test_v1_inventory_events_and_snapshot_upcast(app):
    inv_id = Inventory.create_id("LAX", "SKU-TEA-001")
    app.recorder.insert_events(
        [
            v1_event(app, inv_id, 1, "Opened", warehouse_id="LAX", sku="SKU-TEA-001"),
            v1_event(app, inv_id, 2, "Received", quantity=10, receipt_ref="old-1"),
            v1_event(app, inv_id, 3, "Reserved", order_id="order-1", quantity=4),
        ]
    )
    inv = app.repository.get(inv_id)
    assert (inv.on_hand, inv.reserved, inv.available) == (10, 4, 6)
    (lot,) = inv.lots.values()
    assert lot["lot"] == "UNLOTTED" and (lot["on_hand"], lot["reserved"]) == (10, 4)
    # New-shape events continue the old stream: a lotted receipt and a pick of the old stock.
    inv.receive(5, "new-1", lot="L2", bin="A-01-01-1", expiry=None)
    inv.pick("order-1", "UNLOTTED", None, 4)
    app.store.save(inv)
    again = app.repository.get(inv_id)
    assert (again.on_hand, again.reserved, len(again.lots)) == (11, 0, 2)


def test_v1_snapshot_state_upcasts():
    state = {
        "warehouse_id": "LAX",
        "sku": "S",
        "on_hand": 7,
        "reservations": {"o1": 2},
        "receipts": ["r"],
    }
    Inventory.upcast_v1_v2(state)
    assert state["lots"]["UNLOTTED|"]["reserved"] == 2
    assert state["allocations"] == {"o1": [{"lot": "UNLOTTED", "bin": None, "quantity": 2}]}


@pytest.mark.parametrize(
    ("on_hand", "reservations", "lot_units"),
    [(7, {}, (7, 0)), (0, {}, None), (5, {"o1": 5}, (5, 5))],
    ids=["stock-nothing-reserved", "empty", "all-reserved"],
)
def test_a_v1_snapshot_keeps_its_stock_as_one_unlotted_lot(on_hand, reservations, lot_units):
    """Stock with no reservations is still stock: it must come back as a lot that can be
    reserved (an empty stream keeps no lot at all)."""
    state = {"warehouse_id": "LAX", "sku": "S", "on_hand": on_hand}
    state.update(reservations=reservations, receipts=["r"])
    Inventory.upcast_v1_v2(state)
    lot = state["lots"].get("UNLOTTED|")
    assert (None if lot is None else (lot["on_hand"], lot["reserved"])) == lot_units
