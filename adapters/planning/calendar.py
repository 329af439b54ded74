"""The retail calendar the forecaster and the synthetic history share: the known peaks
(Black Friday and Cyber Monday, Singles' Day 11.11, the Christmas run-up, Ramadan) and each
warehouse country's public holidays, from the `holidays` package (its rules ship offline).

Ramadan is not a public holiday in the package's tables; it is taken as the 29 days before the
Indonesian Eid al-Fitr (the first day of Shawwal), which `holidays` computes for every year.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

CALENDAR_VERSION = f"retail-calendar-v1/holidays-{holidays.__version__}"
# The peak flags the forecaster regresses on, in a fixed order (a feature matrix's columns).
PEAKS = ("black_friday", "cyber_weekend", "singles_day", "christmas_runup", "ramadan", "holiday")


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return thursday + timedelta(days=22)


@lru_cache(maxsize=64)
def ramadan(year: int) -> tuple[date, date]:
    """(first day, last day) of Ramadan that ends in `year` (29 days before Eid al-Fitr)."""
    eid = min(
        d
        for d, name in holidays.country_holidays("ID", years=year, language="en_US").items()
        if name.startswith("Eid al-Fitr") and "Second" not in name  # "(estimated)" ahead
    )
    return eid - timedelta(days=29), eid - timedelta(days=1)


@lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: none
        return frozenset()


def flags(day: date, country: str) -> dict[str, bool]:
    """Which peaks (and a public holiday in `country`) fall on `day`."""
    bf = black_friday(day.year)
    start, end = ramadan(day.year)
    return {
        "black_friday": day == bf,
        # Saturday to Cyber Monday after Black Friday
        "cyber_weekend": bf < day <= bf + timedelta(days=3),
        "singles_day": (day.month, day.day) == (11, 11),
        "christmas_runup": day.month == 12 and 8 <= day.day <= 21,
        "ramadan": start <= day <= end,
        "holiday": day in public_holidays(country, day.year),
    }


def flag_rows(days: list[date], country: str) -> list[list[float]]:
    """One row of 0/1 per day, columns in PEAKS order."""
    return [[1.0 if f[p] else 0.0 for p in PEAKS] for f in (flags(d, country) for d in days)]
