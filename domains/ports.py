"""The outside facts the application needs, as plain interfaces; adapters/ implements them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from domains.reference.import_profiles import ImportProfile


class FxRates(Protocol):
    def rate(self, from_currency: str, to_currency: str, on: date) -> tuple[Decimal, date]:
        """Units of `to_currency` per unit of `from_currency`, and the rate's own date."""
        ...

    def is_currency(self, code: str) -> bool: ...

    def has_rate(self, code: str) -> bool: ...


class Countries(Protocol):
    def is_country(self, alpha2: str) -> bool: ...


class ShippingCostTable(Protocol):
    def estimate(
        self, origin_country: str, destination: str, on: date | None = None
    ) -> tuple[Decimal, Decimal, str]:
        """(fixed cost per shipment, cost per kg, currency) for a lane, as priced on day `on`
        (the application's today when not given)."""
        ...


class Clock(Protocol):
    """The time decisions are made at (FEFO shelf life, cut-offs, SLA); tests set it."""

    def now(self) -> datetime: ...


class ReadSide(Protocol):
    """The views a process reads (projections/live.py): brought up to the event log before a
    read (read-your-writes), closed with the application."""

    def fresh(self, until: int | None = None) -> None: ...

    def close(self) -> None: ...


class MappedOrder(Protocol):
    """An order a channel sent, in canonical form, with where each field came from."""

    canonical: dict[str, Any]
    source_paths: dict[str, str]
    raw: Any  # what a file-based channel read (a dealer file: the order's rows), else None


# A dealer order file (CSV bytes) and the import profile version that reads it (None: today's
# CSV format) -> its orders (adapters/orders/channels/read_dealer_file); a bad row raises the
# adapter's PayloadError naming its line, the dealer's column and the value.
DealerOrderFile = Callable[[bytes, ImportProfile | None], Sequence[MappedOrder]]


# A lane offer for one destination and channel: (origin country, grams, goods classes, longest
# item side in mm) -> the cheapest active service that takes them ({status: ok, ref, carrier,
# service, quote, fixed_cost, per_kg_cost, ...}) or why there is none ({status, reason}); None
# without carrier data. A pricer hands one out per destination and channel
# (domains/transport/rates.py).
class LaneOffer(Protocol):
    def __call__(
        self, origin: str, grams: int, goods: frozenset[str], longest_mm: int = 0, /
    ) -> dict[str, Any] | None: ...

    def by_origin(self, grams: int, goods: frozenset[str], longest_mm: int, /) -> dict[str, Any]:
        """The services found so far for a shipment of these grams, goods and longest side, by
        origin country ({status: ok, ...}, each the call's answer); for an origin not in it,
        make the call (it may look for cards published since)."""
        ...


LanePricer = Callable[[str, str], LaneOffer]
