"""Transport's price list: publishing rate cards, quoting a request against every card, and
the per-lane cost estimate the order split uses (from the cards, else a lane table).

Customs (freight in the customs value) and orders (the split's lane costs) read prices here;
the carrier choice and labels are in domains/transport/application.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from domains.common import InvalidTransition
from domains.log_cache import LogCached
from domains.ports import FxRates, ShippingCostTable
from domains.store import Store
from domains.transport.model import RateCardStream
from domains.transport.rating import Parcel, QuoteRequest, RateCard, quote_all

RATE_CARD_TOPICS = [
    f"domains.transport.model:RateCardStream.{name}" for name in ("Opened", "VersionPublished")
]
RateCardParser = Callable[[str], RateCard]  # csv text -> card; raises RateCardRejected (422)


class RateBook:
    def __init__(self, store: Store, fx: FxRates, parser: RateCardParser) -> None:
        self.store = store
        self.fx = fx
        self.parser = parser
        self._cards: LogCached[list[RateCard]] = LogCached(store, RATE_CARD_TOPICS, self._load)

    def publish_rate_card(self, csv_text: str, source: str, by: str) -> tuple[dict, int]:
        card = self.parser(csv_text)
        stream = self.store.get_or_none(RateCardStream.create_id(card.carrier, card.service))
        registry = self.store.registry()
        if stream is None:
            stream = RateCardStream(card.carrier, card.service)
        for v in stream.versions:
            if v["version"] == card.version:
                if v["csv_text"] == csv_text:
                    return {"changed": False, **card.describe()}, 0
                raise InvalidTransition(
                    f"{card.carrier}/{card.service} version {card.version} exists with other "
                    "rates; publish it under a new version"
                )
        stream.publish(
            version=card.version,
            effective_from=card.effective_from.isoformat(),
            csv_text=csv_text,
            source=source,
            published_by=by,
        )
        registry.add("rate_card", f"{card.carrier}/{card.service}")
        nid = self.store.commit(stream, registry)
        self._cards.invalidate()
        return {"changed": True, **card.describe()}, nid

    def rate_cards(self) -> list[RateCard]:
        """Every published version of every card (a quote picks the one effective that day),
        parsed once and kept until a card is published (domains/log_cache.py)."""
        return self._cards.get()

    def _load(self) -> list[RateCard]:
        cards = []
        for key in self.store.registry().entries.get("rate_card", []):
            carrier, service = key.split("/", 1)
            stream = self.store.get_or_none(RateCardStream.create_id(carrier, service))
            for v in stream.versions if stream else []:
                cards.append(self.parser(v["csv_text"]))
        return cards

    def quote(self, request: QuoteRequest, compare_in: str = "USD") -> dict[str, Any]:
        cards = self.rate_cards()
        on = request.ship_date
        fx = {c: self.fx.rate(c, compare_in, on)[0] for c in {c.currency for c in cards}}
        rates, excluded = quote_all(cards, request, fx)
        out = []
        for r in rates:
            d = r.as_dict()
            d["compare_total"] = str((r.total * fx[r.currency]).quantize(Decimal("0.01")))
            d["compare_currency"] = compare_in
            out.append(d)
        return {
            "rates": out,
            "excluded": [e.as_dict() for e in excluded],
            "ship_date": request.ship_date.isoformat(),
        }


class RateCardLaneCosts:
    """The split's cost estimate per lane from the published rate cards: the cheapest service's
    price at 1 kg and 5 kg gives a fixed part and a per-kg slope (in USD). Lanes no card serves
    fall back to the lane table. Cached per lane and day."""

    def __init__(self, rates: RateBook, fallback: ShippingCostTable) -> None:
        self.rates = rates
        self.fallback = fallback
        self._cache: dict[tuple[str, str, date], tuple[Decimal, Decimal, str]] = {}

    def estimate(
        self, origin_country: str, destination: str, on: date | None = None
    ) -> tuple[Decimal, Decimal, str]:
        today = on or self.rates.store.clock.now().date()
        key = (origin_country, destination, today)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._estimate(origin_country, destination, today)
        return cached

    def _estimate(self, origin: str, destination: str, on: date) -> tuple[Decimal, Decimal, str]:
        result = self.fallback.estimate(origin, destination)
        try:
            # One service's line through two common weights: mixing services (a 2 kg postal
            # limit, say) would bend the line. The service cheapest at 1 kg among those that
            # carry 5 kg sets the estimate.
            by_weight = [
                {
                    (r["carrier"], r["service"]): Decimal(r["compare_total"])
                    for r in self.rates.quote(
                        QuoteRequest(
                            origin_country=origin,
                            destination_country=destination,
                            parcels=[Parcel(grams)],
                            ship_date=on,
                        )
                    )["rates"]
                }
                for grams in (1000, 5000)
            ]
            both = [k for k in by_weight[0] if k in by_weight[1]]
            if both:
                best = min(both, key=lambda k: by_weight[0][k])
                slope = max(Decimal("0"), (by_weight[1][best] - by_weight[0][best]) / 4)
                fixed = max(by_weight[0][best] - slope, by_weight[0][best] / 2)
                result = (fixed.quantize(Decimal("0.01")), slope.quantize(Decimal("0.01")), "USD")
        except (ValueError, KeyError):
            pass  # no usable card for this lane: the lane table's estimate stands
        return result
