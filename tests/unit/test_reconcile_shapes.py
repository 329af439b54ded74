"""Reconciliation on input shapes the parsed-bill tests do not give it: a bill frame built by
hand (what `reconcile` accepts besides a BillFrame: waybills as the carrier wrote them, weights
in kg only, any index), a bill that arrives before any label was issued, and labels without a
waybill. Expectations come from the parsed bill's own reconciliation or from the rules in
adapters/settlement/reconcile.py's docstring. Part of the mutation check's `reconcile` group."""

from __future__ import annotations

import pandas as pd
import pytest

from adapters.settlement import parse_bill, reconcile
from adapters.settlement.files import EXPECTED_COLUMNS
from tests.unit.test_reconcile import generic_bill, row, shipment

LABELS = [
    shipment("A1"),  # 2.0 kg, base 20.00, fuel 20% = 4.00, total 24.00
    shipment("A2"),
    shipment("A3", surcharges={"remote_area": 500}),
    shipment("A4", status="voided"),
]
ROWS = [
    row("A1"),  # as quoted
    row("A2", kg="3.0", base="26.00", fuel="5.20"),  # 1 kg over both tolerances
    row("A3", base="20.00", fuel="5.00", remote="5.00", handling="3.00"),  # handling unquoted
    row("A1"),  # the same waybill again on this bill
    row("A4"),  # voided label
    row("Z9", base="11.00", fuel="0.00"),  # no label
]


def _parsed():
    return parse_bill(generic_bill(ROWS), "bill.csv", "generic")


def _by_hand() -> pd.DataFrame:
    """The parsed bill's frame as a caller could build it: waybills in the carrier's spacing
    and case, the weight in kg only (no grams column), and an index that is not 0..n-1."""
    frame = _parsed().frame.copy()
    frame["waybill"] = [" " + w[0].lower() + " " + w[1:] + "\t" for w in frame["waybill"]]
    frame = frame.drop(columns="billed_weight_g")
    frame.index = range(100, 100 + 2 * len(frame), 2)
    return frame


def test_a_bill_frame_built_by_hand_reconciles_like_the_parsed_bill():
    parsed_lines, parsed_disc, parsed_totals = reconcile(_parsed(), pd.DataFrame(LABELS))
    lines, disc, totals = reconcile(_by_hand(), pd.DataFrame(LABELS))
    # Every kind the bill plants is found, on both paths.
    assert parsed_lines["discrepancy_kinds"].tolist() == [
        "",
        "overweight",
        "surcharge_not_in_contract",
        "duplicate_billing",
        "voided_label_billed",
        "unknown_waybill",
    ]
    assert totals == parsed_totals
    # The lines and the rows say the same, but for the waybill text and the grams column
    # (the caller's own columns, passed through).
    assert lines.index.tolist() == list(range(len(ROWS)))
    assert lines["waybill"].tolist() == _by_hand()["waybill"].tolist()
    same = [c for c in parsed_lines.columns if c not in ("waybill", "billed_weight_g")]
    pd.testing.assert_frame_equal(lines[same], parsed_lines[same])
    assert disc["waybill"].tolist() == [_by_hand()["waybill"].iloc[i] for i in (1, 2, 3, 4, 5)]
    pd.testing.assert_frame_equal(disc.drop(columns="waybill"), parsed_disc.drop(columns="waybill"))
    # The repeated waybill is recognised whatever its spacing: "line 2" is the first A1 line.
    assert disc.loc[disc["kind"] == "duplicate_billing", "explanation"].tolist() == [
        "already billed on line 2 of this bill"
    ]


@pytest.mark.parametrize("kg, flagged", [("2.5", False), ("2.501", True)])
def test_a_weight_given_in_kg_only_is_compared_in_whole_grams(kg, flagged):
    frame = parse_bill(generic_bill([row("A1", kg=kg)]), "bill.csv", "generic").frame
    frame = frame.drop(columns="billed_weight_g")
    _lines, disc, _totals = reconcile(frame, pd.DataFrame([shipment("A1")]))
    # 2.0 kg chargeable: 0.5 kg over is exactly at the tolerance, one gram more is beyond it
    assert disc["kind"].tolist() == (["overweight"] if flagged else [])
    if flagged:
        assert disc["billed"].tolist() == ["2.501 kg"]


def test_a_bill_before_any_label_was_issued_is_owed_nothing():
    """As the settlement service calls it when no label was ever issued: an empty labels
    frame with its columns. Every line is unknown, owed nothing, and disputed in full."""
    lines, disc, totals = reconcile(_parsed(), pd.DataFrame([], columns=EXPECTED_COLUMNS))
    billed = _parsed().frame["total_cents"].tolist()
    assert lines["matched"].tolist() == [False] * len(ROWS)
    assert lines["discrepancy_kinds"].tolist() == ["unknown_waybill"] * len(ROWS)
    for c in ("order_id", "shipment_id", "status"):
        assert lines[c].tolist() == [""] * len(ROWS), c
    assert lines["chargeable_weight_kg"].isna().all()
    for c in ("quoted_base_cents", "quoted_fuel_cents", "quoted_total_cents"):
        assert lines[c].isna().all(), c
    assert lines["expected_cents"].tolist() == [0] * len(ROWS)
    assert lines["expected_currency"].tolist() == ["EUR"] * len(ROWS)
    assert lines["difference_cents"].tolist() == billed
    # one row per line (a repeated unknown waybill is unknown, not also a duplicate)
    assert disc["kind"].tolist() == ["unknown_waybill"] * len(ROWS)
    assert disc["difference_cents"].tolist() == billed
    assert disc["order_id"].tolist() == [""] * len(ROWS)
    assert totals["matched"] == 0 and totals["discrepancy_lines"] == len(ROWS)
    assert (totals["billed_total"], totals["expected_total"]) == (sum(billed), 0)
    assert (totals["overcharge"], totals["undercharge"]) == (sum(billed), 0)
    assert totals["discrepancies"]["unknown_waybill"] == len(ROWS)
    assert sum(totals["discrepancies"].values()) == len(ROWS)


def test_one_label_and_lines_that_have_none():
    """Unmatched lines point at no label: with a single label they take nothing from it."""
    lines, disc, _totals = reconcile(
        _parsed(), pd.DataFrame([shipment("A3", surcharges={"remote_area": 500})])
    )
    assert lines["matched"].tolist() == [False, False, True, False, False, False]
    assert lines["order_id"].tolist() == ["", "", "O-A3", "", "", ""]
    assert lines["expected_cents"].tolist() == [0, 0, 2000 + 500 + 500, 0, 0, 0]
    assert disc["kind"].tolist() == [
        "unknown_waybill",
        "unknown_waybill",
        "surcharge_not_in_contract",
        "unknown_waybill",
        "unknown_waybill",
        "unknown_waybill",
    ]


@pytest.mark.parametrize("missing", [None, float("nan"), ""])
def test_a_label_without_a_waybill_matches_no_bill_line(missing):
    """A label row whose waybill is missing (None, NaN from a CSV export, or empty) must not
    match a bill line that happens to read "None" or "nan"."""
    labels = pd.DataFrame([{**shipment("X"), "waybill": missing}, shipment("A1")])
    bill = parse_bill(generic_bill([row("A1"), row("None"), row("nan")]), "bill.csv", "generic")
    lines, disc, _totals = reconcile(bill, labels)
    assert lines["matched"].tolist() == [True, False, False]
    assert disc["kind"].tolist() == ["unknown_waybill", "unknown_waybill"]


def test_a_bill_frame_with_only_the_required_columns_disputes_with_empty_carrier_and_ref():
    """No carrier and no bill line reference: a caller's frame need not have them; the
    dispute rows show them empty rather than failing."""
    frame = _by_hand().drop(columns=["carrier", "bill_line_ref", "service"])
    lines, disc, totals = reconcile(frame, pd.DataFrame(LABELS))
    assert len(disc) == 5 and totals["discrepancy_lines"] == 5
    assert disc["carrier"].tolist() == [""] * 5
    assert disc["bill_line_ref"].tolist() == [""] * 5
    assert "carrier" not in lines.columns  # the caller's columns, nothing invented


def test_labels_with_only_some_columns_and_missing_figures():
    """A labels frame that lacks order and shipment ids, status and the fuel part of the
    quote, and rows whose figures are missing (None) or not numbers ("n/a"): ids and
    status read as empty (a live label), missing amounts as 0, and a missing chargeable weight
    or fuel % skips the check that needs it instead of failing."""
    labels = pd.DataFrame(
        [
            # complete but for the dropped columns
            {"waybill": "A1", "chargeable_weight_kg": 2.0, "fuel_pct": 20.0,
             "quoted_base_cents": 2000, "quoted_total_cents": 2400, "currency": "EUR"},
            # no quote at all on file
            {"waybill": "A2", "chargeable_weight_kg": "n/a", "fuel_pct": "unknown",
             "quoted_base_cents": None, "quoted_total_cents": "n/a", "currency": "EUR"},
        ]
    )  # fmt: skip
    bill = parse_bill(
        generic_bill([row("A1", kg="9.0", fuel="5.00"), row("A2", kg="9.0", fuel="9.00")]),
        "bill.csv",
        "generic",
    )
    lines, disc, totals = reconcile(bill, labels)
    assert lines["matched"].tolist() == [True, True]
    assert lines["order_id"].tolist() == ["", ""] and lines["status"].tolist() == ["", ""]
    assert lines["shipment_id"].tolist() == ["", ""]
    assert lines["quoted_fuel_cents"].tolist() == [0, 0]  # no such column
    assert lines["quoted_base_cents"].tolist() == [2000, 0]
    assert lines["expected_cents"].tolist() == [2400, 0]
    assert _nan_as_none(lines["chargeable_weight_kg"]) == [2.0, None]
    # A1: 9 kg against 2 kg is overweight, fuel 5.00 on 20.00 is not 20%. A2: nothing to
    # compare the weight or the fuel with, and a base that cannot agree with no weight.
    assert lines["discrepancy_kinds"].tolist() == ["overweight;wrong_fuel_pct", ""]
    assert disc["order_id"].tolist() == ["", ""]
    assert totals["overcharge"] == (2000 + 500 - 2400) + (2000 + 900)


def _nan_as_none(values) -> list:
    return [None if pd.isna(v) else v for v in values]


def test_the_columns_have_the_documented_types_whatever_the_bill():
    """The module doc's types, on a bill whose every line is clean (no missing value anywhere
    to force a nullable type) and on one with every kind of line."""
    for rows, labels in (([row("A1")], [shipment("A1")]), (ROWS, LABELS)):
        lines, disc, _ = reconcile(_parsed_of(rows), pd.DataFrame(labels))
        assert lines["matched"].dtype == bool and lines["has_discrepancy"].dtype == bool
        assert lines["expected_cents"].dtype == "int64"
        assert lines["chargeable_weight_kg"].dtype == "float64"
        for c in ("quoted_base_cents", "quoted_fuel_cents", "quoted_total_cents"):
            assert str(lines[c].dtype) == "Int64", c
        assert str(lines["difference_cents"].dtype) == "Int64"
        assert disc["line"].dtype == "int64"


def _parsed_of(rows: list[str]):
    return parse_bill(generic_bill(rows), "bill.csv", "generic")


def test_amount_columns_are_nullable_integers_even_when_every_row_has_amounts():
    # only a base rate mismatch: no row with a missing amount
    _lines, disc, _ = reconcile(
        _parsed_of([row("A1", base="21.00", fuel="4.20")]), pd.DataFrame(LABELS)
    )
    assert disc["kind"].tolist() == ["base_rate_mismatch"]
    for c in ("expected_cents", "billed_cents", "difference_cents"):
        assert str(disc[c].dtype) == "Int64", c
    assert disc[["expected_cents", "billed_cents", "difference_cents"]].iloc[0].tolist() == [
        2000,
        2100,
        100,
    ]


def test_rows_of_one_line_come_in_the_order_of_the_kinds_not_the_order_found():
    """Base, surcharge and fuel rows on one line: sorted as DISCREPANCY_KINDS lists the kinds
    (surcharge rows between the base and the fuel), not with the surcharge-less rows first."""
    lines, disc, _ = reconcile(
        _parsed_of([row("A1", base="21.00", fuel="9.00", handling="3.00")]), pd.DataFrame(LABELS)
    )
    assert disc["kind"].tolist() == [
        "base_rate_mismatch",
        "surcharge_not_in_contract",
        "wrong_fuel_pct",
    ]
    assert disc["surcharge"].tolist() == ["", "additional_handling", ""]
    assert lines["discrepancy_kinds"].tolist() == [";".join(disc["kind"])]


def test_the_fuel_check_is_exact_to_a_ten_thousandth_of_a_cent():
    """Card 30.11% on a fuel base of 20.01: 6.025011 owed. The tolerance is 0.1 point of
    20.01 (2.001 cents) plus half a cent: 2.501 cents. Billed 6.00 is 2.5011 cents off,
    a ten-thousandth of a cent beyond, so it is flagged; 6.01 (1.5011 off) is not."""
    label = shipment("A1", fuel_pct=30.11, base=2001)
    for fuel, flagged in (("6.00", True), ("6.01", False)):
        _lines, disc, _ = reconcile(
            _parsed_of([row("A1", base="20.01", fuel=fuel)]), pd.DataFrame([label])
        )
        assert disc["kind"].tolist() == (["wrong_fuel_pct"] if flagged else []), fuel
        if flagged:
            # the card's amount, 6.025011, rounded half up to the cent: 6.03
            assert disc["expected_cents"].tolist() == [603]


def test_the_cards_fuel_amount_rounds_half_up_at_the_cent_exactly():
    """Card 49.99% on 100.01: 49.994999 is just below half a cent above 49.99, so the card's
    amount is 49.99, not 50.00. Billed 52.00 is beyond the tolerance and disputed by 2.01."""
    label = shipment("A1", fuel_pct=49.99, base=10001)
    _lines, disc, _ = reconcile(
        _parsed_of([row("A1", base="100.01", fuel="52.00")]), pd.DataFrame([label])
    )
    fuel = disc[disc["kind"] == "wrong_fuel_pct"].iloc[0]
    assert (fuel["expected_cents"], fuel["difference_cents"]) == (4999, 5200 - 4999)
    assert "gives 49.99" in fuel["explanation"]


def test_labels_with_whole_number_weights_and_fuel_and_a_missing_shipment_id():
    """A label store may hand back whole numbers (2, not 2.0) and a label with no shipment id
    yet; an unmatched bill line must still read as having no chargeable weight or fuel %."""
    labels = [
        {**shipment("A1"), "chargeable_weight_kg": 2, "fuel_pct": 20},
        {**shipment("A2"), "chargeable_weight_kg": 3, "fuel_pct": 20, "shipment_id": None},
    ]
    lines, disc, _ = reconcile(
        _parsed_of([row("A1"), row("A2", kg="3.0"), row("Z9")]), pd.DataFrame(labels)
    )
    assert _nan_as_none(lines["chargeable_weight_kg"]) == [2.0, 3.0, None]
    assert lines["shipment_id"].tolist() == ["S-A1", "", ""]
    assert lines["discrepancy_kinds"].tolist() == ["", "", "unknown_waybill"]
    assert disc["shipment_id"].tolist() == [""]


def test_the_lines_are_the_bill_columns_and_the_documented_ones_only():
    bill = _parsed()
    lines, _disc, _ = reconcile(bill, pd.DataFrame(LABELS))
    assert list(lines.columns) == [*bill.frame.columns, *ADDED]
    by_hand = _by_hand()
    lines, _disc, _ = reconcile(by_hand, pd.DataFrame(LABELS))
    assert list(lines.columns) == [*by_hand.columns, *ADDED]


ADDED = [
    "matched", "order_id", "shipment_id", "status", "chargeable_weight_kg",
    "quoted_base_cents", "quoted_fuel_cents", "quoted_total_cents", "expected_cents",
    "expected_currency", "difference_cents", "discrepancy_kinds", "has_discrepancy",
]  # fmt: skip


def test_fuel_billed_on_a_free_line_under_a_card_without_fuel():
    """A 0% card and a line with no base: nothing is owed for fuel, so 0.05 billed is
    disputed in full (the card's amount is 0.00, not unknown)."""
    label = shipment("A1", fuel_pct=0.0, base=0)
    _lines, disc, _ = reconcile(
        _parsed_of([row("A1", base="0.00", fuel="0.05")]), pd.DataFrame([label])
    )
    fuel = disc[disc["kind"] == "wrong_fuel_pct"].iloc[0]
    assert (fuel["expected_cents"], fuel["billed_cents"], fuel["difference_cents"]) == (0, 5, 5)
