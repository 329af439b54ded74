"""Returns at the application level (in-memory store): how much of a shipment can still come
back, how returns of one shipment are numbered, and a carrier's return_to_sender taking back
only what no earlier return took."""

from __future__ import annotations

import pytest

from domains.common import ValidationFailed
from tests.application.builders import packed_order
from tests.e2e.delivery import code_for


def dispatched(app, external_id, quantity=3):
    """A US web order of `quantity` phone cases at 10.00 USD, packed at LAX and dispatched:
    the order id and the carrier's label."""
    o, _ = packed_order(app, "LAX", "SKU-PHONE-CASE", quantity, "10.00", external_id=external_id)
    app.transport.choose_carrier(o.id, 1, None, {})
    label, _ = app.transport.create_label(o.id, 1)
    app.transport.dispatch(o.id, 1)
    return o.id, label


def phone_cases(n, reason="defective"):
    return [{"sku": "SKU-PHONE-CASE", "quantity": n, "reason": reason}]


def test_returns_of_a_shipment_are_numbered_and_never_take_back_more_than_left(app):
    oid, _ = dispatched(app, "RA-1")
    first, _ = app.returns.open_return(oid, phone_cases(1), "seller", "operator", "ops", "A")
    second, _ = app.returns.open_return(oid, phone_cases(1), "buyer", "channel", "web", "B")
    assert (first["id"], second["id"]) == (f"{oid}-S1-R1", f"{oid}-S1-R2")
    # The channel sending request A again gets return R1 back, not a third return.
    again, nid = app.returns.open_return(oid, phone_cases(1), "seller", "channel", "web", "A")
    assert (again["id"], again["created"], nid) == (first["id"], False, 0)
    # 3 shipped - 1 - 1 = 1 left: two more is refused, naming the line.
    with pytest.raises(ValidationFailed) as refused:
        app.returns.open_return(oid, phone_cases(2), "seller", "operator", "ops", "C")
    assert refused.value.errors[0]["loc"] == "lines[0].quantity"
    assert "1 can still be returned" in refused.value.errors[0]["msg"]


def test_return_to_sender_takes_back_what_no_earlier_return_took(app, clock):
    oid, label = dispatched(app, "RA-2")
    app.returns.open_return(oid, phone_cases(1), "seller", "operator", "ops", "early")
    scan = {
        "waybill": label["waybill"],
        "code": code_for(label["carrier"], "return_to_sender"),
        "occurred_at": clock.advance(hours=30).isoformat(),
    }
    (result,) = app.transport.ingest_tracking(label["carrier"], [scan])
    assert result["result"] == "recorded"
    returns = app.returns.of_shipment(str(oid), 1)
    assert [(r.source, r.lines) for r in returns] == [
        ("operator", [{"sku": "SKU-PHONE-CASE", "quantity": 1, "reason": "defective"}]),
        # 3 shipped, 1 already on its way back: the carrier brings the other 2.
        ("return_to_sender", [{"sku": "SKU-PHONE-CASE", "quantity": 2, "reason": "undeliverable"}]),
    ]
    assert returns[1].label["waybill"] == label["waybill"]
