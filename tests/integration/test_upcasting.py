"""Streams written before lots and bins existed (Inventory v1) still load, on both stores."""

from __future__ import annotations

import json
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


def test_a_v2_snapshot_loads_with_nothing_inbound_and_takes_todays_inbound_events(app):
    """An Inventory snapshot stored by v2 code (lots and bins, no inbound, pre-sales or
    transfers) loads through `upcast_v2_v3`, continues with an old event after it, and today's
    inbound events carry on from there."""

    inv_id = Inventory.create_id("LAX", "SKU-PHONE-CASE")
    when = {"_type_": "datetime_iso", "_data_": "2026-11-01T10:00:00+00:00"}
    lot = {"lot": "L1", "bin": "A-01-01-1", "expiry": None, "seq": 1, "on_hand": 8, "reserved": 3}
    v2_state = {
        "_created_on": when,
        "_modified_on": when,
        "class_version": 2,
        "warehouse_id": "LAX",
        "sku": "SKU-PHONE-CASE",
        "on_hand": 8,
        "reservations": {"order-a": 3},
        "receipts": ["r-1"],
        "lots": {"L1|A-01-01-1": lot},
        "allocations": {"order-a": [{"lot": "L1", "bin": "A-01-01-1", "quantity": 3}]},
        "seq": 1,
        "counts": [],
    }
    snapshot = StoredEvent(
        originator_id=inv_id,
        originator_version=3,
        topic="eventsourcing.domain:Snapshot",
        state=json.dumps(
            {"timestamp": when, "topic": "domains.warehouse.model:Inventory", "state": v2_state}
        ).encode(),
    )
    app.store.snapshots.recorder.insert_events([snapshot])
    app.recorder.insert_events(
        [
            v1_event(app, inv_id, 1, "Opened", warehouse_id="LAX", sku="SKU-PHONE-CASE"),
            StoredEvent(
                originator_id=inv_id,
                originator_version=4,
                topic="domains.warehouse.model:Inventory.Received",
                state=app.store.mapper.transcoder.encode(
                    {
                        "timestamp": datetime(2026, 11, 2, tzinfo=UTC),
                        "quantity": 2,
                        "receipt_ref": "r-2",
                        "lot": "L1",
                        "bin": "A-01-01-1",
                        "expiry": None,
                        "class_version": 2,
                    }
                ),
            ),
        ]
    )
    inv = app.repository.get(inv_id)
    assert (inv.version, inv.on_hand, inv.reserved) == (4, 10, 3)
    assert (inv.inbound, inv.presales, inv.shipped_out) == ({}, {}, {})
    inv.expect("IB-9", "2026-12-01", [{"lot": "SEA", "expiry": None, "quantity": 5}])
    inv.presell("order-b", "IB-9", 4, "web")
    plan = inv.plan_inbound_receipt(
        "IB-9",
        [{"lot": "SEA", "bin": "A-01-02-1", "expiry": None, "quantity": 5}],
        False,
        0,
        datetime(2026, 12, 1).date(),
    )
    inv.receive_inbound(plan)
    app.store.save(inv)
    again = app.repository.get(inv_id, version=inv.version)
    assert (again.on_hand, again.reserved, again.expected) == (15, 7, 0)
    # FIFO: the pre-sale takes the older lot's free units first
    assert again.allocations["order-b"] == [
        {"lot": "L1", "bin": "A-01-01-1", "quantity": 4},
    ]
