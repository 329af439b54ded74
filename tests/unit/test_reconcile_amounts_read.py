"""How amounts and weights read in a dispute's explanation, pinned down by the mutation check
(`make mutate`, group `reconcile`): whole units, fixed decimals, a sign only when negative."""

from __future__ import annotations

from adapters.settlement.reconcile import _kg, _pct, money


def test_amounts_read_with_two_decimals_and_a_sign_only_below_zero():
    assert list(money([1250, -5, 0, 100, -100000])) == [
        "12.50", "-0.05", "0.00", "1.00", "-1000.00"
    ]


def test_weights_read_in_kg_with_three_decimals_and_a_sign_only_below_zero():
    assert list(_kg([0, 1500, -250, 7, 12_345, 1_000_000])) == [
        "0.000 kg", "1.500 kg", "-0.250 kg", "0.007 kg", "12.345 kg", "1000.000 kg"
    ]
    assert list(_kg([1.6, 999.4])) == ["0.001 kg", "0.999 kg"]  # whole grams


def test_percentages_read_with_two_decimals_and_n_a_when_there_is_nothing_to_compare():
    assert list(_pct([12.5, 0, -3.25, float("nan")])) == ["12.50%", "0.00%", "-3.25%", "n/a"]
