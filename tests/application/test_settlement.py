"""Settlement at the application level: recording a reconciled carrier bill (once per file),
its discrepancies, and the finance desk working them through.

Bills are parsed and reconciled by the real adapters, then handed over exactly as the upload
route does, against two UPS labels: W1 (dispatched, quoted 10.00 + 1.75 fuel) and W2 (voided).
"""

from __future__ import annotations

import hashlib
import json
from uuid import uuid4

import pandas as pd
import pytest

from adapters.settlement.bills import parse_bill
from adapters.settlement.reconcile import reconcile
from domains.common import InvalidTransition, NotFound
from domains.settlement.model import CarrierBill

W1, W2 = "1ZCRSDCK0100000011", "1ZCRSDCK0100000022"
LABELS = pd.DataFrame(
    [
        [W1, "ups", "ground", "o1", "o1-S1", "dispatched", 1.0, 1000, 175, 17.5, "", 1175, "USD"],
        [W2, "ups", "ground", "o2", "o2-S1", "voided", 1.0, 1000, 175, 17.5, "", 1175, "USD"],
    ],
    columns=[
        "waybill", "carrier", "service", "order_id", "shipment_id", "status",
        "chargeable_weight_kg", "quoted_base_cents", "quoted_fuel_cents", "fuel_pct",
        "quoted_surcharges", "quoted_total_cents", "currency",
    ],
)  # fmt: skip
HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref\n"
CLEAN = f"{W1},ups,ground,1,10.00,1.75,USD,1\n"
# File line 2 is W1 as quoted; 3 charges W1 again, 4 the voided W2, 5 a waybill we never had.
MESSY = (
    HEAD + CLEAN
    + f"{W1},ups,ground,1,10.00,1.75,USD,2\n"
    + f"{W2},ups,ground,1,10.00,1.75,USD,3\n"
    + "NOPE1234567,ups,ground,1,5.00,0,USD,4\n"
)  # fmt: skip


def upload(app, text=MESSY, carrier="ups", filename="bill.csv", previously=()):
    """What the upload route does with a file: parse, reconcile, record. Answers
    (bill, created, notification id)."""
    data = text.encode()
    bill = parse_bill(data, filename, "generic", carrier=carrier)
    lines, discrepancies, totals = reconcile(bill, LABELS, previously_billed=set(previously))
    compact = [
        [int(r.line), r.waybill, r.service, float(r.billed_weight_kg), int(r.total_cents),
         r.currency, None if pd.isna(r.expected_cents) else int(r.expected_cents),
         r.discrepancy_kinds]
        for r in lines.itertuples()
    ]  # fmt: skip
    return app.settlement.record_bill(
        carrier,
        "generic",
        filename,
        hashlib.sha256(data).hexdigest(),
        "finance-1",
        compact,
        json.loads(discrepancies.to_json(orient="records")),
        json.loads(json.dumps(totals, default=str)),
    )


def test_the_same_bill_file_twice_is_one_bill(app):
    bill, created, nid = upload(app)
    again, created_again, nid_again = upload(app, filename="renamed.csv")
    assert (created, created_again, nid_again) == (True, False, 0) and nid > 0
    assert again.id == bill.id and again.filename == "bill.csv"
    assert [b.id for b in app.settlement.bills()] == [bill.id]


def test_the_same_file_from_another_carrier_is_another_bill(app):
    ups, _, _ = upload(app, carrier="ups")
    dhl, created, _ = upload(app, carrier="dhl_express")
    assert created and dhl.id != ups.id
    assert {b.carrier for b in app.settlement.bills()} == {"ups", "dhl_express"}


def test_each_discrepancy_is_recorded_numbered_in_file_order_and_open(app):
    bill, _, _ = upload(app)
    assert [(d["number"], d["line"], d["kind"], d["resolution"]) for d in bill.discrepancies] == [
        (1, 3, "duplicate_billing", None),
        (2, 4, "voided_label_billed", None),
        (3, 5, "unknown_waybill", None),
    ]
    # 4 lines billed 11.75 + 11.75 + 11.75 + 5.00 = 40.25; only the first 11.75 was owed.
    assert (bill.totals["billed_total"], bill.totals["overcharge"]) == (4025, 4025 - 1175)
    stored = app.settlement.get_bill(bill.id)
    assert stored.discrepancies == bill.discrepancies and stored.uploaded_by == "finance-1"


def test_a_bill_records_every_waybill_it_charges_so_a_later_bill_charging_one_again_is_caught(
    app,
):
    first, _, _ = upload(app, text=HEAD + CLEAN)
    charged = next(
        e.waybills for e in app.store.events.get(first.id) if isinstance(e, CarrierBill.LinesBilled)
    )
    assert charged == [W1] and first.discrepancies == []
    later, _, _ = upload(app, text=HEAD + CLEAN.replace(",1\n", ",9\n"), previously=charged)
    assert [(d["line"], d["kind"]) for d in later.discrepancies] == [(2, "duplicate_billing")]


def test_resolving_a_discrepancy_records_who_decided_and_why(app):
    bill, _, _ = upload(app)
    resolved, nid = app.settlement.resolve_discrepancy(
        bill.id, 2, "disputed", "finance-2", "label was voided before dispatch"
    )
    assert nid > 0
    assert {k: resolved.discrepancies[1][k] for k in ("resolution", "resolved_by", "reason")} == {
        "resolution": "disputed",
        "resolved_by": "finance-2",
        "reason": "label was voided before dispatch",
    }
    assert [d["resolution"] for d in app.settlement.get_bill(bill.id).discrepancies] == [
        None, "disputed", None,
    ]  # fmt: skip


def test_a_resolution_needs_a_known_outcome_and_a_reason(app):
    bill, _, _ = upload(app)
    with pytest.raises(InvalidTransition, match="resolution is one of accepted, disputed"):
        app.settlement.resolve_discrepancy(bill.id, 1, "ignored", "finance-1", "meh")
    with pytest.raises(InvalidTransition, match="a resolution needs a reason"):
        app.settlement.resolve_discrepancy(bill.id, 1, "disputed", "finance-1", "  ")
    assert app.settlement.get_bill(bill.id).version == bill.version  # nothing recorded


def test_a_discrepancy_the_bill_does_not_have_is_refused(app):
    bill, _, _ = upload(app)
    for number in (0, len(bill.discrepancies) + 1):
        with pytest.raises(InvalidTransition, match=f"bill has no discrepancy {number}"):
            app.settlement.resolve_discrepancy(bill.id, number, "accepted", "finance-1", "ok")


def test_a_disputed_discrepancy_can_be_credited_later_but_an_accepted_one_is_final(app):
    bill, _, _ = upload(app)
    app.settlement.resolve_discrepancy(bill.id, 1, "disputed", "finance-1", "double charge")
    credited, _ = app.settlement.resolve_discrepancy(
        bill.id, 1, "credited", "finance-1", "credit note 77"
    )
    assert credited.discrepancies[0]["resolution"] == "credited"
    app.settlement.resolve_discrepancy(bill.id, 3, "accepted", "finance-1", "our typo")
    for number, outcome in ((1, "credited"), (3, "accepted")):
        with pytest.raises(InvalidTransition, match=f"discrepancy {number} is already {outcome}"):
            app.settlement.resolve_discrepancy(bill.id, number, "disputed", "finance-1", "again")


def test_an_unknown_bill_is_not_found(app):
    nobody = uuid4()
    for command in (
        lambda: app.settlement.get_bill(nobody),
        lambda: app.settlement.resolve_discrepancy(nobody, 1, "accepted", "finance-1", "ok"),
    ):
        with pytest.raises(NotFound) as missing:
            command()
        assert (missing.value.kind, missing.value.key) == ("carrier bill", str(nobody))


def test_a_bill_recorded_while_another_bill_is_being_recorded_is_recorded_too(app, monkeypatch):
    registry = app.store.registry

    def registry_read_just_before_another_upload_lands():
        stale = registry()
        monkeypatch.setattr(app.store, "registry", registry)  # one interleaving only
        upload(app, text=HEAD + CLEAN, filename="other.csv")  # a colleague's upload wins
        return stale

    monkeypatch.setattr(app.store, "registry", registry_read_just_before_another_upload_lands)
    mine, created, _ = upload(app)
    assert created
    assert {b.filename for b in app.settlement.bills()} == {"bill.csv", "other.csv"}
