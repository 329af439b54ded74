"""Dealer streams written before receivables (Dealer v1: no invoices, payment terms or IBAN)
still load, from their events and from a v1 snapshot, and carry on with today's events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from eventsourcing.persistence import StoredEvent

from domains.reference.model import Dealer

WHEN = datetime(2026, 10, 1, tzinfo=UTC)


def stored(app, dealer_id, version, event, **state):
    state["timestamp"] = WHEN
    if event == "Registered":
        state["originator_topic"] = "domains.reference.model:Dealer"
    return StoredEvent(
        originator_id=dealer_id,
        originator_version=version,
        topic=f"domains.reference.model:Dealer.{event}",
        state=app.store.mapper.transcoder.encode(state),
    )


def registered(app, dealer_id):
    return stored(
        app,
        dealer_id,
        1,
        "Registered",
        code="DLR-OLD",
        name="Old Dealer BV",
        credit_limit=Decimal("5000.00"),
        currency="EUR",
        regions=["NL"],
        unpaid_balance=Decimal("100.00"),
    )


def test_v1_dealer_events_load_with_the_defaults_and_take_an_invoice(app):
    did = Dealer.create_id("DLR-OLD")
    app.recorder.insert_events(
        [
            registered(app, did),
            stored(app, did, 2, "CreditCommitted", order_id="o-1", amount=Decimal("700.00")),
        ]
    )
    dealer = app.repository.get(did)
    assert (dealer.payment_terms_days, dealer.iban, dealer.open_invoices) == (30, None, {})
    assert dealer.credit_in_use == Decimal("800.00")  # 100 brought in + 700 open
    # Today's events continue the old stream: the order invoiced in full, then half paid.
    dealer.invoice_credit("o-1", "INV-000001", Decimal("700.00"), order_done=True)
    dealer.repay_credit("INV-000001", Decimal("350.00"))
    app.store.save(dealer)
    again = app.repository.get(did)
    assert again.open_orders == {} and again.open_invoices == {"INV-000001": Decimal("350.00")}
    assert again.credit_in_use == Decimal("450.00")  # 100 + 350 unpaid


def test_a_v1_dealer_snapshot_upcasts_and_takes_later_events(app):
    did = Dealer.create_id("DLR-OLD")
    v1_state = {
        "_created_on": WHEN,
        "_modified_on": WHEN,
        "code": "DLR-OLD",
        "name": "Old Dealer BV",
        "credit_limit": Decimal("5000.00"),
        "currency": "EUR",
        "regions": ["NL"],
        "unpaid_balance": Decimal("100.00"),
        "open_orders": {"o-1": Decimal("700.00")},
    }
    snapshot = StoredEvent(
        originator_id=did,
        originator_version=2,
        topic="eventsourcing.domain:Snapshot",
        state=app.store.mapper.transcoder.encode(
            {"timestamp": WHEN, "topic": "domains.reference.model:Dealer", "state": v1_state}
        ),
    )
    app.store.snapshots.recorder.insert_events([snapshot])
    app.recorder.insert_events(
        [
            registered(app, did),
            stored(app, did, 2, "CreditCommitted", order_id="o-1", amount=Decimal("700.00")),
            stored(app, did, 3, "CreditCommitted", order_id="o-2", amount=Decimal("50.00")),
        ]
    )
    dealer = app.repository.get(did)
    assert dealer.version == 3 and dealer.open_invoices == {}
    assert dealer.open_orders == {"o-1": Decimal("700.00"), "o-2": Decimal("50.00")}
    dealer.invoice_credit("o-2", "INV-000002", Decimal("50.00"), order_done=True)
    app.store.save(dealer)
    assert app.repository.get(did).open_invoices == {"INV-000002": Decimal("50.00")}
