"""Each discrepancy row in full, as the reviewer of a carrier bill reads it in the export: the
expected and billed figures as text, the amounts in cents, the explanation, the order it belongs
to. Uses the bill with one line per kind planted in tests/unit/test_reconcile.py."""

from __future__ import annotations

import pandas as pd

from adapters.settlement.reconcile import DISCREPANCY_COLUMNS
from tests.unit.test_reconcile import planted, row, run, shipment  # noqa: F401 - the fixture

NA = None  # a missing amount (pd.NA in the frame)

# Each planted line (see `planted`): quotes of 2.0 kg, base 20.00 EUR and fuel 20% (4.00), so a
# clean line totals 24.00.
EXPECTED = {
    # W02 billed 3.0 kg and base 26.00: 1.000 kg over 2.000 kg, above both 0.5 kg and 5% of
    # 2.000 kg; the base difference 26.00 - 20.00 is the row's difference.
    (3, "overweight"): (
        "W02", "", "2.000 kg", "3.000 kg", NA, NA, 600, "EUR",
        "billed 1.000 kg over the chargeable weight (flagged above both 0.500 kg and 5% = "
        "0.100 kg); base 26.00 vs quoted 20.00",
    ),
    # W03 billed base 20.50 against 20.00: 50 cents over.
    (4, "base_rate_mismatch"): (
        "W03", "", "20.00", "20.50", 2000, 2050, 50, "EUR",
        "base rate is not the quoted contract rate for this zone and weight",
    ),
    # W04 billed an additional-handling surcharge of 5.00 that its quote does not have.
    (5, "surcharge_not_in_contract"): (
        "W04", "additional_handling", "0.00", "5.00", 0, 500, 500, "EUR",
        "surcharge additional_handling is not in the quote",
    ),
    # W05 billed fuel 5.00 on a base of 20.00 (25%); the card's 20% gives 4.00.
    (6, "wrong_fuel_pct"): (
        "W05", "", "20.00%", "25.00%", 400, 500, 100, "EUR",
        "fuel 5.00 on a fuel base of 20.00; the card's 20.00% gives 4.00",
    ),
    # W06 billed in USD against a EUR quote: the amounts are not compared.
    (7, "currency_mismatch"): (
        "W06", "", "EUR", "USD", NA, NA, NA, "USD",
        "billed in USD, quoted in EUR; amounts not compared",
    ),
    # W07's label was voided: nothing owed, the whole 24.00 is the difference.
    (8, "voided_label_billed"): (
        "W07", "", "0.00", "24.00", 0, 2400, 2400, "EUR", "the label was voided; nothing is owed",
    ),
    # W08 is on lines 9 and 10: the second is the duplicate.
    (10, "duplicate_billing"): (
        "W08", "", "0.00", "24.00", 0, 2400, 2400, "EUR", "already billed on line 9 of this bill",
    ),
    # W09 is in `previously_billed`.
    (11, "duplicate_billing"): (
        "W09", "", "0.00", "24.00", 0, 2400, 2400, "EUR", "already billed on an earlier bill",
    ),
    # W99 has no label: nothing expected, no order.
    (12, "unknown_waybill"): (
        "W99", "", "", "24.00", NA, 2400, 2400, "EUR", "no label was issued with this waybill",
    ),
    # W11 billed remote area 18.00 against the quoted 15.00.
    (14, "surcharge_amount_mismatch"): (
        "W11", "remote_area", "15.00", "18.00", 1500, 1800, 300, "EUR",
        "surcharge remote_area differs from the quote",
    ),
}  # fmt: skip

FIELDS = (
    "waybill",
    "surcharge",
    "expected",
    "billed",
    "expected_cents",
    "billed_cents",
    "difference_cents",
    "currency",
    "explanation",
)


def test_every_planted_row_in_full(planted):  # noqa: F811 - the imported fixture
    _lines, disc, _totals = planted
    assert list(disc.columns) == list(DISCREPANCY_COLUMNS)
    got = {}
    for r in disc.to_dict("records"):
        values = tuple(None if pd.isna(r[f]) else r[f] for f in FIELDS)
        got[(r["line"], r["kind"])] = values
        labelled = r["waybill"] != "W99"
        assert r["carrier"] == "dhl_express" and r["bill_line_ref"] == f"R-{r['waybill']}"
        assert r["order_id"] == (f"O-{r['waybill']}" if labelled else "")
        assert r["shipment_id"] == (f"S-{r['waybill']}" if labelled else "")
    assert got == EXPECTED
    assert list(got) == sorted(got)  # by line


def test_text_columns_are_text_and_amounts_whole_cents(planted):  # noqa: F811
    _lines, disc, _totals = planted
    for c in DISCREPANCY_COLUMNS:
        if c == "line":
            assert disc[c].dtype == "int64"
        elif c.endswith("_cents"):
            assert str(disc[c].dtype) == "Int64"
        else:
            assert all(isinstance(v, str) for v in disc[c]), c


def test_a_clean_bill_has_no_rows_but_the_same_columns_and_types():
    _lines, disc, totals = run([row("W01")], [shipment("W01")])
    assert len(disc) == 0 and list(disc.columns) == list(DISCREPANCY_COLUMNS)
    assert disc["line"].dtype == "int64"
    assert all(str(disc[c].dtype) == "Int64" for c in DISCREPANCY_COLUMNS if c.endswith("_cents"))
    assert all(v == 0 for v in totals["discrepancies"].values())


def test_labels_match_whatever_the_spacing_and_case_of_their_waybill_and_the_last_label_wins():
    first = shipment("W02")
    relabelled = {**shipment("W02"), "order_id": "O-W02-relabelled", "waybill": "w02"}
    labels = [{**shipment("W01"), "waybill": " w 01\t"}, first, relabelled]
    lines, disc, totals = run([row("W01"), row("W02")], labels)
    assert lines["matched"].tolist() == [True, True] and len(disc) == 0
    assert lines["order_id"].tolist() == ["O-W01", "O-W02-relabelled"]
    assert totals["matched"] == 2
