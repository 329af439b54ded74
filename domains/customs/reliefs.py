"""Step 2 of the duty calculation: which low-value reliefs apply to a consignment.

Pure: standard library only. A relief is tested on the consignment's value on the relief's basis
(the goods alone, or goods + freight + insurance) against its threshold in the destination
currency, then on who and what it is for; one that applies covers every line except those under
its excluded HS prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domains.customs.tables import MarketRules, Relief, round_half_up
from domains.customs.valuation import DestinationMoney, Valuation


@dataclass(frozen=True, slots=True)
class ReliefCheck:
    """One relief tested on one consignment. `why_not` is empty when it applies."""

    relief: Relief
    value: Decimal  # the consignment on the relief's basis, destination currency
    limit: Decimal  # the threshold, destination currency (unrounded)
    why_not: str
    registration_missing: bool  # it qualified, but the seller lacks the number it depends on

    @property
    def applies(self) -> bool:
        return not self.why_not


def check_relief(
    relief: Relief,
    value: Decimal,
    limit: Decimal,
    *,
    b2c: bool,
    ship_from: str | None,
    registrations: Mapping[str, str],
) -> ReliefCheck:
    """Whether `relief` applies to a consignment worth `value` (on the relief's basis) when its
    threshold is `limit`, both in the destination currency.

    A relief that needs a registration the seller does not have applies anyway when the law
    imposes it (UK point-of-sale VAT); an optional one (IOSS) then does not apply."""
    within = value <= limit if relief.inclusive else value < limit
    missing = False
    reason = ""
    if not within:
        reason = "over the threshold"
    elif relief.b2c_only and not b2c:
        reason = "B2C consignments only"
    elif relief.ship_from and ship_from not in relief.ship_from:
        reason = f"only for consignments shipped from {', '.join(sorted(relief.ship_from))}"
    elif relief.registration and relief.registration not in registrations:
        missing = True
        if relief.registration_optional:
            reason = f"the seller has no {relief.registration}"
    return ReliefCheck(relief, value, limit, reason, missing)


@dataclass(frozen=True, slots=True)
class ConsignmentReliefs:
    applied: list[Relief]  # in the market's order
    missed: list[Relief]  # at-sale schemes the seller is not registered for
    inputs: list[dict[str, Any]]  # every relief tested, with its figures
    notes: list[str]


def reliefs_for_consignment(
    market: MarketRules,
    valuation: Valuation,
    money: DestinationMoney,
    *,
    b2c: bool,
    ship_from: str | None,
    registrations: Mapping[str, str],
) -> ConsignmentReliefs:
    """Every relief of the market tested on the consignment, in the market's order."""
    out = ConsignmentReliefs(applied=[], missed=[], inputs=[], notes=[])
    for relief in market.reliefs:
        value = valuation.goods_value if relief.value_basis == "goods" else valuation.cif_value
        limit = relief.threshold * money.rate_of(relief.currency)
        check = check_relief(
            relief, value, limit, b2c=b2c, ship_from=ship_from, registrations=registrations
        )
        if check.registration_missing and relief.registration_optional and relief.tax_at_sale:
            out.missed.append(relief)
        elif check.registration_missing and not relief.registration_optional and b2c:
            # A VAT-registered business buyer reverse-charges the tax instead.
            out.notes.append(
                f"{relief.code} applies by law but the {relief.registration} is missing: "
                "the seller must still account for the tax at the point of sale"
            )
        if check.applies:
            out.applied.append(relief)
        out.inputs.append(_relief_inputs(check, money.exponent))
    return out


def _relief_inputs(check: ReliefCheck, exponent: int) -> dict[str, Any]:
    relief = check.relief
    return {
        "code": relief.code,
        "threshold": str(relief.threshold),
        "currency": relief.currency,
        "inclusive": relief.inclusive,
        "threshold_in_destination_currency": str(round_half_up(check.limit, exponent)),
        "value_basis": relief.value_basis,
        "value": str(check.value),
        "applies": check.applies,
        "why_not": check.why_not or None,
    }


def covering_relief(applied: Sequence[Relief], digits: str, effect: str) -> Relief | None:
    """The first applied relief with `effect` ("relieves_duty", "tax_at_sale",
    "relieves_border_tax") that covers a line with these HS digits."""
    for relief in applied:
        if getattr(relief, effect) and relief.covers(digits):
            return relief
    return None
