"""Finance working a carrier bill's discrepancies as a selection (one reason for several rows,
all or none), and the bill's summary: billed, expected, over and under, and where the rows stand.

The bills are those of test_settlement.py: MESSY bills W1 as quoted (line 2) and then W1 again
(3), the voided W2 (4) and an unknown waybill (5), giving discrepancies 1, 2 and 3.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domains.common import InvalidTransition, ValidationFailed
from domains.settlement.model import CarrierBill
from tests.application.test_settlement import HEAD, MESSY, W1, upload


def resolutions(app, bill_id) -> list[tuple[str | None, str | None, str | None]]:
    """Each stored discrepancy's (resolution, resolved_by, reason), in number order."""
    stored = app.settlement.get_bill(bill_id).discrepancies
    return [(d["resolution"], d.get("resolved_by"), d.get("reason")) for d in stored]


def test_a_selection_is_disputed_with_one_reason_recorded_on_each_row_with_who(app):
    bill, _, _ = upload(app)
    app.settlement.resolve_selection(bill.id, [3, 1], "disputed", "finance-2", "not ours")
    assert resolutions(app, bill.id) == [
        ("disputed", "finance-2", "not ours"),
        (None, None, None),
        ("disputed", "finance-2", "not ours"),
    ]
    resolved = [
        e for e in app.store.events.get(bill.id) if isinstance(e, CarrierBill.DiscrepancyResolved)
    ]
    assert [(e.number, e.by) for e in resolved] == [(1, "finance-2"), (3, "finance-2")]


def test_a_selection_with_one_row_that_cannot_be_resolved_stores_nothing(app):
    bill, _, _ = upload(app)
    app.settlement.resolve_discrepancy(bill.id, 2, "accepted", "finance-1", "fair")
    before = app.settlement.get_bill(bill.id).version
    with pytest.raises(InvalidTransition, match="discrepancy 2 is already accepted"):
        app.settlement.resolve_selection(bill.id, [1, 2, 3], "credited", "finance-1", "note 9")
    with pytest.raises(InvalidTransition, match="bill has no discrepancy 4"):
        app.settlement.resolve_selection(bill.id, [1, 4], "disputed", "finance-1", "x")
    assert app.settlement.get_bill(bill.id).version == before
    assert [r[0] for r in resolutions(app, bill.id)] == [None, "accepted", None]


@pytest.mark.parametrize(
    ("numbers", "resolution", "reason", "message"),
    [
        ([], "accepted", "ok", "select at least one discrepancy"),
        ([1, 1], "accepted", "ok", "a discrepancy is selected twice"),
        ([1], "accepted", " ", "a resolution needs a reason"),
        ([1], "ignored", "ok", "choose accept, dispute or credit"),
    ],
)
def test_a_selection_without_rows_reason_or_known_outcome_is_bad_input(
    app, numbers, resolution, reason, message
):
    bill, _, _ = upload(app)
    with pytest.raises(ValidationFailed, match=message):
        app.settlement.resolve_selection(bill.id, numbers, resolution, "finance-1", reason)
    assert app.settlement.get_bill(bill.id).version == bill.version


def test_the_summary_gives_billed_expected_over_and_under_and_rows_by_state(app):
    # MESSY plus W1 a third time (line 6) at 9.00 + 1.58 = 10.58.
    bill, _, _ = upload(app, text=MESSY + f"{W1},ups,ground,1,9.00,1.58,USD,6\n")
    app.settlement.resolve_selection(bill.id, [1, 2], "disputed", "finance-1", "double")
    summary = app.settlement.summary(app.settlement.get_bill(bill.id))
    # Billed: 3 x 11.75 + 5.00 + 10.58 = 50.83. Expected: the first W1 line, 11.75; the W1
    # line 6 is a duplicate of line 2 in this bill, so we expect 0 for it as for lines 3-5.
    (usd,) = summary["amounts"]
    billed = 3 * Decimal("11.75") + Decimal("5.00") + Decimal("10.58")
    assert (usd["currency"], usd["lines"]) == ("USD", 5)
    assert Decimal(usd["billed"]) == billed and Decimal(usd["expected"]) == Decimal("11.75")
    assert Decimal(usd["over"]) == billed - Decimal("11.75") and Decimal(usd["under"]) == 0
    disputed = summary["states"]["disputed"]
    # Rows 1 and 2 (lines 3, 4) each differ by their whole 11.75.
    assert disputed == {"count": 2, "difference": {"USD": "23.50"}}
    assert summary["open"] == len(bill.discrepancies) - 2
    assert summary["states"]["accepted"] == {"count": 0, "difference": {}}


def test_an_under_billed_line_shows_as_under_not_over(app):
    bill, _, _ = upload(app, text=HEAD + f"{W1},ups,ground,1,9.00,1.58,USD,1\n")
    (usd,) = app.settlement.summary(bill)["amounts"]
    # 10.58 billed against 11.75 quoted: 1.17 under, nothing over.
    assert (usd["billed"], usd["expected"], usd["over"], usd["under"]) == (
        "10.58",
        "11.75",
        "0.00",
        "1.17",
    )
