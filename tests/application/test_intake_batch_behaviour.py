"""Batched intake behaviour pinned down by the mutation check (`make mutate`, group `retry`):
a batch is not all-or-nothing unless asked, and a batch that never stops conflicting is refused
with a reason and leaves nothing behind."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition
from tests.application.builders import intake, line, order, receive


def test_by_default_one_bad_order_in_a_batch_does_not_stop_the_good_ones(app):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    good = order(external_id="B-1")
    bad = order(external_id="B-2", lines=[line("SKU-NOPE")])
    outcomes, nid = app.orders.intake_batch([intake(good), intake(bad)])
    assert [o.error is None for o in outcomes] == [True, False]
    assert nid == app.max_notification_id() and nid > 0
    assert app.orders.get_order(outcomes[0].order_id).status == "allocated"


def test_a_batch_that_keeps_conflicting_is_refused_with_a_reason_and_stores_nothing(
    app, monkeypatch
):
    receive(app, "LAX", "SKU-PHONE-CASE", 10, "A-02-05-1")
    before = app.max_notification_id()
    saves: list[int] = []

    def always_conflicts(*aggregates):
        saves.append(len(aggregates))
        raise IntegrityError("another writer saved first")

    monkeypatch.setattr(app.orders.store, "commit_ids", always_conflicts)
    item = intake(order(external_id="C-1"))
    with pytest.raises(
        InvalidTransition,
        match="^the order kept conflicting with concurrent writers; retry$",
    ):
        app.orders.intake_batch([item])
    assert len(saves) == 30  # MAX_CONFLICT_RETRIES attempts, each deciding afresh
    monkeypatch.undo()
    assert app.max_notification_id() == before
    # nothing the failed attempts decided lingers: the same order is then taken in normally
    outcomes, _ = app.orders.intake_batch([item])
    assert outcomes[0].error is None and outcomes[0].order_id is not None
    assert app.orders.get_order(outcomes[0].order_id).status == "allocated"
