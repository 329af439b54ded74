"""Reservation, picking and conflict-retry behaviour pinned down by the mutation check
(`make mutate`, group `retry`): each test is named after what a user of the API would notice
if that line of domains/warehouse/model.py or domains/store.py were wrong."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from domains import store as store_module
from domains.common import InsufficientStock, InvalidTransition
from domains.store import retry_on_conflict
from domains.warehouse.model import Inventory


def stocked(*lots: tuple[str, int, str | None]) -> Inventory:
    """LAX / SKU-A with one receipt per (lot, quantity, expiry), in that receipt order."""
    inv = Inventory("LAX", "SKU-A")
    for n, (lot, quantity, expiry) in enumerate(lots):
        inv.receive(quantity, f"r{n}", lot=lot, bin="B1", expiry=expiry)
    return inv


def last_event(inv: Inventory):
    return inv.collect_events()[-1]


# ------------------------------------------------------------------ reserve


def test_reserving_zero_units_is_refused_with_a_reason():
    inv = stocked(("L1", 5, None))
    with pytest.raises(InvalidTransition, match="^reserved quantity must be positive$"):
        inv.reserve("o1", 0)
    assert inv.reservations == {}


def test_the_last_free_unit_can_be_reserved():
    inv = stocked(("L1", 5, None))
    inv.reserve("o1", 5)
    assert inv.available == 0 and inv.reservations == {"o1": 5}


def test_a_shortfall_names_the_warehouse_sku_requested_and_available_quantity():
    inv = stocked(("L1", 5, None))
    inv.reserve("o0", 2)
    with pytest.raises(InsufficientStock) as short:
        inv.reserve("o1", 4)
    e = short.value
    assert (e.warehouse_id, e.sku, e.requested, e.available) == ("LAX", "SKU-A", 4, 3)
    assert str(e) == "SKU-A in LAX: requested 4, available 3"


def test_without_a_lot_preference_the_oldest_receipt_is_reserved_first_even_if_it_expires_later():
    inv = stocked(("LATE", 3, "2027-06-01"), ("EARLY", 3, "2027-01-01"))
    inv.reserve("o1", 4)
    assert inv.allocations["o1"] == [
        {"lot": "LATE", "bin": "B1", "quantity": 3},
        {"lot": "EARLY", "bin": "B1", "quantity": 1},
    ]


def test_a_named_lot_must_hold_the_units_free_not_just_on_hand():
    inv = stocked(("L1", 5, None), ("L2", 5, None))
    inv.reserve("o0", 3, [{"lot": "L1", "bin": "B1", "quantity": 3}])
    # L1 has 5 on hand but only 2 free; the stock as a whole has 7 free
    with pytest.raises(InsufficientStock) as short:
        inv.reserve("o1", 3, [{"lot": "L1", "bin": "B1", "quantity": 3}])
    e = short.value
    assert (e.warehouse_id, e.sku, e.requested, e.available) == ("LAX", "SKU-A", 3, 7)
    assert "o1" not in inv.reservations


def test_a_named_lot_that_is_not_in_stock_is_refused():
    inv = stocked(("L1", 5, None))
    with pytest.raises(InsufficientStock):
        inv.reserve("o1", 1, [{"lot": "NOPE", "bin": "B1", "quantity": 1}])
    assert "o1" not in inv.reservations


def test_lot_allocations_that_do_not_add_up_are_refused_with_a_reason():
    inv = stocked(("L1", 5, None))
    with pytest.raises(
        InvalidTransition, match="^lot allocations do not add up to the reserved quantity$"
    ):
        inv.reserve("o1", 3, [{"lot": "L1", "bin": "B1", "quantity": 2}])


def test_the_reservation_records_its_policy_fifo_by_default_and_the_date_it_was_decided_for():
    inv = stocked(("L1", 5, None))
    inv.reserve("o1", 1)
    e = last_event(inv)
    assert (e.policy, e.as_of) == ("FIFO", None)
    inv.reserve("o2", 1, policy="FEFO", as_of="2026-11-20")
    e = last_event(inv)
    assert (e.policy, e.as_of) == ("FEFO", "2026-11-20")


# ------------------------------------------------------------------ release and pick


def test_a_release_records_how_many_units_went_back_and_from_which_lots():
    inv = stocked(("L1", 5, None))
    inv.reserve("o1", 3)
    assert inv.release("o1") == 3
    e = last_event(inv)
    assert e.quantity == 3
    assert e.allocations == [{"lot": "L1", "bin": "B1", "quantity": 3}]
    assert inv.available == 5 and inv.release("o1") == 0


def test_picking_zero_units_is_refused_with_a_reason():
    inv = stocked(("L1", 5, None))
    inv.reserve("o1", 2)
    with pytest.raises(
        InvalidTransition, match="^0 of SKU-A lot L1 in B1 is not reserved for this order$"
    ):
        inv.pick("o1", "L1", "B1", 0)
    assert inv.reservations == {"o1": 2} and inv.on_hand == 5


def test_picking_more_than_reserved_is_refused_with_what_and_where():
    inv = stocked(("L1", 5, None))
    inv.reserve("o1", 2)
    with pytest.raises(
        InvalidTransition, match="^3 of SKU-A lot L1 in B1 is not reserved for this order$"
    ):
        inv.pick("o1", "L1", "B1", 3)


# ------------------------------------------------------------------ retry on conflict


def conflicts_then(n_conflicts: int, result: str = "done"):
    calls: list[int] = []

    def attempt(n: int) -> str:
        calls.append(n)
        if len(calls) <= n_conflicts:
            raise IntegrityError("another writer saved first")
        return result

    return attempt, calls


def test_each_retry_after_a_conflict_knows_it_is_a_retry_and_pauses_a_little_longer(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(store_module.time, "sleep", pauses.append)
    attempt, calls = conflicts_then(3)
    dropped: list[int] = []
    assert retry_on_conflict(attempt, on_conflict=lambda: dropped.append(1)) == "done"
    assert calls == [0, 1, 2, 3]
    assert pauses == pytest.approx([0.001, 0.002, 0.003])
    assert len(dropped) == 3


def test_a_command_that_keeps_conflicting_is_told_to_retry_later():
    attempt, calls = conflicts_then(10)
    with pytest.raises(
        InvalidTransition, match="^kept conflicting with concurrent writers; retry$"
    ):
        retry_on_conflict(attempt, tries=3, backoff_s=0)
    assert calls == [0, 1, 2]
