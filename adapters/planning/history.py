"""SYNTHETIC demand history for the demo and the forecast bench: two years of daily demand per
(warehouse, SKU) with a weekly pattern, a yearly wave, the retail peaks (Black Friday and Cyber
weekend, Singles' Day, the Christmas run-up, Ramadan) and public-holiday dips from
adapters/planning/calendar.py. Seeded: the same seed gives the same table. None of it is real
sales data; it exists so that forecasts and their accuracy have seasonality to find.

How demand reaches the forecaster (the `DemandHistory` port, domains/planning/ports.py):
`RecordedDemand` reads the units reserved per business day (the warehouse's `view_demand`, filled
from `Reserved` events); `DemoDemand` lays that recorded demand over this synthetic history (the
demo store holds only a few days of orders). Production wires the recorded source alone.

Profiles (the planted truth the bench and the tests recover):
- fast, medium, slow: a gamma-Poisson (negative binomial) draw around
  base x weekday factor x yearly wave x peak factors;
- intermittent: demand on a day with probability `p`, then 1 + Poisson(size - 1) units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from adapters.planning.calendar import flags

HISTORY_VERSION = "synthetic-demand-v1"
# Monday .. Sunday: the planted weekly pattern (weekend shopping, a quiet Sunday).
WEEKLY = (0.85, 0.9, 0.95, 1.0, 1.1, 1.35, 0.85)
YEARLY_AMPLITUDE = 0.2  # +-20 % over the year, highest in late autumn
GAMMA_SHAPE = 8.0  # over-dispersion of daily demand (variance = m + m^2 / shape)


@dataclass(frozen=True)
class Profile:
    kind: str  # fast | medium | slow | intermittent
    base: float  # mean units a day (intermittent: ignored)
    p: float = 1.0  # probability of any demand on a day (intermittent)
    size: float = 1.0  # mean units when there is demand (intermittent)


FAST, MEDIUM, SLOW = Profile("fast", 40.0), Profile("medium", 6.0), Profile("slow", 1.2)
INTERMITTENT = Profile("intermittent", 0.0, p=0.12, size=2.0)

# The demo's SKUs by profile, and where each sells (and how much, relative to the base).
SKU_PROFILES: dict[str, Profile] = {
    **dict.fromkeys(("SKU-PHONE-CASE", "SKU-CHARGER-65W", "SKU-EARBUDS-TWS", "SKU-TEA-001"), FAST),
    **dict.fromkeys(
        (
            "SKU-POWERBANK-10K",
            "SKU-LED-STRIP",
            "SKU-COFFEE-1KG",
            "SKU-SKINCARE-SET",
            "SKU-YOGA-MAT",
            "SKU-CHOC-BAR",
        ),
        MEDIUM,
    ),  # fmt: skip
    **dict.fromkeys(("SKU-KETTLE-1L7", "SKU-BACKPACK-20L", "SKU-WOOL-SCARF"), SLOW),
    **dict.fromkeys(
        (
            "SKU-DRONE-MINI",
            "SKU-KNIFE-SET",
            "SKU-PERFUME-50",
            "SKU-BATIK-SHIRT",
            "SKU-RATTAN-BAG",
            "SKU-SOLAR-LANTERN",
        ),
        INTERMITTENT,
    ),  # fmt: skip
}
WAREHOUSE_SCALE = {"LAX": 1.0, "FRA": 0.8, "SZX": 0.7, "CGK": 0.6, "BHX": 0.5}
WAREHOUSE_COUNTRY = {"LAX": "US", "FRA": "DE", "SZX": "CN", "CGK": "ID", "BHX": "GB"}
# Peak factors per warehouse (a flag absent means 1.0): Black Friday is a western peak,
# Singles' Day an Asian one, Ramadan lifts demand where it is observed.
PEAK_FACTORS: dict[str, dict[str, float]] = {
    "LAX": {"black_friday": 3.0, "cyber_weekend": 1.8, "singles_day": 1.2, "christmas_runup": 1.5},
    "FRA": {"black_friday": 2.5, "cyber_weekend": 1.6, "singles_day": 1.2, "christmas_runup": 1.6},
    "BHX": {"black_friday": 2.5, "cyber_weekend": 1.6, "christmas_runup": 1.6},
    "SZX": {"singles_day": 3.5, "black_friday": 1.2, "christmas_runup": 1.1},
    "CGK": {"singles_day": 2.5, "ramadan": 1.4, "christmas_runup": 1.1},
}
HOLIDAY_FACTOR = 0.6  # a public holiday in the warehouse's country


def demo_pairs() -> list[tuple[str, str]]:
    """(warehouse, SKU) pairs with history: every demo SKU in two warehouses, rotating, so each
    warehouse has fast, medium, slow and intermittent SKUs."""
    warehouses = sorted(WAREHOUSE_SCALE)
    return [
        (warehouses[(i + k) % len(warehouses)], sku)
        for i, sku in enumerate(SKU_PROFILES)
        for k in (0, 2)
    ]


def expected_rate(warehouse: str, day: date, base: float) -> float:
    """The planted mean demand of a day (before noise)."""
    yearly = 1 + YEARLY_AMPLITUDE * math.sin(2 * math.pi * (day.timetuple().tm_yday - 225) / 365.25)
    factor = WEEKLY[day.weekday()] * yearly
    peaks = PEAK_FACTORS.get(warehouse, {})
    for name, on in flags(day, WAREHOUSE_COUNTRY.get(warehouse, "US")).items():
        if on:
            factor *= HOLIDAY_FACTOR if name == "holiday" else peaks.get(name, 1.0)
    return base * WAREHOUSE_SCALE.get(warehouse, 1.0) * factor


def series(warehouse: str, sku: str, end: date, days: int = 730, seed: int = 20) -> pd.Series:
    """Daily units of one pair for the `days` days up to and including `end` (index: dates)."""
    profile = SKU_PROFILES[sku]
    rng = np.random.default_rng([seed, *map(ord, warehouse), *map(ord, sku)])
    index = [end - timedelta(days=days - 1 - i) for i in range(days)]
    if profile.kind == "intermittent":
        scale = WAREHOUSE_SCALE.get(warehouse, 1.0)
        hit = rng.random(days) < profile.p * scale
        size = 1 + rng.poisson(profile.size - 1, days)
        values = np.where(hit, size, 0)
    else:
        rates = np.array([expected_rate(warehouse, d, profile.base) for d in index])
        values = rng.poisson(rng.gamma(GAMMA_SHAPE, rates / GAMMA_SHAPE))
    return pd.Series(values.astype(int), index=pd.Index(index, name="day"), name="quantity")


def demand_table(end: date, days: int = 730, seed: int = 20) -> pd.DataFrame:
    """The daily demand table of every demo pair: warehouse_id, sku, day, quantity."""
    frames = [
        series(w, s, end, days, seed).reset_index().assign(warehouse_id=w, sku=s)
        for w, s in demo_pairs()
    ]
    return pd.concat(frames, ignore_index=True)[["warehouse_id", "sku", "day", "quantity"]]


# Planted co-purchases for the bundle rules: (slow item, frequent partner, share of the slow
# item's orders that also carry the partner).
PLANTED_PAIRS = (
    ("SKU-KETTLE-1L7", "SKU-TEA-001", 0.6),
    ("SKU-WOOL-SCARF", "SKU-TEA-EARLGREY", 0.5),
)


def baskets(orders: int = 3000, seed: int = 20) -> pd.DataFrame:
    """SYNTHETIC order lines (order_id, sku) with the planted pairs above: each order draws 1-3
    SKUs weighted by their profile's rate; an order holding a planted slow item also holds its
    partner with the planted share."""
    rng = np.random.default_rng(seed)
    skus = sorted(SKU_PROFILES)
    weights = np.array([max(SKU_PROFILES[s].base, SKU_PROFILES[s].p * 10) for s in skus])
    weights = weights / weights.sum()
    partner = {slow: (other, share) for slow, other, share in PLANTED_PAIRS}
    rows: list[tuple[str, str]] = []
    for n in range(orders):
        picked = rng.choice(skus, size=int(rng.integers(1, 4)), replace=False, p=weights)
        chosen = {str(s) for s in picked}
        for slow in list(chosen & partner.keys()):
            other, share = partner[slow]
            if rng.random() < share:
                chosen.add(other)
        rows += [(f"SYN-{n:05d}", s) for s in sorted(chosen)]
    return pd.DataFrame(rows, columns=["order_id", "sku"])


class SyntheticDemand:
    """The `DemandHistory` port over this synthetic history (ending on `end`)."""

    version = HISTORY_VERSION

    def __init__(self, end: date, days: int = 730, seed: int = 20) -> None:
        self.end, self.days, self.seed = end, days, seed
        self._cache: dict[tuple[str, str], pd.Series] = {}

    def pairs(self) -> list[tuple[str, str]]:
        return demo_pairs()

    def daily(self, warehouse: str, sku: str, end: date, days: int) -> list[float]:
        if (warehouse, sku) not in set(demo_pairs()):
            return [0.0] * days
        key = (warehouse, sku)
        if key not in self._cache:
            self._cache[key] = series(warehouse, sku, self.end, self.days, self.seed)
        s = self._cache[key]
        wanted = [end - timedelta(days=days - 1 - i) for i in range(days)]
        return [float(v) for v in s.reindex(wanted, fill_value=0).to_numpy()]


class DemoDemand:
    """Recorded demand laid over the synthetic history (the demo: its store holds days, not
    years, of orders): the units of both sources added up per day."""

    def __init__(self, recorded: Any, synthetic: SyntheticDemand) -> None:
        self.recorded, self.synthetic = recorded, synthetic
        self.version = f"{recorded.version}+{synthetic.version}"

    def pairs(self) -> list[tuple[str, str]]:
        return sorted(set(self.recorded.pairs()) | set(self.synthetic.pairs()))

    def daily(self, warehouse: str, sku: str, end: date, days: int) -> list[float]:
        a = self.recorded.daily(warehouse, sku, end, days)
        b = self.synthetic.daily(warehouse, sku, end, days)
        return [x + y for x, y in zip(a, b, strict=True)]
