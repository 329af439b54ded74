"""Transport's price list: publishing rate cards, quoting a request against every card, and
the per-lane cost estimate the order split uses (from the cards, else a lane table).

Customs (freight in the customs value) and orders (the split's lane costs) read prices here;
the carrier choice and labels are in domains/transport/application.py.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, cast

from domains.common import InvalidTransition
from domains.log_cache import LogCached
from domains.ports import FxRates, LaneOffer, LanePricer, ShippingCostTable
from domains.store import Store
from domains.transport.cards import plain
from domains.transport.channels import CHANNEL_SETTINGS
from domains.transport.model import RateCardStream
from domains.transport.rating import (
    CENT,
    Parcel,
    QuoteRequest,
    RateCard,
    RateDetail,
    quote_all,
    quote_card,
    select_cards,
)

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

    def held_cards(self) -> list[RateCard]:
        """`rate_cards()` with no look at the log: for a caller that has just read the log for
        card events itself (an intake batch's one read)."""
        return self._cards.held()

    def latest_cards(self) -> list[RateCard]:
        """`rate_cards()` as of everything recorded by now, by any process (one look at the
        log): asked before answering that no card serves a request."""
        return self._cards.latest()

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
        if not rates and self.latest_cards() is not cards:  # a card published a moment ago
            return self.quote(request, compare_in)
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


# Weight bands the lane offers are quoted (and cached) at: a shipment is priced at the first
# band that covers it; above the top band, per started 10 kg. Parcels of at most 20 kg, as the
# packing bench would cut a heavy shipment.
WEIGHT_BANDS_G = (500, 1000, 2000, 5000, 10000, 20000, 30000)
PARCEL_MAX_G = 20000
# Warmed ahead of the first orders: the bands and the first heavy ones (a few cartons).
WARM_BANDS_G = (*WEIGHT_BANDS_G, 40000, 50000, 60000)


_MISSING = object()
_PROMISE_DAYS = {channel: s["promise_days"] for channel, s in CHANNEL_SETTINGS.items()}


def weight_band(grams: int) -> int:
    for band in WEIGHT_BANDS_G:
        if grams <= band:
            return band
    return -(-grams // 10000) * 10000


def band_parcels(band_g: int) -> list[Parcel]:
    parcels, left = [], band_g
    while left > 0:
        parcels.append(Parcel(min(left, PARCEL_MAX_G)))
        left -= PARCEL_MAX_G
    return parcels


def _fitting(quoted: Any, exceeded: list[int], lane: tuple[Any, ...]) -> Any:
    """A lane's quotes without the services whose longest-side limit (mm) is among `exceeded`
    (the shipment's longest item is over it), or why none is left."""
    if quoted is None or isinstance(quoted, dict):
        return quoted
    serving, rates, fx = quoted
    too_long = {k: c for k, c in serving.items() if c._max_length_mm in exceeded}
    left = [r for r in rates if (r.carrier, r.service) not in too_long]
    if left:
        return (serving, left, fx)
    origin, destination, band, goods, _ = lane
    return {
        "status": "no_carrier_for_goods",
        "origin": origin,
        "destination": destination,
        "weight_band_g": band,
        "goods": sorted(goods),
        "reason": "; ".join(
            f"{c.carrier}/{c.service} takes items up to {plain(c.max_length_cm or Decimal(0))} cm"
            for c in too_long.values()
        ),
    }


class RateCardLaneOffers:
    """Which carrier service a warehouse would ship a shipment with, for the order split and
    the review (domains/orders/lanes.py): the cheapest active service from the origin country
    to the destination that takes the goods classes at the shipment's weight band, with its
    real quote (in USD) and card version; or why there is none (`no_carrier_for_lane`: no
    active service serves the lane; `no_carrier_for_goods`: services do, but each refuses the
    goods or the weight). Cached per lane, weight band, goods and day until a card is
    published. None when no rate card is published at all (the lane table alone stands).

    Services whose slowest transit misses the channel's delivery promise (channels.py) are
    passed over while one that keeps it exists (a cheap 7-14 day post from abroad does not
    beat a 2-day domestic service for a 12-day promise); else the cheapest stands, marked.
    Country level: without the buyer's postcode a card prices its dearest zone for the
    country, so the estimate errs high, never low."""

    def __init__(self, rates: RateBook) -> None:
        self.rates = rates
        self._cards: list[RateCard] | None = None
        # Quotes per lane, band, goods and day (shared by every channel); the offer per
        # channel on top of them; the slope quote per service, lane, goods and weight. A new
        # card replaces the dicts (a pricer already handed out keeps the ones it began with).
        self._quoted: dict[tuple[str, str, int, frozenset[str], date], Any] = {}
        self._length_limits: list[int] = []  # the cards' longest-side limits, ascending
        self._cache: dict[
            tuple[str, str, int, frozenset[str], date, int, int], dict[str, Any] | None
        ] = {}
        self._slopes: dict[tuple[Any, ...], Any] = {}
        # In front of `_cache`, per destination, promise and day: for a band, goods and size
        # class, the services found by origin, and the other answers by origin (one lookup
        # per order finds every warehouse's service).
        self._front: dict[tuple[str, int, date], dict[tuple[Any, ...], tuple[dict, dict]]] = {}

    def _cards_now(self, looked: bool = False) -> list[RateCard]:
        cards = self.rates.held_cards() if looked else self.rates.rate_cards()
        if cards is not self._cards:  # a card was published: every cached offer is stale
            self._cards, self._cache, self._quoted, self._slopes = cards, {}, {}, {}
            self._front = {}
            self._length_limits = sorted(
                {c._max_length_mm for c in cards if c._max_length_mm is not None}
            )
        return cards

    def offer(
        self,
        origin: str,
        destination: str,
        grams: int,
        goods: frozenset[str],
        on: date,
        channel: str = "web",
        longest_mm: int = 0,
    ) -> dict[str, Any] | None:
        return self.pricer(on)(destination, channel)(origin, grams, goods, longest_mm)

    @property
    def topics(self) -> list[str]:
        """The events that change the offers (a card published, by any process)."""
        return RATE_CARD_TOPICS

    def latest(self) -> None:
        """Takes in cards another process published (one look at the log, a reload if any)."""
        self.rates.latest_cards()

    def pricer(self, on: date, looked: bool = False) -> LanePricer:
        """`offer` for one day on the cards published now: an intake batch takes one, so its
        orders are all priced on the same cards, and each lookup is one dict read once the
        lane, band, goods and channel were priced (by any batch of the day). `looked`: the
        caller has just read the log for card events (an intake batch's one read), so a
        service not found is not looked for again on cards published since."""
        cards = self._cards_now(looked)
        cache, quoted, fronts = self._cache, self._quoted, self._front
        bands = WEIGHT_BANDS_G
        limits = self._length_limits
        shortest = limits[0] if limits else 1 << 62
        newer: list[LanePricer] = []  # the pricer on cards published since, if any

        def missed(
            destination: str, channel: str, offer: tuple[Any, ...], found: dict[str, Any] | None
        ) -> dict[str, Any] | None:
            """No service on the cards held: before the order is held for it, one look per
            pricer at the log (another process may have published a card a moment ago)."""
            nonlocal looked
            if not looked:
                looked = True
                if self.rates.latest_cards() is not cards:
                    newer.append(self.pricer(on))
            return newer[0](destination, channel)(*offer) if newer else found

        def to(destination: str, channel: str) -> LaneOffer:
            promise = _PROMISE_DAYS.get(channel, _PROMISE_DAYS["web"])
            front = fronts.get((destination, promise, on))
            if front is None:
                front = fronts[(destination, promise, on)] = {}

            def answers(grams: int, goods: frozenset[str], longest_mm: int) -> dict[str, Any]:
                """The services found by origin at the grams' band, for the goods and the
                number of the cards' length limits the longest item exceeds (0 nearly
                always)."""
                band = bands[bisect_left(bands, grams)] if grams <= bands[-1] else (
                    -(-grams // 10000) * 10000)  # fmt: skip
                size = 0 if longest_mm <= shortest else bisect_left(limits, longest_mm)
                found = front.get((band, goods, size))
                if found is None:
                    found = front[(band, goods, size)] = ({}, {})
                return found[0]

            def price(
                origin: str, grams: int, goods: frozenset[str], longest_mm: int = 0
            ) -> dict[str, Any] | None:
                band = bands[bisect_left(bands, grams)] if grams <= bands[-1] else (
                    -(-grams // 10000) * 10000)  # fmt: skip
                size = 0 if longest_mm <= shortest else bisect_left(limits, longest_mm)
                front_key = (band, goods, size)
                ok_by_origin, other_by_origin = front.get(front_key) or front.setdefault(
                    front_key, ({}, {})
                )
                found = ok_by_origin.get(origin)
                if found is not None:
                    return found  # type: ignore[no-any-return]
                found = other_by_origin.get(origin, _MISSING)
                if found is _MISSING:
                    key = (origin, destination, band, goods, on, promise, size)
                    found = cache.get(key, _MISSING)
                    if found is _MISSING and size:
                        # An item too long for some cards: the service chosen without the
                        # limits stands when its own card takes the item (dropping dearer
                        # services changes nothing), so only the others are chosen again.
                        base = cache.get((*key[:-1], 0))
                        if isinstance(base, dict) and base["status"] == "ok":
                            if base["max_length_mm"] not in limits[:size]:
                                found = cache[key] = base
                    if found is _MISSING:
                        lane = (origin, destination, band, goods, on)
                        if lane not in quoted:
                            quoted[lane] = self._quote(cards, *lane)
                        rates = quoted[lane]
                        if size:
                            rates = _fitting(rates, limits[:size], lane)
                        found = cache[key] = self._choose(rates, *lane, promise)
                    if found is not None and found["status"] == "ok":
                        ok_by_origin[origin] = found
                        return found  # type: ignore[no-any-return]
                    other_by_origin[origin] = found
                # No service on the cards held: looked for again on cards published since
                # (once per pricer).
                return missed(destination, channel, (origin, grams, goods, longest_mm), found)

            price.by_origin = answers  # type: ignore[attr-defined]
            return cast(LaneOffer, price)

        return to

    def warm(self, origins: Iterable[str], goods: Iterable[frozenset[str]], on: date) -> int:
        """Prices every lane the cards serve from `origins`, at every weight band, for each
        goods set and every union of them (an order mixing goods), and chooses the service for
        every channel's delivery promise, so the first orders of the day find their offers
        cached. Returns how many lanes x bands x goods it quoted."""
        cards = self._cards_now()
        chosen, _ = select_cards(cards, on)
        wanted = set(origins)
        lanes = sorted({lane for c in chosen for lane in c._lanes if lane[0] in wanted})
        mixes: set[frozenset[str]] = set()
        for g in goods:
            mixes |= {g} | {g | m for m in mixes}
        promises = sorted({s["promise_days"] for s in CHANNEL_SETTINGS.values()})
        n = 0
        for origin, destination in lanes:
            for band in WARM_BANDS_G:
                for g in sorted(mixes, key=sorted):
                    key = (origin, destination, band, g, on)
                    if key not in self._quoted:
                        self._quoted[key] = self._quote(cards, *key)
                        n += 1
                    for days in promises:
                        if (*key, days, 0) not in self._cache:
                            self._cache[(*key, days, 0)] = self._choose(
                                self._quoted[key], *key, days)  # fmt: skip
                        # and in the pricers' front, where an order's lookups go first
                        found = self._cache[(*key, days, 0)]
                        front = self._front.setdefault((destination, days, on), {})
                        ok, other = front.setdefault((band, g, 0), ({}, {}))
                        if found is not None and found["status"] == "ok":
                            ok[origin] = found
                        else:
                            other[origin] = found
        return n

    def _quote(
        self,
        cards: list[RateCard],
        origin: str,
        destination: str,
        band: int,
        goods: frozenset[str],
        on: date,
    ) -> Any:
        """Every service's rate for the lane at the band (cheapest first, with the cards and
        fx they came from), or the answer why there is none, or None without cards."""
        if not cards:
            return None
        chosen, _ = select_cards(cards, on)
        serving = {c.key: c for c in chosen if (origin, destination) in c._lanes}
        lane = {"origin": origin, "destination": destination, "weight_band_g": band}
        if not serving:
            return {
                "status": "no_carrier_for_lane",
                **lane,
                "reason": f"no active carrier service from {origin} to {destination}",
            }
        request = QuoteRequest(
            origin_country=origin,
            destination_country=destination,
            parcels=band_parcels(band),
            ship_date=on,
            goods_types=goods,
        )
        fx = {c: self.rates.fx.rate(c, "USD", on)[0] for c in {c.currency for c in chosen}}
        rates, excluded = quote_all(serving.values(), request, fx)
        if not rates:
            return {
                "status": "no_carrier_for_goods",
                **lane,
                "goods": sorted(goods),
                "reason": "; ".join(f"{e.carrier}/{e.service} {e.reason}" for e in excluded),
            }
        return (serving, rates, fx)

    def _choose(
        self,
        quoted: Any,
        origin: str,
        destination: str,
        band: int,
        goods: frozenset[str],
        on: date,
        promise_days: int,
    ) -> dict[str, Any] | None:
        if quoted is None or isinstance(quoted, dict):
            return quoted  # type: ignore[no-any-return]
        serving, rates, fx = quoted
        lane = {"origin": origin, "destination": destination, "weight_band_g": band}
        in_time = [r for r in rates if r.transit_days_max <= promise_days]
        best = (in_time or rates)[0]
        card = serving[(best.carrier, best.service)]
        total = best.total * fx[best.currency]
        # The same service at a second weight gives the slope; the line passes through the
        # real quote at the band, so a shipment of the band's weight is estimated exactly.
        other_g = 500 if band > 500 else 1000
        slope_key = (id(card), origin, destination, goods, on, other_g)
        if slope_key not in self._slopes:
            self._slopes[slope_key] = quote_card(
                card,
                QuoteRequest(
                    origin_country=origin,
                    destination_country=destination,
                    parcels=band_parcels(other_g),
                    ship_date=on,
                    goods_types=goods,
                ),
            )
        other = self._slopes[slope_key]
        slope = Decimal("0")
        if isinstance(other, RateDetail):
            other_total = other.total * fx[other.currency]
            slope = max(Decimal("0"), (total - other_total) * 1000 / (band - other_g))
        fixed = total - slope * band / 1000
        if fixed < 0:
            fixed, slope = Decimal("0"), total * 1000 / band
        return {
            "status": "ok",
            **lane,
            "ref": f"{best.carrier}/{best.service}@{best.card_version}",
            "carrier": best.carrier,
            "service": best.service,
            "card_version": best.card_version,
            "sample": best.sample,
            "quote": str(total.quantize(CENT)),
            "transit_days_max": best.transit_days_max,
            "max_length_mm": card._max_length_mm,  # the longest side the card takes
            "promise_days": promise_days,
            "meets_promise": bool(in_time),
            "fixed_cost": fixed.quantize(CENT),
            "per_kg_cost": slope.quantize(CENT),
            "currency": "USD",
        }
