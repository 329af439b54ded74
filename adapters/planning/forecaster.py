"""The seasonal model behind `SeasonalModel` (domains/planning/ports.py), with statsmodels:

1. an OLS regression (statsmodels.api.OLS) of daily units on weekday dummies, yearly Fourier
   terms (K = 2 sine/cosine pairs of period 365.25 days) and 0/1 flags for the known peaks and public
   holidays (adapters/planning/calendar.py); the peaks' dates are known ahead, so the
   regression part is known for every future day;
2. Holt-Winters exponential smoothing (statsmodels ExponentialSmoothing: additive level and
   additive weekly season of 7 days, no trend: two years of retail demand rarely justify an
   extrapolated trend) on what the regression leaves (units minus the yearly and peak part).

The forecast is the smoothing's forecast plus the regression part of each future day, clipped
at zero. Why this and not UnobservedComponents or SARIMAX with the same regressors: one OLS and
one Holt-Winters fit take ~0.1 s per series here against several seconds for the state-space
maximum likelihood, for accuracy within noise on the bench (README, "Forecasts and
replenishment").
"""

from __future__ import annotations

import math
import warnings
from datetime import date, timedelta
from typing import Any

import numpy as np
import statsmodels
import statsmodels.api as sm
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from adapters.planning.calendar import CALENDAR_VERSION, PEAKS, flag_rows

FOURIER_K = 2
YEAR = 365.25


WEEKDAYS = 6  # Tuesday .. Sunday against Monday


def design(days: list[date], country: str) -> np.ndarray:
    """Columns: constant, six weekday dummies, K sine/cosine pairs of the year, then the PEAKS
    flags. The weekday dummies are there so that a flag does not soak up a weekday (most US
    public holidays are Mondays); the weekly season itself is left to the smoothing."""
    t = np.array([d.toordinal() for d in days], dtype=float)
    weekday = np.array([d.weekday() for d in days])
    dummies = [(weekday == k).astype(float) for k in range(1, WEEKDAYS + 1)]
    fourier = [
        f(2 * math.pi * k * t / YEAR) for k in range(1, FOURIER_K + 1) for f in (np.sin, np.cos)
    ]
    flags = np.array(flag_rows(days, country)).reshape(len(days), len(PEAKS))
    return np.column_stack([np.ones(len(days)), *dummies, *fourier, flags])


class HoltWintersWithPeaks:
    name = "holt-winters-weekly+ols-fourier-peaks"
    version = f"statsmodels-{statsmodels.__version__}/fourier{FOURIER_K}/{CALENDAR_VERSION}"

    def fit_predict(
        self, history: list[float], end: date, horizon: int, country: str
    ) -> tuple[list[float], dict[str, Any]]:
        n = len(history)
        past = [end - timedelta(days=n - 1 - i) for i in range(n)]
        future = [end + timedelta(days=i + 1) for i in range(horizon)]
        y = np.asarray(history, dtype=float)
        x_past, x_future = design(past, country), design(future, country)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rank-deficient when a peak is absent: pinv gives 0
            ols = sm.OLS(y, x_past).fit()
        beta = np.asarray(ols.params)
        # What the smoothing does not model: the yearly wave and the peaks (not the constant
        # nor the weekdays, which level and weekly season carry).
        beta_no_const = beta.copy()
        beta_no_const[: 1 + WEEKDAYS] = 0.0
        seasonal_part = x_past @ beta_no_const
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on short or flat series
            hw = ExponentialSmoothing(
                y - seasonal_part,
                seasonal="add",
                seasonal_periods=7,
                initialization_method="estimated",
            ).fit()
        values = np.clip(hw.forecast(horizon) + x_future @ beta_no_const, 0, None)
        names = [
            "const",
            *[f"weekday{k}" for k in range(1, WEEKDAYS + 1)],
            *[f"{f}{k}" for k in range(1, FOURIER_K + 1) for f in ("sin", "cos")],
        ]
        params = {
            "alpha": round(float(hw.params["smoothing_level"]), 4),
            "gamma": round(float(hw.params["smoothing_seasonal"]), 4),
            "regression": {
                name: round(float(b), 4) for name, b in zip([*names, *PEAKS], beta, strict=True)
            },
        }
        return [float(v) for v in values], params
