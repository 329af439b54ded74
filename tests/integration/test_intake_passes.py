"""Intake's first pass and what it remembers (domains/orders/application.py, `_intake_attempt`).

The first pass over a batch assumes an order is new unless this process knows it is stored,
which saves a store read per order; an order stored by another process is found on the second
pass (after a version conflict, or a dealer credit already committed for it), and remembered so
that its next repeat costs no conflict. These tests run two applications on one SQLite file, as
two processes would be, and count what the shortcut saves and costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import build_app
from domains.orders.intake import Intake
from domains.privacy.records import subject_of
from tests.conftest import make_app
from tests.integration.test_spine_scenarios import push, web_order

KETTLE = "SKU-KETTLE-1L7"


@pytest.fixture
def two_processes(sqlite_store: dict[str, str]) -> Iterator[tuple[Any, Any]]:
    other, here = make_app(sqlite_store), build_app(sqlite_store)
    other.warehouse.receive_stock("LAX", KETTLE, 100, "r1")
    yield other, here
    here.close()
    other.close()


class Counted:
    """Counts calls to one method of an object (the call still happens)."""

    def __init__(self, obj: Any, name: str) -> None:
        self.calls = 0
        real = getattr(obj, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        setattr(obj, name, counted)


def test_a_batch_of_new_orders_reads_no_order_from_the_store(two_processes):
    _, here = two_processes
    reads = Counted(here.store, "read_fresh")
    commits = Counted(here.store, "commit_ids")
    items = [web_order(f"N-{k}", [(KETTLE, 1, "30.00")]) for k in range(5)]
    outcomes, _ = here.orders.intake_batch([Intake("web", c, c) for c in items])
    assert [(o.created, o.error) for o in outcomes] == [(True, None)] * 5
    assert (reads.calls, commits.calls) == (0, 1)  # one pass, one transaction, no order read


def test_an_order_stored_elsewhere_costs_one_conflict_once_then_none(two_processes):
    other, here = two_processes
    payload = web_order("E-1", [(KETTLE, 2, "30.00")])
    stored = push(other, payload)
    commits = Counted(here.store, "commit_ids")
    first = push(here, payload)  # assumed new, conflicts on the order's version, found
    assert (first.order_id, first.created, first.error) == (stored.order_id, False, None)
    assert commits.calls == 1
    for _ in range(2):  # known from now on: read, recognised, nothing to save
        again = push(here, payload)
        assert (again.order_id, again.created, again.error) == (stored.order_id, False, None)
    assert commits.calls == 1
    inv = here.warehouse.stock_of([("LAX", KETTLE)])[0]
    assert inv.reserved == 2  # reserved once, by the other process


def test_a_dealer_order_taken_in_elsewhere_and_repeated_here_is_the_same_order(two_processes):
    """An order this process saw stored but has since forgotten (the known orders are
    bounded): its first pass meets the dealer's credit already committed for it (an
    InvalidTransition, not a version conflict), and the second pass looks in the store."""
    other, here = two_processes
    here.warm_up()  # this process follows the dealer from now on
    here.orders.known.limit = 2
    payload = web_order("DR-1", [(KETTLE, 2, "100.00")], dealer="DLR-US-01")
    stored = push(other, payload, "dealer")
    assert stored.created and stored.order.status == "allocated"
    for k in range(3):  # seen, then forgotten as newer orders come in
        assert push(here, web_order(f"F-{k}", [(KETTLE, 1, "30.00")])).created
    assert stored.order_id not in here.orders.known
    decided = Counted(here.orders, "_decide_intake")
    again = push(here, payload, "dealer")
    assert decided.calls == 2  # two passes: the shortcut, then from the store
    assert (again.order_id, again.created, again.error) == (stored.order_id, False, None)
    dealer = here.reference.get_dealer("DLR-US-01")
    assert list(dealer.open_orders) == [str(stored.order_id)]  # committed once


def test_an_unexpected_error_while_deciding_is_raised_as_it_is_and_nothing_is_kept(
    two_processes, monkeypatch
):
    _, here = two_processes
    allocator = here.orders.allocator
    real = allocator.review_and_allocate
    calls = {"n": 0}

    def fails_once(batch: Any, order: Any, reference: Any, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            real(batch, order, reference, *args, **kwargs)  # stock reserved in memory...
            raise RuntimeError("solver crashed")  # ...then the decision fails
        return real(batch, order, reference, *args, **kwargs)

    monkeypatch.setattr(allocator, "review_and_allocate", fails_once)
    payload = web_order("X-1", [(KETTLE, 100, "30.00")])
    with pytest.raises(RuntimeError, match="solver crashed"):
        push(here, payload)
    # The reservation made in memory before the failure is forgotten: all 100 units are free.
    out = push(here, payload)
    assert out.created and out.order.status == "allocated"
    assert here.warehouse.stock_of([("LAX", KETTLE)])[0].reserved == 100


def test_customers_without_contact_details_are_keyed_by_their_channels_order(two_processes):
    """No email, no phone: the order itself names the data subject, channel included, so the
    same external id in two channels is two subjects (erasing one keeps the other)."""
    _, here = two_processes

    def contactless(external_id: str) -> dict[str, Any]:
        c = web_order(external_id, [(KETTLE, 1, "30.00")])
        c["customer"] = {"name": "No Contact", "email": None, "phone": None}
        return c

    web = push(here, contactless("SAME-1"), "web")
    dealer = contactless("SAME-1")
    dealer["dealer_id"] = "DLR-US-01"
    other_channel = push(here, dealer, "dealer")
    assert web.created and other_channel.created and web.order_id != other_channel.order_id
    subjects = [
        subject_of(here.repository.get(o.order_id).canonical["customer"])
        for o in (web, other_channel)
    ]
    assert all(subjects) and subjects[0] != subjects[1]
