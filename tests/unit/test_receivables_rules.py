"""Receivables rules and the bank-statement reader, without a store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adapters.receivables.statements import parse_amount, parse_statement
from domains.common import ValidationFailed
from domains.receivables.rules import (
    allocate,
    bucket,
    invoice_numbers_in,
    line_key,
    suggest_limit,
)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Rechnung INV-000012 und inv 13", ["INV-000012", "INV-000013"]),
        ("INV000012/INV-12 again", ["INV-000012"]),  # the same invoice, once
        ("invoice 12, INVOICE-13", []),  # no INV prefix: nothing guessed
    ],
)
def test_invoice_numbers_are_found_as_people_type_them(text, numbers):
    assert invoice_numbers_in(text) == numbers


@pytest.mark.parametrize(
    ("text", "amount"),
    [("1.234,56", "1234.56"), ("1,234.56", "1234.56"), ("250,5", "250.5"), ("-20.00", "-20.00")],
)
def test_amounts_take_a_decimal_comma_or_point(text, amount):
    assert parse_amount(text) == amount


def test_an_amount_with_more_than_cents_is_refused():
    with pytest.raises(ValueError, match="at most 2 decimals"):
        parse_amount("10.005")


def test_payments_go_oldest_first_and_the_rest_is_credit():
    unpaid = [("INV-1", Decimal("100")), ("INV-2", Decimal("50"))]
    # 120 pays INV-1's 100, then 20 of INV-2's 50; nothing left.
    assert allocate(Decimal("120"), unpaid) == (
        [{"invoice": "INV-1", "amount": "100"}, {"invoice": "INV-2", "amount": "20"}],
        Decimal("0"),
    )
    assert allocate(Decimal("200"), unpaid)[1] == Decimal("50")  # 200 - 150 owed


@pytest.mark.parametrize(
    ("days", "name"),
    [(0, "current"), (1, "1-30"), (30, "1-30"), (31, "31-60"), (61, "61-90"), (91, "90+")],
)
def test_ageing_bucket_edges(days, name):
    assert bucket(days) == name


def test_equal_lines_in_one_statement_are_two_payments_but_the_same_on_a_second_upload():
    line = {"booked_on": "2026-11-25", "amount": "10.00", "currency": "EUR", "reference": "x"}
    assert line_key(line, 0) != line_key(line, 1)
    assert line_key(dict(line), 0) == line_key(line, 0)
    # With the bank's transaction id, that id alone names the line.
    by_id = dict(line, transaction_id="T1")
    assert line_key(by_id, 0) == line_key(dict(by_id, reference="other"), 3)
    assert line_key(by_id, 0) != line_key(dict(by_id, transaction_id="T2"), 0)


def test_header_variants_and_a_tab_separated_english_export():
    data = (
        b"Value Date\tTransaction Amount\tCCY\tPayment Reference\tPayer Name\tPayer IBAN\n"
        b"2026-11-25\t1,234.50\teur\tINV-000001\tRheinland Trade GmbH\tde89 3704 0044 0532 0130 00\n"
    )
    (line,) = parse_statement(data)
    assert (line["booked_on"], line["amount"], line["currency"]) == ("2026-11-25", "1234.50", "EUR")
    assert line["iban"] == "DE89370400440532013000" and line["line"] == 2


def test_a_statement_without_an_amount_column_names_what_is_missing():
    with pytest.raises(ValidationFailed) as err:
        parse_statement(b"Buchungstag;Verwendungszweck\n01.12.2026;INV-1\n")
    assert err.value.errors[0]["loc"] == "line 1: header"
    assert "amount" in err.value.errors[0]["msg"] and "currency" in err.value.errors[0]["msg"]


def test_the_suggestion_rewards_prompt_busy_payers_and_records_its_inputs():
    invoices = [
        {"due_on": "2026-11-01", "settled_on": "2026-11-01"},
        {"due_on": "2026-11-10", "settled_on": "2026-11-09"},
    ]
    # Both paid by their due date (0 days late); 850 in use of 1,000 = 0.85 >= 0.8: x 1.2.
    s = suggest_limit(Decimal("1000.00"), Decimal("850.00"), invoices, date(2026, 12, 1))
    assert s["suggested_limit"] == "1200.00" and s["inputs"]["utilisation"] == "0.850"
    # Nothing due yet: no history, the limit stays.
    s = suggest_limit(Decimal("1000.00"), Decimal("0"), invoices, date(2026, 10, 1))
    assert s["suggested_limit"] == "1000.00" and s["inputs"]["invoices_due"] == 0
