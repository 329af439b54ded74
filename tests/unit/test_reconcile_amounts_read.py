"""How amounts and weights read in a dispute's explanation, pinned down by the mutation check
(`make mutate`, group `reconcile`): whole units, fixed decimals, a sign only when negative."""

from __future__ import annotations

from adapters.settlement.reconcile import _kg, money


def test_amounts_read_with_two_decimals_and_a_sign_only_below_zero():
    assert list(money([1250, -5, 0, 100, -100000])) == [
        "12.50", "-0.05", "0.00", "1.00", "-1000.00"
    ]


def test_weights_read_in_kg_with_three_decimals_and_a_sign_only_below_zero():
    assert list(_kg([0, 1500, -250, 7, 12_345])) == [
        "0.000 kg", "1.500 kg", "-0.250 kg", "0.007 kg", "12.345 kg"
    ]
    assert list(_kg([1.6, 999.4])) == ["0.001 kg", "0.999 kg"]  # whole grams
