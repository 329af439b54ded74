"""Pure demand arithmetic: the Syntetos-Boylan demand classes, the forecasts made for
intermittent demand (Croston, SBA, TSB), the seasonal naive baseline, and the error measures.
Plain lists of daily units in, numbers out; no clock, no I/O.

Syntetos-Boylan (2005) classify a series by ADI (average inter-demand interval: days per day
with demand) and CV2 (squared coefficient of variation of the non-zero sizes), cut at 1.32 and
0.49: smooth (ADI < 1.32, CV2 < 0.49), erratic (ADI < 1.32), intermittent (CV2 < 0.49) and
lumpy. Smooth and erratic series go to the seasonal model; intermittent to Croston; lumpy to
SBA (Croston with the Syntetos-Boylan bias correction 1 - alpha/2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

ADI_CUT, CV2_CUT = 1.32, 0.49
SMOOTH, ERRATIC, INTERMITTENT, LUMPY = "smooth", "erratic", "intermittent", "lumpy"
METHOD_OF = {SMOOTH: "seasonal", ERRATIC: "seasonal", INTERMITTENT: "croston", LUMPY: "sba"}
# Mover classes by mean daily units (the bench reports accuracy per class).
FAST_FROM, MEDIUM_FROM = 10.0, 1.0


def demand_class(values: Sequence[float]) -> tuple[str, float, float]:
    """(class, ADI, CV2). A series with no demand at all is lumpy with ADI = its length."""
    sizes = [v for v in values if v > 0]
    if not sizes:
        return LUMPY, float(len(values)), 0.0
    adi = len(values) / len(sizes)
    mean = sum(sizes) / len(sizes)
    var = sum((s - mean) ** 2 for s in sizes) / len(sizes)
    cv2 = var / mean**2
    if adi < ADI_CUT:
        return (SMOOTH if cv2 < CV2_CUT else ERRATIC), adi, cv2
    return (INTERMITTENT if cv2 < CV2_CUT else LUMPY), adi, cv2


def mover_class(mean_daily: float) -> str:
    return "fast" if mean_daily >= FAST_FROM else "medium" if mean_daily >= MEDIUM_FROM else "slow"


def croston(values: Sequence[float], alpha: float = 0.1, sba: bool = False) -> float:
    """Croston's forecast of units a day: the smoothed size of a demand divided by the smoothed
    interval between demands, both updated only on days with demand; with `sba` multiplied by
    1 - alpha/2. Initialised with the first demand and its interval."""
    size = interval = None
    since = 0
    for v in values:
        since += 1
        if v <= 0:
            continue
        if size is None or interval is None:
            size, interval = float(v), float(since)
        else:
            size += alpha * (v - size)
            interval += alpha * (since - interval)
        since = 0
    if size is None or interval is None:
        return 0.0
    rate = size / interval
    return rate * (1 - alpha / 2) if sba else rate


def tsb(values: Sequence[float], alpha: float = 0.1, beta: float = 0.1) -> float:
    """Teunter-Syntetos-Babai: the probability of demand is smoothed every day (so it decays
    through a run of zero days: obsolescence), the size only on days with demand."""
    sizes = [v for v in values if v > 0]
    if not sizes:
        return 0.0
    prob, size = len(sizes) / len(values), sizes[0]
    for v in values:
        prob += beta * ((1.0 if v > 0 else 0.0) - prob)
        if v > 0:
            size += alpha * (v - size)
    return prob * size


def seasonal_naive(history: Sequence[float], horizon: int, season: int = 7) -> list[float]:
    """The last observed season repeated: the same weekday last week (season 7), or the same
    day last year (season 364: the same weekday 52 weeks back)."""
    if len(history) < season:
        raise ValueError(f"seasonal naive needs {season} days of history, got {len(history)}")
    last = list(history[-season:])
    return [float(last[i % season]) for i in range(horizon)]


def wape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Weighted absolute percentage error: sum |actual - forecast| / sum actual (None when
    nothing was sold)."""
    total = sum(actual)
    if total <= 0:
        return None
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / total


def rmse(actual: Sequence[float], forecast: Sequence[float]) -> float:
    pairs = list(zip(actual, forecast, strict=True))
    if not pairs:
        return 0.0
    return math.sqrt(sum((a - f) ** 2 for a, f in pairs) / len(pairs))
