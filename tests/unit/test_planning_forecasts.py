"""Demand forecasts on known series and planted patterns: the demand class picks the method
(Croston for intermittent demand), the seasonal model recovers a planted weekly pattern and a
known peak, the error measures and the seasonal naive on hand-made numbers, and the synthetic
history carries the pattern it says it plants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adapters.planning import history
from adapters.planning.calendar import black_friday, flags, ramadan
from adapters.planning.forecaster import HoltWintersWithPeaks
from domains.planning.demand import croston, demand_class, seasonal_naive, tsb, wape
from domains.planning.forecasting import backtest, forecast

MODEL = HoltWintersWithPeaks()
END = date(2026, 11, 1)  # a Sunday


def days_back(n: int, end: date = END) -> list[date]:
    return [end - timedelta(days=n - 1 - i) for i in range(n)]


def test_an_intermittent_series_is_forecast_by_croston_with_the_rate_computed_by_hand():
    # A demand of 2 units every third day: ADI = 3 (>= 1.32), CV2 = 0 (< 0.49): intermittent.
    values = [0.0, 0.0, 2.0] * 40
    klass, adi, cv2 = demand_class(values)
    assert (klass, adi, cv2) == ("intermittent", 3.0, 0.0)
    fc = forecast(values, END, 7, "US", MODEL)
    # Size stays 2 and the interval 3 under smoothing (every update sees the same values).
    assert fc.method == "croston" and fc.values == pytest.approx([2 / 3] * 7)


def test_lumpy_demand_goes_to_sba_and_smooth_demand_to_the_seasonal_model():
    lumpy = [0.0, 0.0, 1.0, 0.0, 0.0, 9.0] * 20  # sizes 1 and 9: CV2 = 16/25 = 0.64
    assert demand_class(lumpy)[0] == "lumpy"
    fc = forecast(lumpy, END, 7, "US", MODEL)
    assert fc.method == "sba"
    assert fc.values[0] == pytest.approx(croston(lumpy, 0.1) * (1 - 0.1 / 2))
    smooth = [10.0 + (i % 7) for i in range(120)]
    assert forecast(smooth, END, 7, "US", MODEL).method == MODEL.name


def test_tsb_decays_through_a_run_of_zero_days():
    # The same demands, then 30 quiet days: TSB's probability falls, Croston's rate does not.
    busy = [0.0, 3.0] * 20
    quiet = busy + [0.0] * 30
    assert croston(quiet) == pytest.approx(croston(busy))
    assert tsb(quiet) < tsb(busy) * 0.1  # (1 - 0.1) ** 30 = 0.04 of the probability remains


def test_the_seasonal_model_recovers_a_planted_weekly_pattern():
    # Level 50 plus a fixed offset per weekday, no noise: each forecast day is 50 + its offset.
    offsets = [-10.0, -5.0, 0.0, 0.0, 5.0, 20.0, -10.0]  # Monday .. Sunday
    days = days_back(140)
    values = [50.0 + offsets[d.weekday()] for d in days]
    fc = forecast(values, END, 14, "US", MODEL)
    expected = [50.0 + offsets[(END + timedelta(days=i + 1)).weekday()] for i in range(14)]
    assert fc.values == pytest.approx(expected, abs=1.0)


def test_a_known_peak_seen_last_year_is_forecast_again():
    # 400 days of 30 a day, with Singles' Day 2025 at 90: the peak's regression flag learns +60
    # and 2026-11-11 (ten days after END) is forecast near 90, its neighbours near 30.
    days = days_back(400)
    values = [90.0 if (d.month, d.day) == (11, 11) else 30.0 for d in days]
    fc = forecast(values, END, 12, "CN", MODEL)
    by_day = dict(zip([END + timedelta(days=i + 1) for i in range(12)], fc.values, strict=True))
    assert by_day[date(2026, 11, 11)] == pytest.approx(90.0, abs=3.0)
    assert by_day[date(2026, 11, 10)] == pytest.approx(30.0, abs=3.0)


def test_wape_and_the_seasonal_naive_on_hand_made_numbers():
    # |10-8| + |0-1| + |5-5| = 3 over 15 units sold
    assert wape([10, 0, 5], [8, 1, 5]) == pytest.approx(3 / 15)
    assert wape([0, 0], [1, 1]) is None
    week = list(range(14))  # the last week is 7..13, repeated
    assert seasonal_naive(week, 9) == [7, 8, 9, 10, 11, 12, 13, 7, 8]


def test_the_backtest_beats_the_weekly_naive_on_a_planted_series():
    # Planted: strong weekday pattern plus Poisson-gamma noise (adapters/planning/history.py);
    # the naive copies last week's noise too, the model averages it out.
    end = date(2026, 12, 6)
    values = [float(v) for v in history.series("LAX", "SKU-CHARGER-65W", end, days=400)]
    _, acc = backtest(values, end, "US", MODEL)
    assert acc.wape is not None and acc.wape_naive_week is not None
    assert acc.wape < acc.wape_naive_week


def test_the_synthetic_history_carries_its_planted_weekly_pattern_and_is_seeded():
    s = history.series("LAX", "SKU-PHONE-CASE", END, days=730)
    assert s.equals(history.series("LAX", "SKU-PHONE-CASE", END, days=730))
    quiet = [d for d in s.index if not any(flags(d, "US").values())]
    by_weekday = s[quiet].groupby([d.weekday() for d in quiet]).mean()
    planted = [w / sum(history.WEEKLY) * 7 for w in history.WEEKLY]
    recovered = (by_weekday / by_weekday.mean()).tolist()
    assert recovered == pytest.approx(planted, abs=0.06)


def test_the_retail_calendar():
    # 2026: November 1st is a Sunday, so the fourth Thursday is the 26th.
    assert black_friday(2026) == date(2026, 11, 27)
    first, last = ramadan(2026)
    assert (last - first).days == 28 and flags(last, "ID")["ramadan"]
    assert flags(date(2026, 12, 25), "DE")["holiday"]
