"""One (warehouse, SKU) forecast: the method chosen by the demand class (domains/planning/
demand.py), the seasonal model behind a port for smooth and erratic demand, and its accuracy
on the last weeks held back against the seasonal naive forecast. Pure given the model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from domains.planning.demand import (
    METHOD_OF,
    croston,
    demand_class,
    mover_class,
    rmse,
    seasonal_naive,
    wape,
)
from domains.planning.ports import SeasonalModel

HOLDOUT_DAYS = 56  # eight weeks held back to measure accuracy
CROSTON_ALPHA = 0.1


@dataclass(frozen=True)
class Forecast:
    """Daily units from `start` on, with how they were made."""

    start: str
    values: list[float]
    method: str
    demand_class: str
    mover_class: str
    adi: float
    cv2: float
    params: dict[str, Any] = field(default_factory=dict)
    model_version: str = ""

    def total(self, days: int) -> float:
        return sum(self.values[:days])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Accuracy:
    """Errors over the held-back days: the method's and the seasonal naive's."""

    holdout_days: int
    wape: float | None
    wape_naive_week: float | None
    wape_naive_year: float | None
    rmse_daily: float
    actual_units: float


def forecast(
    history: list[float], end: date, horizon: int, country: str, model: SeasonalModel
) -> Forecast:
    """The next `horizon` days after `end` (the history's last day)."""
    klass, adi, cv2 = demand_class(history)
    method = METHOD_OF[klass]
    start = (end + timedelta(days=1)).isoformat()
    mean = sum(history) / len(history) if history else 0.0
    common = dict(demand_class=klass, mover_class=mover_class(mean), adi=round(adi, 3),
                  cv2=round(cv2, 3))  # fmt: skip
    if method == "seasonal" and len(history) >= 28:
        values, params = model.fit_predict(history, end, horizon, country)
        return Forecast(start, values, model.name, params=params, model_version=model.version,
                        **common)  # type: ignore[arg-type]  # fmt: skip
    if method == "seasonal":  # too short to fit a season: the mean
        return Forecast(start, [mean] * horizon, "mean", **common)  # type: ignore[arg-type]
    rate = croston(history, CROSTON_ALPHA, sba=method == "sba")
    return Forecast(start, [rate] * horizon, method, params={"alpha": CROSTON_ALPHA},
                    **common)  # type: ignore[arg-type]  # fmt: skip


def backtest(
    history: list[float], end: date, country: str, model: SeasonalModel,
    holdout: int = HOLDOUT_DAYS,
) -> tuple[Forecast, Accuracy]:  # fmt: skip
    """Fit on all but the last `holdout` days, forecast them, compare with what was sold and
    with the seasonal naive forecasts (same weekday last week; same day 52 weeks back)."""
    if len(history) <= holdout + 14:
        raise ValueError(f"a backtest needs more than {holdout + 14} days, got {len(history)}")
    train, actual = history[:-holdout], history[-holdout:]
    fitted = forecast(train, end - timedelta(days=holdout), holdout, country, model)
    week = seasonal_naive(train, holdout, 7)
    year = seasonal_naive(train, holdout, 364) if len(train) >= 364 else None
    return fitted, Accuracy(
        holdout_days=holdout,
        wape=_round(wape(actual, fitted.values)),
        wape_naive_week=_round(wape(actual, week)),
        wape_naive_year=_round(wape(actual, year)) if year else None,
        rmse_daily=round(rmse(actual, fitted.values), 4),
        actual_units=float(sum(actual)),
    )


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
