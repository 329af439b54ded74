"""Lanes the split can trust: which warehouses have a carrier service that reaches the
destination and takes the goods, screened line by line before the review decides.

Pure planning over what a `LaneOffers` port answers (domains/transport/rates.py,
RateCardLaneOffers): for a lane, a weight and goods classes, the cheapest active service with
its real quote and card version, or why there is none. A warehouse is a candidate for a line
only when some service takes that line from it; the warehouse's option in the split is priced
on the cheapest service that takes everything it would ship.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from domains.ports import LaneOffer, LanePricer

OK = "ok"
_NONE: frozenset[str] = frozenset()
NO_LANE = "no_carrier_for_lane"
NO_GOODS = "no_carrier_for_goods"


class LaneOffers(Protocol):
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
        """The cheapest active service for the lane, weight, goods and longest item (keeping the channel's
        delivery promise when one can) ({status: ok, carrier,
        service, card_version, quote, fixed_cost, per_kg_cost, ...}), or why none
        ({status: no_carrier_for_lane | no_carrier_for_goods, reason}); None when no carrier
        data is published at all."""
        ...

    def pricer(self, on: date, looked: bool = False) -> LanePricer:
        """`offer` for one day, fixed on the cards published now (one intake batch's): given a
        destination and channel, the lookup of an origin, weight, goods and longest side.
        `looked`: the caller has just read the log for events of `topics` (and called
        `latest()` if there were any), so a service not found needs no look of its own."""
        ...

    @property
    def topics(self) -> list[str]:
        """The event topics that change the offers (a rate card published)."""
        ...

    def latest(self) -> None:
        """Takes in changes another process recorded (asked when the log shows `topics`)."""
        ...

    def warm(self, origins: Iterable[str], goods: Iterable[frozenset[str]], on: date) -> int:
        """Prices the lanes from `origins` ahead of the first orders (a cache warm-up)."""
        ...


Offer = LaneOffer  # (origin, grams, goods) -> offer or why none


class LaneScreen:
    """Per warehouse, the option the split gets; per line, each stocked warehouse's verdict.

    The lines are built when asked for (`lines`): the review records them only when some
    stocked warehouse could not take a line, so most orders never need them."""

    __slots__ = ("_held", "_lines", "_merged", "_goods", "_verdicts", "available", "destination",
                 "excluded", "offers", "refused")  # fmt: skip

    def __init__(
        self,
        destination: str,
        merged: dict[str, int] | None = None,
        goods_of: dict[str, frozenset[str]] | None = None,
        availability: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.destination = destination
        self.available: dict[str, dict[str, int]] = {}  # the candidates
        self.offers: dict[str, dict[str, Any]] = {}  # warehouse -> offer
        self.excluded: list[dict[str, Any]] = []  # warehouses left out, why
        self.refused: set[str] = set()  # lines some stocked warehouse can't ship
        self._merged = merged or {}
        self._goods = goods_of or {}
        self._held = availability or {}
        # warehouse -> each line's verdict, where no one service takes every line it holds
        # (elsewhere the verdict is the service in `offers`)
        self._verdicts: dict[str, dict[str, Any]] = {}
        self._lines: dict[str, dict[str, Any]] | None = None

    @property
    def lines(self) -> dict[str, dict[str, Any]]:
        """sku -> {goods, warehouses: {code: "carrier/service@version" or {status, reason}}},
        in the order's line order and the screened warehouses' order."""
        if self._lines is None:
            verdicts: dict[str, dict[str, Any]] = {}
            for code, held in self._held.items():
                if code in self._verdicts:
                    verdicts[code] = self._verdicts[code]
                elif code in self.offers:
                    ref = self.offers[code].get("ref") or service_ref(self.offers[code])
                    verdicts[code] = dict.fromkeys(held, ref)
            self._lines = {
                sku: {
                    "goods": sorted(self._goods[sku]),
                    "warehouses": {
                        code: v[sku] for code, v in verdicts.items() if sku in self._held[code]
                    },
                }
                for sku in self._merged
            }
        return self._lines


def service_ref(offer: dict[str, Any]) -> str:
    """A service and its card version as events cite it: `carrier/service@version`."""
    return f"{offer['carrier']}/{offer['service']}@{offer['card_version']}"


def _public(offer: dict[str, Any]) -> str | dict[str, Any]:
    """What an event keeps of a verdict: the service and card version it rests on
    (`carrier/service@version`), or why there is none (the quote is in the split's
    candidates)."""
    if offer["status"] == OK:
        return service_ref(offer)
    return {"status": offer["status"], "reason": offer["reason"]}


def _status(verdict: str | dict[str, Any]) -> str:
    return OK if isinstance(verdict, str) else str(verdict["status"])


_MIXES: dict[frozenset[str], frozenset[str]] = {}


def _interned(goods: frozenset[str]) -> frozenset[str]:
    """One object per mix of goods classes, so the cache keys holding it compare at once."""
    if len(_MIXES) > 4096:
        _MIXES.clear()
    return _MIXES.setdefault(goods, goods)


def screen(
    destination: str,
    merged: dict[str, int],
    availability: dict[str, dict[str, int]],
    origin_of: dict[str, str],
    weight_of: dict[str, int],
    goods_of: dict[str, frozenset[str]],
    offer: Offer,
    length_of: dict[str, int] | None = None,
) -> LaneScreen | None:
    """Screens every (line, stocked warehouse) pair and builds each warehouse's option.
    None when no carrier data is published (every stocked warehouse stays a candidate).
    `origin_of`, `weight_of`, `goods_of` and `length_of` (an item's longest side, mm) may hold
    more warehouses and SKUs than the order's (the reference data's own maps)."""
    lengths = length_of or {}
    out = LaneScreen(destination, merged, goods_of, availability)
    available, offers = out.available, out.offers
    n = len(merged)
    every: frozenset[str] = _NONE  # the order's goods classes, all lines together
    longest = total = 0
    for sku, wanted in merged.items():
        goods = goods_of[sku]
        if goods and goods is not every:
            every = goods if not every else _interned(every | goods)
        size = lengths.get(sku, 0)
        if size > longest:
            longest = size
        total += weight_of[sku] * wanted
    # The answers for a shipment of the whole order, by origin (kept by the pricer for the day).
    whole = offer.by_origin(total, every, longest)
    for code, held in availability.items():
        origin = origin_of[code]
        # Most warehouses have one service that takes everything they stock of the order:
        # then that service is each line's verdict too, and no line needs a lookup of its own.
        grams = 0
        for sku, units in held.items():
            wanted = merged[sku]
            grams += weight_of[sku] * (units if units < wanted else wanted)
        if len(held) == n:  # stocks every line (most do): the order's goods and longest item
            best = whole.get(origin) if grams == total else None
            if best is not None:  # a service (`whole` holds only those)
                available[code] = held
                offers[code] = best
                continue
            best = offer(origin, grams, every, longest)
        else:
            goods = _NONE if not every else frozenset().union(*(goods_of[s] for s in held))
            best = offer(origin, grams, goods, max(lengths.get(s, 0) for s in held))
        if best is None:
            return None
        if best["status"] == OK:
            available[code] = held
            offers[code] = best
            continue
        shippable: dict[str, int] = {}
        lines: dict[str, Any] = {}
        out._verdicts[code] = lines
        for sku, units in held.items():
            grams = weight_of[sku] * min(units, merged[sku])
            verdict = offer(origin, grams, goods_of[sku], lengths.get(sku, 0))
            if verdict is None:
                return None
            lines[sku] = _public(verdict)
            if verdict["status"] == OK:
                shippable[sku] = units
            else:
                out.refused.add(sku)
                why = {"status": verdict["status"], "reason": verdict["reason"]}
                out.excluded.append({"warehouse_id": code, "sku": sku, **why})
        if shippable:
            _take_what_one_service_can(out, code, origin, shippable, merged, weight_of,
                                       goods_of, lengths, offer)  # fmt: skip
    return out


def _take_what_one_service_can(
    out: LaneScreen,
    code: str,
    origin: str,
    shippable: dict[str, int],
    merged: dict[str, int],
    weight_of: dict[str, int],
    goods_of: dict[str, frozenset[str]],
    lengths: dict[str, int],
    offer: Offer,
) -> None:
    """One service must take everything a warehouse ships: when none takes every line it
    could ship alone, the lines with fewest goods classes go first and a line joins only if a
    service still takes the lot (the others are left to other warehouses)."""
    grams = sum(weight_of[s] * min(q, merged[s]) for s, q in shippable.items())
    goods = frozenset().union(*(goods_of[s] for s in shippable))
    best = offer(origin, grams, goods, max(lengths.get(s, 0) for s in shippable))
    taken = shippable
    if best is None or best["status"] != OK:
        taken, best = {}, None
        for sku in sorted(shippable, key=lambda s: (len(goods_of[s]), s)):
            trial = {**taken, sku: shippable[sku]}
            grams = sum(weight_of[s] * min(q, merged[s]) for s, q in trial.items())
            goods = frozenset().union(*(goods_of[s] for s in trial))
            verdict = offer(origin, grams, goods, max(lengths.get(s, 0) for s in trial))
            if verdict is not None and verdict["status"] == OK:
                taken, best = trial, verdict
                continue
            reason = verdict["reason"] if verdict else "no carrier data"
            out.refused.add(sku)
            out.excluded.append(
                {
                    "warehouse_id": code,
                    "sku": sku,
                    "status": NO_GOODS,
                    "reason": "no single service takes it with the warehouse's other "
                    f"lines: {reason}",
                }
            )
    if best is not None:
        out.available[code] = taken
        out.offers[code] = best


def line_holds(lanes: LaneScreen) -> list[dict[str, Any]]:
    """Lines that some warehouse stocks but no stocked warehouse can ship to the destination,
    with the code: no_carrier_for_lane when no service serves any of their lanes, else
    no_carrier_for_goods."""
    if not lanes.refused:
        return []
    holds = []
    lines = lanes.lines
    for sku in sorted(lanes.refused, key=list(lines).index):
        line = lines[sku]
        verdicts = line["warehouses"]
        if not verdicts or any(_status(v) == OK for v in verdicts.values()):
            continue
        code = NO_LANE if all(_status(v) == NO_LANE for v in verdicts.values()) else NO_GOODS
        holds.append({"sku": sku, "code": code, "goods": line["goods"], "warehouses": verdicts})
    return holds
