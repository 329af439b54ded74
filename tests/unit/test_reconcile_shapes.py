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
