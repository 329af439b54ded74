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
from dataclasses import dataclass, field
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

    def pricer(self, on: date) -> LanePricer:
        """`offer` for one day, fixed on the cards published now (one intake batch's): given a
        destination and channel, the lookup of an origin, weight, goods and longest side."""
        ...

    def warm(self, origins: Iterable[str], goods: Iterable[frozenset[str]], on: date) -> int:
        """Prices the lanes from `origins` ahead of the first orders (a cache warm-up)."""
        ...


Offer = LaneOffer  # (origin, grams, goods) -> offer or why none


@dataclass
class LaneScreen:
    """Per line, each stocked warehouse's verdict; per warehouse, the option the split gets."""

    destination: str
    # sku -> {goods, warehouses: {code: "carrier/service@version" or {status, reason}}}
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    available: dict[str, dict[str, int]] = field(default_factory=dict)  # the candidates
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)  # warehouse -> offer
    excluded: list[dict[str, Any]] = field(default_factory=list)  # warehouses left out, why
    refused: set[str] = field(default_factory=set)  # lines some stocked warehouse can't ship


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
    longest = max((lengths.get(sku, 0) for sku in merged), default=0)
    out = LaneScreen(destination)
    verdicts: dict[str, dict[str, Any]] = {}
    for sku in merged:
        verdicts[sku] = {}
        out.lines[sku] = {"goods": sorted(goods_of[sku]), "warehouses": verdicts[sku]}
    plain = not any(goods_of[sku] for sku in merged)  # no goods a carrier could refuse
    for code, held in availability.items():
        origin = origin_of[code]
        # Most warehouses have one service that takes everything they stock of the order:
        # then that service is each line's verdict too, and no line needs a lookup of its own.
        grams = 0
        for sku, units in held.items():
            grams += weight_of[sku] * (units if units < merged[sku] else merged[sku])
        goods = _NONE if plain else frozenset().union(*(goods_of[s] for s in held))
        size = longest if len(held) == len(merged) else max(lengths.get(s, 0) for s in held)
        best = offer(origin, grams, goods, size)
        if best is None:
            return None
        if best["status"] == OK:
            ref = best.get("ref") or service_ref(best)
            for sku in held:
                verdicts[sku][code] = ref
            out.available[code] = held
            out.offers[code] = best
            continue
        shippable: dict[str, int] = {}
        for sku, units in held.items():
            grams = weight_of[sku] * min(units, merged[sku])
            verdict = offer(origin, grams, goods_of[sku], lengths.get(sku, 0))
            if verdict is None:
                return None
            out.lines[sku]["warehouses"][code] = _public(verdict)
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
    holds = []
    for sku in sorted(lanes.refused, key=list(lanes.lines).index):
        line = lanes.lines[sku]
        verdicts = line["warehouses"]
        if not verdicts or any(_status(v) == OK for v in verdicts.values()):
            continue
        code = NO_LANE if all(_status(v) == NO_LANE for v in verdicts.values()) else NO_GOODS
        holds.append({"sku": sku, "code": code, "goods": line["goods"], "warehouses": verdicts})
    return holds
