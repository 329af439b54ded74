"""The per-line frame and the totals of a small bill in full, and the edges of the checks
(adapters/settlement/checks.py) that the planted bill of tests/unit/test_reconcile.py does not
reach: quotes' surcharges in every form a label store gives them, a zero fuel base, amounts and
weights exactly at a tolerance, lines not owed billed at another base. Pinned down for the
mutation check (`make mutate`, group `reconcile`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adapters.settlement import parse_bill, reconcile
from adapters.settlement.checks import _quoted_surcharges, fuel_check, surcharge_check, weight_check
from tests.unit.test_reconcile import (
    billed_lines,
    generic_bill,
    quoted_lines,
    row,
    run,
    shipment,
)

NA = None  # a missing value in the frame (pd.NA / NaN)


def _plain(values) -> list:
    return [None if pd.isna(v) else v for v in values]


@pytest.fixture
def small_bill():
    # per test, not per module: mutmut credits a shared fixture to the first test only
    # Quotes: 2.0 kg, base 20.00, fuel 20% = 4.00, total 24.00 (see `shipment`).
    labels = [
        shipment("A1"),
        shipment("A2", currency="GBP"),  # quoted in GBP, a currency no bill line uses
        shipment("A3", status="labelled"),
    ]
    rows = [
        row("A1", base="19.99"),  # line 2: 1 cent under, within the 1-cent tolerance
        # line 3: billed in USD, and 3.0 kg against 2.0 kg (1 kg over, above 0.5 kg and 5%)
        row("A2", kg="3.0", base="26.00", fuel="5.20", currency="USD"),
        row("Z9"),  # line 4: no label
        row("A3", base="20.50", fuel="5.00"),  # line 5: base 50 cents over, fuel 24.39%
    ]
    return run(rows, labels)


def test_the_whole_line_frame_of_a_small_bill(small_bill):
    lines, _disc, _totals = small_bill
    added = [
        "matched", "order_id", "shipment_id", "status", "chargeable_weight_kg",
        "quoted_base_cents", "quoted_fuel_cents", "quoted_total_cents", "expected_cents",
        "expected_currency", "difference_cents", "discrepancy_kinds", "has_discrepancy",
    ]  # fmt: skip
    assert list(lines.columns)[-len(added) :] == added
    assert lines["line"].tolist() == [2, 3, 4, 5]
    assert lines["matched"].tolist() == [True, True, False, True]
    assert lines["order_id"].tolist() == ["O-A1", "O-A2", "", "O-A3"]
    assert lines["shipment_id"].tolist() == ["S-A1", "S-A2", "", "S-A3"]
    assert lines["status"].tolist() == ["dispatched", "dispatched", "", "labelled"]
    assert _plain(lines["chargeable_weight_kg"]) == [2.0, 2.0, NA, 2.0]
    # the quote as issued, NA for the line with no label (not 0: nothing was quoted)
    assert _plain(lines["quoted_base_cents"]) == [2000, 2000, NA, 2000]
    assert _plain(lines["quoted_fuel_cents"]) == [2000 * 20 // 100] * 2 + [NA, 400]
    assert _plain(lines["quoted_total_cents"]) == [2000 + 400] * 2 + [NA, 2400]
    for c in ("quoted_base_cents", "quoted_fuel_cents", "quoted_total_cents"):
        assert str(lines[c].dtype) == "Int64", c
    # expected: the quoted total where owed, in the quote's currency; nothing for Z9, in the
    # bill line's currency
    assert lines["expected_cents"].tolist() == [2400, 2400, 0, 2400]
    assert lines["expected_currency"].tolist() == ["EUR", "GBP", "EUR", "EUR"]
    # difference = billed total - expected:
    #   A1: 19.99 + 4.00 = 23.99 - 24.00 = -1; A2: USD vs GBP, not compared;
    #   Z9: 24.00 - 0 = 2400; A3: 20.50 + 5.00 = 25.50 - 24.00 = 150
    assert _plain(lines["difference_cents"]) == [1999 + 400 - 2400, NA, 2400, 2050 + 500 - 2400]
    # kinds ";"-joined in DISCREPANCY_KINDS order
    assert lines["discrepancy_kinds"].tolist() == [
        "",
        "currency_mismatch;overweight",
        "unknown_waybill",
        "base_rate_mismatch;wrong_fuel_pct",
    ]
    assert lines["has_discrepancy"].tolist() == [False, True, True, True]
    for c in ("order_id", "shipment_id", "status", "expected_currency", "discrepancy_kinds"):
        assert all(isinstance(v, str) for v in lines[c]), c


def test_the_totals_of_a_small_bill_with_a_quote_currency_absent_from_the_bill(small_bill):
    lines, _disc, totals = small_bill
    eur_billed = (1999 + 400) + 2400 + (2050 + 500)  # A1, Z9, A3
    assert totals["by_currency"] == {
        "EUR": {
            "lines": 3,
            "billed_total": eur_billed,
            "expected_total": 2400 + 0 + 2400,  # A1 and A3 quoted; Z9 owes nothing
            "overcharge": 2400 + 150,  # Z9 and A3
            "undercharge": 1,  # A1
        },
        # A2: billed 26.00 + 5.20 in USD; its quote is in GBP, so nothing is expected in USD
        # and the amounts are not compared
        "USD": {"lines": 1, "billed_total": 3120, "expected_total": 0, "overcharge": 0,
                "undercharge": 0},
        # A2's quote: expected only, no bill line
        "GBP": {"lines": 0, "billed_total": 0, "expected_total": 2400, "overcharge": 0,
                "undercharge": 0},
    }  # fmt: skip
    # three currencies: no single-currency figures
    assert {k: totals[k] for k in ("currency", "billed_total", "expected_total")} == {
        "currency": None,
        "billed_total": None,
        "expected_total": None,
    }
    assert totals["overcharge"] is None and totals["undercharge"] is None
    assert (totals["lines"], totals["matched"], totals["discrepancy_lines"]) == (4, 3, 3)
    assert totals["discrepancies"] == {
        "unknown_waybill": 1,
        "voided_label_billed": 0,
        "duplicate_billing": 0,
        "currency_mismatch": 1,
        "overweight": 1,
        "base_rate_mismatch": 1,
        "surcharge_not_in_contract": 0,
        "surcharge_amount_mismatch": 0,
        "wrong_fuel_pct": 1,
    }


def test_an_overweight_line_billed_in_another_currency_has_no_difference(small_bill):
    _lines, disc, _totals = small_bill
    ow = disc[disc["kind"] == "overweight"].iloc[0]
    # 26.00 USD against 20.00 GBP: no difference can be given
    assert (ow["waybill"], ow["currency"]) == ("A2", "USD")
    assert pd.isna(ow["difference_cents"])
    assert ow["explanation"] == (
        "billed 1.000 kg over the chargeable weight (flagged above both 0.500 kg and 5% = "
        "0.100 kg); base 26.00 vs quoted 20.00"
    )


# --------------------------------------------------------------------------------------------
# Lines not owed are not checked further, whatever they are billed at


def test_lines_not_owed_billed_at_another_base_or_surcharge_get_only_their_own_row():
    remote = {"remote_area": 1500}
    labels = [
        shipment("V1", status="voided"),
        shipment("D1"),
        shipment("P1"),
        shipment("V2", status="voided", surcharges=remote),
        shipment("C1", surcharges=remote),
    ]
    rows = [
        row("V1", base="25.00", fuel="5.00"),  # line 2: voided, base 25.00 against 20.00
        row("D1"),  # line 3
        row("D1", base="25.00", fuel="5.00"),  # line 4: duplicate of line 3
        row("P1", base="25.00", fuel="5.00"),  # line 5: billed on an earlier bill
        # line 6: voided, remote area 18.00 against the quoted 15.00 (fuel 20% of 38.00)
        row("V2", remote="18.00", fuel="7.60"),
        # line 7: in USD against EUR, remote area 18.00 against 15.00: not compared
        row("C1", remote="18.00", fuel="7.60", currency="USD"),
    ]
    lines, disc, totals = run(rows, labels, previously_billed={"P1"})
    assert list(zip(disc["line"], disc["kind"], strict=True)) == [
        (2, "voided_label_billed"),
        (4, "duplicate_billing"),
        (5, "duplicate_billing"),
        (6, "voided_label_billed"),
        (7, "currency_mismatch"),
    ]
    assert lines["discrepancy_kinds"].tolist() == [
        "voided_label_billed",
        "",
        "duplicate_billing",
        "duplicate_billing",
        "voided_label_billed",
        "currency_mismatch",
    ]
    # nothing owed on lines 2, 4, 5 and 6: their whole total is the overcharge
    assert lines["expected_cents"].tolist() == [0, 2400, 0, 0, 0, 2000 + 1500 + 700]
    eur = totals["by_currency"]["EUR"]
    assert eur["overcharge"] == 3 * (2500 + 500) + (2000 + 1800 + 760)
    assert eur["undercharge"] == 0


def test_surcharge_kinds_on_the_line_and_labels_with_no_quoted_surcharges_column():
    labels = [shipment("S1", surcharges={"remote_area": 1500})]
    # S1: remote area 18.00 against 15.00, and 5.00 handling the quote does not name; fuel 20%
    # of 20.00 + 18.00 = 7.60
    lines, _disc, _ = run([row("S1", remote="18.00", handling="5.00", fuel="7.60")], labels)
    assert lines["discrepancy_kinds"].tolist() == [
        "surcharge_not_in_contract;surcharge_amount_mismatch"
    ]
    # a label store without the column: no surcharge is quoted, so any billed one is not in
    # the contract
    bare = pd.DataFrame([shipment("S2")]).drop(columns="quoted_surcharges")
    _lines, disc, _ = reconcile(
        parse_bill(generic_bill([row("S2", handling="5.00")]), "bill.csv", "generic"), bare
    )
    assert list(zip(disc["kind"], disc["surcharge"], disc["difference_cents"], strict=True)) == [
        ("surcharge_not_in_contract", "additional_handling", 500)
    ]


# --------------------------------------------------------------------------------------------
# Tolerance edges


def test_a_surcharge_one_cent_off_is_within_the_amount_tolerance_two_cents_is_not():
    quoted = 1500
    billed_amounts = [1500, 1501, 1499, 1502, 1498]
    n = len(billed_amounts)
    billed = billed_lines(["A"] * n, remote_area=billed_amounts)
    check = surcharge_check(
        billed,
        quoted_lines([True] * n),
        pd.Series([json.dumps({"remote_area": quoted})] * n),
        np.ones(n, dtype=bool),
        np.ones(n, dtype=bool),
        1,
    )
    wrong, q_amt = check.amount["remote_area"]
    assert q_amt.tolist() == [quoted] * n
    # |billed - 15.00| > 0.01: 0, 1, 1 cent are fine; 2 cents either way is flagged
    assert wrong.tolist() == [abs(b - quoted) > 1 for b in billed_amounts]
    assert wrong.tolist() == [False, False, False, True, True]
    assert not check.not_in_contract["remote_area"].any()


def test_weight_exactly_at_either_tolerance_is_not_overweight_one_gram_beyond_is():
    # 100 kg chargeable: 5% = 5.000 kg, above the 0.5 kg; 10 kg chargeable with a 1.0 kg
    # tolerance: 1.000 kg, above 5% = 0.5 kg.
    cases = [
        # (chargeable kg, tolerance kg, tolerance %, billed grams, overweight)
        (100.0, 0.5, 0.05, 100_000 + 5_000, False),  # at 5% of 100 kg
        (100.0, 0.5, 0.05, 100_000 + 5_001, True),
        (10.0, 1.0, 0.05, 10_000 + 1_000, False),  # at 1.0 kg
        (10.0, 1.0, 0.05, 10_000 + 1_001, True),
        (10.0, 0.0, 0.0, 10_000 + 1, True),  # no tolerance: a gram over is overweight
        (10.0, 0.0, 0.0, 10_000, False),  # the chargeable weight itself never is
    ]
    for chg, tol_kg, tol_pct, billed_g, flagged in cases:
        check = weight_check(
            np.array([billed_g], dtype=np.int64),
            quoted_lines([True], kg=[chg]),
            np.ones(1, dtype=bool),
            tol_kg,
            tol_pct,
        )
        assert check.overweight.tolist() == [flagged], (chg, tol_kg, tol_pct, billed_g)
        assert check.over_g.tolist() == [billed_g - round(chg * 1000)]
        assert check.agree.tolist() == [not flagged]


def test_fuel_exactly_at_the_tolerance_plus_half_a_cent_is_fine_one_cent_more_is_not():
    # base 5.00 at 20%: 1.00. Tolerance: 0.1 point of 5.00 = 0.005 + half a cent = 0.01.
    base = 500
    fuels = [100, 101, 99, 102, 98]
    check = fuel_check(
        billed_lines(["A"] * 5, base=[base] * 5, fuel=fuels),
        quoted_lines([True] * 5, fuel_pct=[20.0] * 5),
        np.ones(5, dtype=bool),
        0.1,
        (),
    )
    assert check.expected.tolist() == [base * 20 // 100] * 5
    assert check.wrong.tolist() == [False, False, False, True, True]
    assert np.allclose(check.implied_pct, [f * 100 / base for f in fuels])


def test_fuel_on_a_zero_fuel_base():
    # nothing to apply the card's 20% to: any fuel billed beyond half a cent is wrong, and no
    # percentage can be implied
    check = fuel_check(
        billed_lines(["A", "B"], base=[0, 0], fuel=[0, 1]),
        quoted_lines([True, True], fuel_pct=[20.0, 20.0]),
        np.ones(2, dtype=bool),
        0.1,
        (),
    )
    assert check.base.tolist() == [0, 0] and check.expected.tolist() == [0, 0]
    assert check.wrong.tolist() == [False, True]
    assert np.isnan(check.implied_pct).all()


def test_a_zero_fuel_base_reads_n_a_in_the_dispute():
    _lines, disc, _ = run([row("F1", base="0.00", fuel="1.00")], [shipment("F1", base=0)])
    fuel = disc[disc["kind"] == "wrong_fuel_pct"].iloc[0]
    # 1.00 fuel on 0.00: the card's 20% of 0.00 is 0.00
    assert (fuel["expected"], fuel["billed"]) == ("20.00%", "n/a")
    assert (fuel["expected_cents"], fuel["billed_cents"], fuel["difference_cents"]) == (0, 100, 100)


# --------------------------------------------------------------------------------------------
# Quoted surcharges as the label store gives them


def test_quoted_surcharges_as_dicts_json_text_and_empty_values():
    values = pd.Series(
        [
            {"Remote_Area": 1500},  # a dict, key in another case
            json.dumps({" remote_area ": 1500.4, "oversize": None}),  # spaces; null amount
            "",
            None,
            "null",
            " NaN ",
            "None",
            float("nan"),
            '{"REMOTE_AREA": 1499.6}',
        ],
        dtype=object,
    )
    out = _quoted_surcharges(values, ["remote_area", "oversize"])
    has, amt = out["remote_area"]
    assert has.tolist() == [True, True] + [False] * 6 + [True]
    assert amt.tolist() == [1500, 1500] + [0] * 6 + [1500]  # whole cents, rounded
    has, amt = out["oversize"]
    # named with a null amount: quoted (so not "not in contract"), at 0
    assert has.tolist() == [False, True] + [False] * 7
    assert amt.tolist() == [0] * 9
    assert _quoted_surcharges(values, []) == {}


def test_quoted_surcharges_that_are_not_a_json_object_are_refused_with_the_value():
    with pytest.raises(
        ValueError, match=r"^quoted_surcharges is not JSON: '\{remote_area: 1\}': Expecting"
    ):
        _quoted_surcharges(pd.Series(["{remote_area: 1}"]), ["remote_area"])
    with pytest.raises(ValueError, match=r"^quoted_surcharges is not a JSON object: '\[1500\]'$"):
        _quoted_surcharges(pd.Series(["", "[1500]"]), ["remote_area"])
    long = "x" * 100
    with pytest.raises(ValueError, match=r"is not JSON: '" + "x" * 60 + "': "):
        _quoted_surcharges(pd.Series([long]), ["remote_area"])
    listed = "[" + "1500, " * 20 + "1500]"  # shown cut at 60 characters
    with pytest.raises(
        ValueError, match=r"is not a JSON object: " + repr(listed[:60]).replace("[", r"\[") + "$"
    ):
        _quoted_surcharges(pd.Series([listed]), ["remote_area"])
