"""The health metrics' arithmetic on small planted rows (domains/metrics/calc.py): each value
worked out by hand in the comments from the rows beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domains.metrics import calc
from domains.metrics.calc import Period

# Mon 2 Nov to Sun 15 Nov 2026: ISO weeks 45 and 46.
TWO_WEEKS = Period(date(2026, 11, 2), date(2026, 11, 15), "week")


def parcel(sid: str, **facts: object) -> dict[str, object]:
    row: dict[str, object] = {
        "shipment_id": sid,
        "order_id": sid.split("-")[0],
        "warehouse_id": "FRA",
        "channel": "web",
        "carrier": "ups",
        "destination": "GB",
        "alerts": [],
        "tracking_status": None,
        "hold_reason": None,
    }
    row.update(facts)
    return row


def test_the_period_is_cut_into_iso_weeks_or_calendar_months():
    assert [b[0] for b in TWO_WEEKS.buckets()] == ["2026-W45", "2026-W46"]
    # 28 Oct (a Wednesday) to 3 Dec: the first week and October are clipped to the period.
    months = Period(date(2026, 10, 28), date(2026, 12, 3), "month").buckets()
    assert months == [
        ("2026-10", date(2026, 10, 28), date(2026, 10, 31)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 3)),
    ]


def test_processing_time_is_the_median_and_p90_of_hours_from_receipt_to_dispatch():
    rows = [
        # 10 h, 20 h and 30 h in week 45; 4 h in week 46; one never dispatched.
        parcel("A-S1", received_at="2026-11-02T08:00:00+00:00", dispatched_at="2026-11-02T18:00:00+00:00"),
        parcel("B-S1", received_at="2026-11-03T00:00:00+00:00", dispatched_at="2026-11-03T20:00:00+00:00"),
        parcel("C-S1", received_at="2026-11-04T00:00:00+00:00", dispatched_at="2026-11-05T06:00:00+00:00"),
        parcel("D-S1", received_at="2026-11-10T08:00:00+00:00", dispatched_at="2026-11-10T12:00:00+00:00"),
        parcel("E-S1", received_at="2026-11-10T08:00:00+00:00", dispatched_at=None),
    ]  # fmt: skip
    r = calc.fold(calc.processing_hours(rows), TWO_WEEKS, calc.median_and_p90, "hours")
    # sorted 4, 10, 20, 30: median (10 + 20) / 2 = 15; p90 at rank ceil(3.6) = 4: 30.
    assert r.value == Decimal("15.00")
    assert r.stats == {"count": 4, "p90": Decimal("30.00")}
    # week 45: 10, 20, 30 -> 20; week 46: 4 alone.
    assert [p["value"] for p in r.trend] == [Decimal("20.00"), Decimal("4.00")]


def test_a_parcel_dispatched_outside_the_period_is_not_counted():
    rows = [
        parcel("A-S1", received_at="2026-10-30T00:00:00+00:00", dispatched_at="2026-11-01T00:00:00+00:00"),
        parcel("B-S1", received_at="2026-11-02T00:00:00+00:00", dispatched_at="2026-11-02T06:00:00+00:00"),
    ]  # fmt: skip
    r = calc.fold(calc.processing_hours(rows), TWO_WEEKS, calc.median_and_p90, "hours")
    assert (r.value, r.stats["count"]) == (Decimal("6.00"), 1)  # B only, 6 h


def test_transit_on_time_and_exceptions_count_delivered_and_dispatched_parcels():
    rows = [
        # 36 h = 1.5 days, by its ETA
        parcel("A-S1", dispatched_at="2026-11-02T00:00:00+00:00", delivered_at="2026-11-03T12:00:00+00:00",
               eta="2026-11-04T00:00:00+00:00"),
        # 72 h = 3 days, a day past its ETA, and held on the way
        parcel("B-S1", dispatched_at="2026-11-02T00:00:00+00:00", delivered_at="2026-11-05T00:00:00+00:00",
               eta="2026-11-04T00:00:00+00:00", hold_reason="customs_delay"),
        # not delivered, an SLA alert
        parcel("C-S1", dispatched_at="2026-11-03T00:00:00+00:00", alerts=[{"kind": "no_scan_24h"}]),
        # not delivered, a failed delivery scan
        parcel("D-S1", dispatched_at="2026-11-10T00:00:00+00:00", tracking_status="delivery_failed"),
        parcel("E-S1", dispatched_at="2026-11-10T00:00:00+00:00", tracking_status="in_transit"),
    ]  # fmt: skip
    transit = calc.fold(calc.transit_days(rows), TWO_WEEKS, calc.median_and_p90, "days")
    assert transit.value == Decimal("2.25")  # (1.5 + 3) / 2
    on_time = calc.fold(calc.on_time(rows), TWO_WEEKS, calc.share, "ratio")
    assert (on_time.value, on_time.stats) == (Decimal("0.5000"), {"count": 2, "hits": 1})
    trouble = calc.fold(calc.exceptions(rows), TWO_WEEKS, calc.share, "ratio")
    # B (hold), C (alert), D (failed) of five dispatched; by week: 2 of 3, then 1 of 2.
    assert trouble.value == Decimal("0.6000")
    assert [p["value"] for p in trouble.trend] == [Decimal("0.6667"), Decimal("0.5000")]


def test_loss_and_return_rates_are_per_parcel_dispatched_and_delivered():
    rows = [
        parcel("A-S1", dispatched_at="2026-11-02T00:00:00+00:00", delivered_at="2026-11-03T00:00:00+00:00"),
        parcel("B-S1", dispatched_at="2026-11-02T00:00:00+00:00", delivered_at="2026-11-04T00:00:00+00:00"),
        parcel("C-S1", dispatched_at="2026-11-03T00:00:00+00:00"),
        parcel("D-S1", dispatched_at="2026-11-03T00:00:00+00:00"),
    ]  # fmt: skip
    loss = calc.fold(calc.lost(rows, {"C-S1"}), TWO_WEEKS, calc.share, "ratio")
    assert loss.value == Decimal("0.2500")  # C of four
    # A came back twice (two returns), B not at all: 2 returns / 2 delivered.
    returned = calc.fold(
        calc.returns_per_delivery(rows, {"A-S1": 2, "C-S1": 1}), TWO_WEEKS, calc.ratio, "ratio"
    )
    assert returned.value == Decimal("1.0000")
    assert returned.stats == {"numerator": "2", "denominator": "2"}


def test_customs_delay_counts_holds_slow_clearances_and_long_waits():
    decls = [
        # cleared after 47 h: on time
        {"submitted_at": "2026-11-02T00:00:00+00:00", "cleared_at": "2026-11-03T23:00:00+00:00"},
        # cleared after 49 h: delayed
        {"submitted_at": "2026-11-02T00:00:00+00:00", "cleared_at": "2026-11-04T01:00:00+00:00"},
        # held, cleared fast: delayed
        {"submitted_at": "2026-11-03T00:00:00+00:00", "held_at": "2026-11-03T05:00:00+00:00",
         "cleared_at": "2026-11-03T10:00:00+00:00"},
        # submitted 14 Nov, never cleared: the period closes 16 Nov 00:00, 48 h later: not over
        {"submitted_at": "2026-11-14T00:00:00+00:00"},
        # submitted 13 Nov 23:00, never cleared: 49 h by the close: delayed
        {"submitted_at": "2026-11-13T23:00:00+00:00"},
        # never submitted: not counted
        {"submitted_at": None},
    ]  # fmt: skip
    r = calc.fold(calc.customs_delays(decls, TWO_WEEKS), TWO_WEEKS, calc.share, "ratio")
    assert (r.value, r.stats) == (Decimal("0.6000"), {"count": 5, "hits": 3})


def test_cost_per_parcel_and_cost_share_count_each_order_value_once():
    ledger = [
        {"order_id": "A", "date": "2026-11-02", "cost_base": "10.00", "order_value_base": "100.00"},
        {"order_id": "A", "date": "2026-11-03", "cost_base": "6.00", "order_value_base": "100.00"},
        {"order_id": "B", "date": "2026-11-10", "cost_base": "5.00", "order_value_base": "40.00"},
    ]
    per_parcel = calc.fold(calc.parcel_costs(ledger), TWO_WEEKS, calc.ratio, "money")
    assert per_parcel.value == Decimal("7.00")  # (10 + 6 + 5) / 3
    entries = [
        {"order_id": "A", "day": "2026-11-04", "amount_base": "4.00"},  # a return's costs
        {"order_id": "B", "day": "2026-11-11", "amount_base": "-5.00"},  # a claim paid
        {"order_id": "Z", "day": "2026-11-11", "amount_base": "99.00"},  # no costed parcel
    ]
    share = calc.fold(calc.cost_share(ledger, entries), TWO_WEEKS, calc.ratio, "ratio")
    # (10 + 6 + 4 + 5 - 5) / (100 + 40) = 20 / 140; A's value once, Z's entry left out.
    assert share.value == (Decimal(20) / Decimal(140)).quantize(Decimal("0.0001"))
    # week 45: 20 / 100; week 46: (5 - 5) / 40 = 0.
    assert [p["value"] for p in share.trend] == [Decimal("0.2000"), Decimal("0.0000")]


def test_turnover_is_units_shipped_over_the_average_end_of_day_balance():
    period = Period(date(2026, 11, 2), date(2026, 11, 5), "week")  # four days, one week
    # 10 on hand before; +30 on the 2nd; -8 shipped on the 3rd; -4 on the 5th.
    moves = {date(2026, 11, 2): 30, date(2026, 11, 3): -8, date(2026, 11, 5): -4}
    shipped = [(date(2026, 11, 3), 8), (date(2026, 11, 5), 4), (date(2026, 10, 30), 99)]
    r = calc.turnover(shipped, moves, 10, period)
    # end-of-day balances 40, 32, 32, 28: average 33; 12 units shipped in the period.
    assert r.stats == {"units_shipped": 12, "average_on_hand": "33.00"}
    assert r.value == (Decimal(12) / 33).quantize(Decimal("0.01"))


def test_turnover_with_nothing_on_hand_is_no_data():
    r = calc.turnover([], {}, 0, TWO_WEEKS)
    assert r.value is None and all(p["value"] is None for p in r.trend)


def test_filters_apply_only_to_the_dimensions_a_metric_has():
    row = parcel("A-S1")
    assert calc.matches(row, {"warehouse": "FRA", "carrier": "ups"}, calc_dims())
    assert not calc.matches(row, {"carrier": "dhl"}, calc_dims())
    assert calc.matches(row, {"carrier": "dhl"}, ("warehouse",))  # turnover ignores carriers


def calc_dims() -> tuple[str, ...]:
    from domains.metrics.definitions import ALL_FILTERS

    return ALL_FILTERS
