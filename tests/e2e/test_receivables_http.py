"""The dealer's money over HTTP: an invoice at dispatch, payments by bank statement and by API,
credit freed at once and the held order allocated without an admin step."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tests.e2e.receivables_helpers import (  # noqa: F401 - shop is a fixture
    DEALER,
    IBAN,
    LIMIT,
    NAME,
    TERMS,
    account,
    dealer_order,
    dispatch,
    order_of,
    shop,
    statement,
    upload,
)


def test_a_dealer_over_its_limit_pays_by_statement_and_its_held_order_is_allocated(shop):  # noqa: F811
    c = shop
    # Limit 1,000 USD. A: 2 x 300 = 600 fits; B: 2 x 250 = 500 would make 1,100 > 1,000.
    a = dealer_order(c, "PO-1", 2, "300.00")
    b = dealer_order(c, "PO-2", 2, "250.00")
    assert a["status"] == "allocated"
    assert b["status"] == "held" and "over_credit_limit" in str(b["hold_reasons"])

    sent = dispatch(c, a["id"], 2)
    # Dispatched on the clock's day, 2026-11-20; due after the dealer's 14 days: 2026-12-04.
    assert sent["invoice"] == "INV-000001"
    (invoice,) = account(c)["invoices"]
    assert invoice["amount"] == "600.00" and invoice["currency"] == "USD"
    assert invoice["issued_on"] == "2026-11-20"
    assert invoice["due_on"] == (date(2026, 11, 20) + timedelta(days=TERMS)).isoformat()
    # The credit moved from the open order to the invoice: B still does not fit.
    assert account(c)["credit_in_use"] == "600.00"
    assert order_of(c, b["id"])["status"] == "held"

    paid = statement(f"25.11.2026;600,00;USD;Rechnung {invoice['number']};{NAME};{IBAN}")
    r = upload(c, paid)
    assert r.status_code == 201, r.text
    (line,) = r.json()["lines"]
    assert line["outcome"] == "applied" and line["matched_by"] == "invoice_reference"
    assert line["allocations"] == [{"invoice": "INV-000001", "amount": "600.00"}]
    # Paid: 0 in use, so B's 500 fits the 1,000 limit and it is allocated by itself.
    assert r.json()["released"][DEALER]["allocated"] == [b["id"]]
    after = order_of(c, b["id"])
    assert after["status"] == "allocated"
    events = c.get(f"/v1/orders/{b['id']}/events", headers=c.keys["admin"]).json()["events"]
    kinds = [e["type"] for e in events]
    assert "CreditReexamined" in kinds and "Released" not in kinds  # no admin step
    assert account(c)["credit_in_use"] == "500.00"  # B is the open order now

    again = upload(c, paid)  # the same statement again pays nothing
    assert again.status_code == 200 and again.json()["repeats"] == 1
    assert again.json()["applied"] == 0
    assert len(account(c)["payments"]) == 1 and account(c)["credit_on_account"] == "0.00"


def test_partial_payment_then_overpayment_is_credit_applied_to_the_next_invoice(shop):  # noqa: F811
    c = shop
    first = dealer_order(c, "PO-10", 2, "300.00")
    dispatch(c, first["id"], 2)  # INV-000001: 600.00
    pay = {"currency": "USD", "date": "2026-11-22", "reference": "part payment"}
    r = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"],
               json={**pay, "amount": "250.00"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["allocations"] == [{"invoice": "INV-000001", "amount": "250.00"}]
    assert account(c)["invoices"][0]["unpaid"] == "350.00"  # 600 - 250
    # 400 quoting the invoice: 350 settles it, 50 is left as credit on account.
    over = {**pay, "amount": "400.00", "date": "2026-11-23", "invoices": ["INV-000001"]}
    r = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"], json=over)
    assert r.json()["allocations"] == [{"invoice": "INV-000001", "amount": "350.00"}]
    assert r.json()["to_credit"] == "50.00"
    repeat = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"], json=over)
    assert repeat.status_code == 200 and repeat.json()["repeat"] is True
    assert account(c)["credit_on_account"] == "50.00"

    second = dealer_order(c, "PO-11", 1, "120.00")
    dispatch(c, second["id"], 1)  # INV-000002: 120.00, of which the 50 on account pays at once
    acct = account(c)
    inv2 = acct["invoices"][1]
    assert inv2["number"] == "INV-000002" and inv2["amount"] == "120.00"
    assert inv2["paid"] == "50.00" and inv2["unpaid"] == "70.00"
    assert acct["credit_on_account"] == "0.00"
    assert acct["credit_in_use"] == "70.00"  # nothing else open


def test_an_unmatched_line_waits_for_a_person_and_assigning_it_pays(shop):  # noqa: F811
    c = shop
    o = dealer_order(c, "PO-20", 2, "300.00")
    dispatch(c, o["id"], 2)  # INV-000001: 600.00
    r = upload(
        c,
        statement(
            "26.11.2026;100,00;USD;thanks;Somebody Else Ltd;GB33BUKB20201555555555",
            f"26.11.2026;150,00;USD;november;Whoever;{IBAN}",  # the dealer's IBAN, no number
            "26.11.2026;-20,00;USD;bank fee;;",  # money out: not a payment
        ),
    )
    assert r.status_code == 201, r.text
    outcome = [ln["outcome"] for ln in r.json()["lines"]]
    assert outcome == ["unmatched", "applied", "skipped"]
    assert r.json()["lines"][1]["matched_by"] == "counterparty"
    waiting = c.get("/v1/receivables/unmatched", headers=c.keys["finance"]).json()["items"]
    assert [(w["amount"], w["counterparty"]) for w in waiting] == [("100.00", "Somebody Else Ltd")]

    pid = waiting[0]["payment_id"]
    body = {"dealer_id": DEALER, "note": "their parent company paid"}
    done = c.post(f"/v1/receivables/unmatched/{pid}/assign", headers=c.keys["finance"], json=body)
    assert done.status_code == 200, done.text
    assert done.json()["allocations"] == [{"invoice": "INV-000001", "amount": "100.00"}]
    assert c.get("/v1/receivables/unmatched", headers=c.keys["finance"]).json()["items"] == []
    # 600 - 150 (by IBAN) - 100 (assigned) = 350 unpaid.
    assert account(c)["invoices"][0]["unpaid"] == "350.00"
    assert account(c)["payments"][-1]["matched_by"] == "assigned"
    events = c.svc.app.store.events.get(_payment_id(pid))
    assigned = [e for e in events if type(e).__name__ == "Assigned"]
    assert assigned and assigned[0].assigned_by == "finance"
    twice = c.post(f"/v1/receivables/unmatched/{pid}/assign", headers=c.keys["finance"], json=body)
    assert twice.status_code == 409


def _payment_id(key):
    from domains.receivables.model import Payment

    return Payment.create_id(key)


def test_a_malformed_statement_is_refused_naming_line_and_column_and_nothing_is_stored(shop):  # noqa: F811
    c = shop
    o = dealer_order(c, "PO-30", 1, "100.00")
    dispatch(c, o["id"], 1)
    bad = statement(
        f"26.11.2026;100,00;USD;INV-000001;{NAME};{IBAN}",
        "31.02.2026;12,5x;USD;x;y;",
        "27.11.2026;10,00;US;x;y;",
    )
    r = upload(c, bad)
    assert r.status_code == 422
    where = {d["loc"] for d in r.json()["detail"]}
    assert where == {"line 3: booked_on", "line 3: amount", "line 4: currency"}
    assert account(c)["payments"] == [] and account(c)["invoices"][0]["unpaid"] == "100.00"
    no_amount = upload(c, b"Date,Reference\n2026-11-26,INV-000001\n")
    assert no_amount.status_code == 422
    assert "amount" in no_amount.json()["detail"][0]["msg"]


def test_ageing_buckets_follow_the_due_dates(shop):  # noqa: F811
    c = shop
    first = dealer_order(c, "PO-40", 1, "100.00")
    dispatch(c, first["id"], 1)  # issued 2026-11-20, due 2026-12-04
    c.clock.at += timedelta(days=40)
    second = dealer_order(c, "PO-41", 1, "200.00")
    dispatch(c, second["id"], 1)  # issued 2026-12-30, due 2027-01-13
    due1 = date(2026, 11, 20) + timedelta(days=TERMS)
    due2 = date(2026, 12, 30) + timedelta(days=TERMS)
    r = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"],
               json={"amount": "30.00", "currency": "USD", "date": "2027-01-05",
                     "reference": "INV-000001"})  # fmt: skip
    assert r.status_code == 201

    def buckets(as_of):
        got = c.get(f"/v1/receivables/ageing?as_of={as_of}", headers=c.keys["finance"])
        assert got.status_code == 200, got.text
        (mine,) = [d for d in got.json()["dealers"] if d["dealer_id"] == DEALER]
        return {k: Decimal(v) for k, v in mine["buckets"].items() if Decimal(v)}

    assert buckets(due1) == {"current": Decimal("100.00")}  # due today: not yet late
    assert buckets(due1 + timedelta(days=1)) == {"1-30": Decimal("100.00")}
    # On 2027-01-04 the first is 31 days late; the second is issued, not due: current.
    assert buckets(due1 + timedelta(days=31)) == {
        "current": Decimal("200.00"),
        "31-60": Decimal("100.00"),
    }
    # After the 30 paid on 2027-01-05: 70 left of the first, 91 days late on 2027-03-05;
    # the second 51 days late.
    late = due1 + timedelta(days=91)
    assert (late - due2).days == 51
    assert buckets(late) == {"31-60": Decimal("200.00"), "90+": Decimal("70.00")}
    assert c.get("/v1/receivables/ageing", headers=c.keys["finance"]).status_code == 422


def test_a_credit_limit_suggestion_from_late_payment_is_accepted_and_recorded(shop):  # noqa: F811
    c = shop
    o = dealer_order(c, "PO-50", 2, "300.00")
    dispatch(c, o["id"], 2)  # 600.00 due 2026-12-04
    paid_on = date(2026, 11, 20) + timedelta(days=TERMS + 20)  # 20 days late
    upload(c, statement(f"{paid_on:%d.%m.%Y};600,00;USD;INV-000001;{NAME};{IBAN}"))
    url = f"/v1/dealers/{DEALER}/credit-limit-suggestion"
    s = c.get(f"{url}?as_of=2027-01-31", headers=c.keys["finance"]).json()
    # One invoice due, paid 20 days late: average 20 -> the 16-45 band -> limit x 0.8.
    assert s["inputs"]["invoices_due"] == 1 and s["inputs"]["average_days_past_due"] == "20.0"
    expected = (Decimal(LIMIT) * Decimal("0.8")).quantize(Decimal("0.01"))
    assert s["suggested_limit"] == str(expected) and s["rule_version"]
    decide = f"/v1/admin/dealers/{DEALER}/credit-limit-suggestion"
    body = {"as_of": "2027-01-31", "decision": "accept", "reason": "paid 20 days late"}
    assert c.post(decide, headers=c.keys["finance"], json=body).status_code == 403
    no = {**body, "decision": "reject", "reason": "one late invoice is not a pattern"}
    r = c.post(decide, headers=c.keys["admin"], json=no)
    assert r.status_code == 200 and r.json()["credit_limit"] == LIMIT  # rejected: unchanged
    r = c.post(decide, headers=c.keys["admin"], json=body)
    assert r.status_code == 200, r.text
    dealer = c.get(f"/v1/admin/dealers/{DEALER}", headers=c.keys["admin"]).json()
    assert dealer["credit_limit"] == str(expected)
    rejected, decision = account(c)["limit_decisions"]
    assert rejected["decision"] == "rejected" and rejected["reason"] == no["reason"]
    assert decision["decision"] == "accepted" and decision["by"] == "admin"
    assert decision["reason"] == "paid 20 days late"
    assert decision["suggestion"]["inputs"]["average_days_past_due"] == "20.0"


def test_freed_credit_goes_to_the_dealers_oldest_held_order_first(shop):  # noqa: F811
    c = shop
    a = dealer_order(c, "PO-60", 2, "300.00")  # 600 of the 1,000 limit
    b = dealer_order(c, "PO-61", 3, "300.00")  # 600 + 900 = 1,500: held
    young = dealer_order(c, "PO-62", 3, "150.00")  # 600 + 450 = 1,050: held
    assert [o["status"] for o in (a, b, young)] == ["allocated", "held", "held"]
    dispatch(c, a["id"], 2)  # INV-000001: 600.00
    pay = {"amount": "200.00", "currency": "USD", "date": "2026-11-24", "reference": "on account"}
    r = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"], json=pay)
    assert r.status_code == 201, r.text
    # 400 still unpaid: the oldest, B, would make 1,300 > 1,000 and stays held; the younger
    # order would fit (850) but does not jump the queue of the dealer's own orders.
    assert r.json()["released"]["allocated"] == []
    assert [order_of(c, o["id"])["status"] for o in (b, young)] == ["held", "held"]
    pay = {**pay, "amount": "400.00", "date": "2026-11-25"}
    r = c.post(f"/v1/dealers/{DEALER}/payments", headers=c.keys["finance"], json=pay)
    # All paid: B's 900 fits alone; then the younger 450 would make 1,350: held.
    assert r.json()["released"]["allocated"] == [b["id"]]
    assert r.json()["released"]["still_held"] == [young["id"]]
