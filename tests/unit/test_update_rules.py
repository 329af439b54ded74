"""The rules for updates from the channel (domains/orders/updates.py): what counts as a change,
of which kind, and whether each kind is applied or held in each state of the order."""

from __future__ import annotations

import copy

import pytest

from domains.orders.updates import (
    ADDRESS,
    AMOUNTS,
    CANCEL,
    CANCELLATION,
    CONTACT,
    HOLD,
    ITEMS_ADDED,
    LINES_REDUCED,
    OTHER,
    REPLACE,
    REPLAN,
    REVIEW,
    OrderState,
    classify,
    comparable,
    decide,
    identity_clash,
    merge_lines,
    public,
)


def canonical(**kw):
    base = {
        "external_id": "W-1",
        "placed_at": "2026-11-20T08:00:00+00:00",
        "currency": "USD",
        "customer": {"name": "Ada Buyer", "email": "ada@example.com", "phone": None},
        "ship_to": {"name": "Ada Buyer", "line1": "1 Main St", "city": "LA", "country": "US"},
        "lines": [
            {"sku": "TEA", "quantity": 3, "unit_price": "12.50"},
            {"sku": "CASE", "quantity": 1, "unit_price": "7.50"},
        ],
        "dealer_id": None,
    }
    base.update(kw)
    return base


def kinds(stored, received):
    return [c.kind for c in classify(stored, comparable(stored, received))]


# ------------------------------------------------------------------ what changed
def test_the_same_order_has_no_changes():
    assert kinds(canonical(), canonical()) == []


def test_keys_a_newer_mapper_adds_are_not_changes_but_a_cancellation_is():
    old = canonical()  # stored by mapper 1: no amounts, no line tax, no marketplace
    new = canonical(amounts={"total": "45.00"}, marketplace_id="ATVPDKIKX0DER", cancelled=None)
    new["lines"][0]["tax"] = "1.83"
    assert kinds(old, new) == []
    assert kinds(old, {**new, "cancelled": {"at": "2026-11-21T00:00:00+00:00"}}) == [CANCELLATION]


def test_each_part_of_the_order_is_its_own_kind():
    new = canonical(
        ship_to={"name": "Ada Buyer", "line1": "2 Side St", "city": "LA", "country": "US"},
        customer={"name": "Ada Buyer", "email": "ada@example.com", "phone": "+1 555"},
        currency="EUR",
        lines=[
            {"sku": "TEA", "quantity": 2, "unit_price": "11.00"},  # fewer, cheaper
            {"sku": "MUG", "quantity": 1, "unit_price": "5.00"},  # new; CASE removed
        ],
    )
    assert kinds(canonical(), new) == [ADDRESS, CONTACT, LINES_REDUCED, ITEMS_ADDED, AMOUNTS, OTHER]
    by_kind = {c.kind: c.differences for c in classify(canonical(), new)}
    assert by_kind[LINES_REDUCED] == [
        {"path": "lines[sku=CASE].quantity", "stored": 1, "received": 0},
        {"path": "lines[sku=TEA].quantity", "stored": 3, "received": 2},
    ]
    assert by_kind[ITEMS_ADDED] == [{"path": "lines[sku=MUG].quantity", "stored": 0, "received": 1}]


def test_lines_are_matched_by_sku_not_position():
    reordered = canonical(lines=list(reversed(canonical()["lines"])))
    assert kinds(canonical(), reordered) == []


def test_personal_differences_are_recorded_by_path_only():
    new = canonical(
        ship_to={"name": "Ada Buyer", "line1": "2 Side St", "city": "Pasadena", "country": "US"}
    )
    (change,) = classify(canonical(), new)
    assert public(change.differences) == [
        {"path": "ship_to.city", "stored": "LA", "received": "Pasadena"},  # kept in clear
        {"path": "ship_to.line1", "personal": True},
    ]


# ------------------------------------------------------------------ identity
def test_another_buyer_is_a_clash_only_when_both_email_and_name_differ():
    other_email = {"name": "ada  BUYER", "email": "ada.new@example.com", "phone": None}
    stranger = {"name": "Bo Other", "email": "bo@example.org", "phone": None}
    no_email = {"name": "Bo Other", "email": None, "phone": None}
    assert identity_clash(canonical(), canonical(customer=other_email)) == []
    assert identity_clash(canonical(), canonical(customer=no_email)) == []
    assert [d["path"] for d in identity_clash(canonical(), canonical(customer=stranger))] == [
        "customer.email",
        "customer.name",
    ]


def test_another_marketplace_is_a_clash_where_both_name_one():
    assert identity_clash(canonical(marketplace_id="A1"), canonical(marketplace_id=None)) == []
    (clash,) = identity_clash(canonical(marketplace_id="A1"), canonical(marketplace_id="B2"))
    assert clash == {"path": "marketplace_id", "stored": "A1", "received": "B2"}


# ------------------------------------------------------------------ the rules by state
@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("held", CANCEL),
        ("allocated", CANCEL),
        ("picking", HOLD),
        ("packed", HOLD),
        ("dispatched", HOLD),
        ("delivered", HOLD),
        ("cancelled", REPLACE),
    ],
)
def test_cancellation_by_state(status, action):
    assert decide(CANCELLATION, OrderState(status)).action == action


def test_a_cancellation_after_dispatch_says_to_intercept_or_return():
    reason = decide(CANCELLATION, OrderState("dispatched")).reason
    assert "intercept with the carrier" in reason and "return" in reason


@pytest.mark.parametrize(
    ("status", "labelled", "country_changed", "action"),
    [
        ("held", False, False, REVIEW),  # a held order: its address rules decide again
        ("allocated", False, False, REPLACE),
        ("packed", False, False, REPLACE),  # no label yet: the new address goes on it
        ("packed", True, False, HOLD),
        ("dispatched", True, False, HOLD),
        ("held", False, True, REVIEW),
        ("allocated", False, True, REPLAN),
        ("picking", False, True, HOLD),
    ],
)
def test_address_change_by_state(status, labelled, country_changed, action):
    assert decide(ADDRESS, OrderState(status, labelled, country_changed)).action == action


@pytest.mark.parametrize(
    ("status", "reduced", "added"),
    [
        ("received", REVIEW, REVIEW),
        ("held", REVIEW, REVIEW),
        ("allocated", REPLAN, HOLD),
        ("picking", HOLD, HOLD),
        ("dispatched", HOLD, HOLD),
        ("cancelled", REPLACE, HOLD),
    ],
)
def test_line_changes_by_state(status, reduced, added):
    assert decide(LINES_REDUCED, OrderState(status)).action == reduced
    assert decide(ITEMS_ADDED, OrderState(status)).action == added


def test_an_operator_may_replan_an_allocated_order_for_added_items_but_not_a_picked_one():
    assert decide(ITEMS_ADDED, OrderState("allocated"), operator=True).action == REPLAN
    assert decide(ITEMS_ADDED, OrderState("picking"), operator=True).action == HOLD


@pytest.mark.parametrize("status", ["held", "allocated", "picking", "dispatched", "cancelled"])
def test_amounts_and_contact_are_recorded_in_every_state(status):
    assert decide(AMOUNTS, OrderState(status)).applied
    assert decide(CONTACT, OrderState(status)).applied
    assert not decide(OTHER, OrderState(status)).applied


# ------------------------------------------------------------------ applying line changes
def test_each_line_kind_applies_only_its_own_part():
    received = [
        {"sku": "TEA", "quantity": 2, "unit_price": "11.00"},
        {"sku": "CASE", "quantity": 4, "unit_price": "7.50"},
        {"sku": "MUG", "quantity": 1, "unit_price": "5.00"},
    ]
    current = copy.deepcopy(canonical()["lines"])
    # TEA goes 3 -> 2; CASE 1 -> 4 and MUG is new only when additions are applied.
    assert merge_lines(current, received, LINES_REDUCED) == [
        {"sku": "TEA", "quantity": 2, "unit_price": "12.50"},
        {"sku": "CASE", "quantity": 1, "unit_price": "7.50"},
    ]
    assert merge_lines(current, received, ITEMS_ADDED) == [
        {"sku": "TEA", "quantity": 3, "unit_price": "12.50"},
        {"sku": "CASE", "quantity": 4, "unit_price": "7.50"},
        {"sku": "MUG", "quantity": 1, "unit_price": "5.00"},
    ]
    assert merge_lines(current, received, AMOUNTS)[0] == {
        "sku": "TEA",
        "quantity": 3,
        "unit_price": "11.00",
    }
    assert current == canonical()["lines"]  # not changed in place
