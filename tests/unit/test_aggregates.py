"""Aggregates keep their invariants on their own (no store involved)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domains.common import InsufficientStock, InvalidTransition
from domains.orders.model import Order
from domains.reference.model import Dealer, ProhibitedGoodsList
from domains.warehouse.model import Inventory

CANON = {
    "external_id": "E1",
    "placed_at": "2026-11-20T10:00:00+00:00",
    "currency": "USD",
    "customer": {"name": "A"},
    "ship_to": {"country": "US"},
    "dealer_id": None,
    "lines": [
        {"sku": "A", "quantity": 2, "unit_price": "1.25"},
        {"sku": "B", "quantity": 1, "unit_price": "10"},
    ],
}


def order():
    return Order(
        channel="web",
        external_id="E1",
        raw_payload=CANON,
        payload_hash="h",
        canonical=CANON,
        mapper_version=1,
    )


def test_order_id_is_stable_per_channel_and_external_id():
    assert Order.create_id("web", "E1") == order().id
    assert Order.create_id("amazon", "E1") != Order.create_id("web", "E1")
    assert order().total == Decimal("12.50")


def test_a_dealer_orders_id_is_its_dealer_and_its_own_number():
    def dealer_order(dealer: str) -> Order:
        canonical = {**CANON, "external_id": "4711", "dealer_id": dealer}
        return Order(
            channel="dealer",
            external_id="4711",  # the dealer's own number, as stored
            raw_payload=canonical,
            payload_hash="h",
            canonical=canonical,
            mapper_version=1,
        )

    eu, us = dealer_order("DLR-EU-01"), dealer_order("DLR-US-01")
    assert eu.id == Order.create_id("dealer", "4711", "DLR-EU-01") != us.id
    # the id orders got when "DLR-EU-01:4711" was their external id
    assert eu.id == Order.create_id("dealer", "DLR-EU-01:4711")


def test_only_an_approved_order_is_split_and_a_held_one_released_with_reason():
    o = order()
    o.record_review(
        rules=[{"rule": "credit", "passed": False, "code": "over_credit_limit", "reason": "over"}],
        outcome="held",
    )
    with pytest.raises(InvalidTransition):
        o.record_split({"plan": []})
    with pytest.raises(InvalidTransition):
        o.release(reason="  ", released_by="admin")
    o.release(reason="ok by sales", released_by="admin")
    assert o.overrides == ["credit"] and o.status == "received"
    o.cancel(reason="gone", cancelled_by="admin")
    with pytest.raises(InvalidTransition):
        o.cancel(reason="again", cancelled_by="admin")


def test_inventory_never_reserves_more_than_available_and_receipts_are_idempotent():
    inv = Inventory("LAX", "A")
    assert inv.receive(5, "r1") and not inv.receive(5, "r1")
    inv.reserve("o1", 3)
    with pytest.raises(InsufficientStock):
        inv.reserve("o2", 3)
    assert inv.release("o1") == 3 and inv.release("o1") == 0
    assert (inv.on_hand, inv.reserved, inv.available) == (5, 0, 5)


def test_dealer_credit_is_committed_once_per_order():
    d = Dealer("D1", "Dealer", Decimal("100"), "EUR", ["DE"], Decimal("10"))
    d.commit_credit("o1", Decimal("30"))
    with pytest.raises(InvalidTransition):
        d.commit_credit("o1", Decimal("30"))
    d.release_credit("o1")
    d.release_credit("o1")
    assert d.open_orders_total == 0


def test_prohibited_list_matches_hs_prefixes_per_country():
    lst = ProhibitedGoodsList()
    lst.publish(
        rules={"SA": [{"hs_prefix": "2204", "category": "alcohol", "reason": "x"}]}, source="t"
    )
    assert lst.matches("SA", "2204.21") and not lst.matches("SA", "0902.30")
    assert not lst.matches("DE", "2204.21") and lst.version == 2
