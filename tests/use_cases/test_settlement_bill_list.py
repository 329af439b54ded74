"""The carrier bills as finance lists them: from settlement's bills view (not the bills'
streams), newest first, each with the same summary its own stream gives, kept up to date as
discrepancies are worked; on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.use_cases.test_settlement_use_cases import bill_line, dispatched_shipment, upload


def test_the_bill_list_is_newest_first_with_each_bills_own_summary(app, clock):
    order_id, label = dispatched_shipment(app, "L-1")
    first, _, _ = upload(app, [bill_line(app, order_id, label, 1)], "first.csv")
    clock.advance(minutes=5)
    # Charged again, and a waybill we never had: two discrepancies, both over-billed.
    again = [bill_line(app, order_id, label, 2), bill_line(app, order_id, label, 3, "NOPE1")]
    second, _, _ = upload(app, again, "second.csv")
    app.settlement.resolve_selection(second.id, [1], "disputed", "fin", "charged twice")

    listed = app.settlement.bill_list()
    assert [b["id"] for b in listed] == [str(second.id), str(first.id)]
    for entry, bill in zip(listed, (second, first), strict=True):
        fresh = app.settlement.get_bill(bill.id)
        assert entry["summary"] == app.settlement.summary(fresh)
        assert (entry["filename"], entry["uploaded_by"]) == (bill.filename, "fin")
    assert listed[0]["summary"]["states"]["disputed"]["count"] == 1
    assert listed[0]["summary"]["open"] == 1


def test_the_bill_list_of_one_carrier(app):
    order_id, label = dispatched_shipment(app, "L-2")
    upload(app, [bill_line(app, order_id, label, 1)])
    assert [b["carrier"] for b in app.settlement.bill_list(label["carrier"])] == [label["carrier"]]
    assert app.settlement.bill_list("no-such-carrier") == []
