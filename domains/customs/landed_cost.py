"""Landed cost: what goods cost delivered (goods, freight, insurance, duty, VAT/GST), itemised
in the buyer's currency.

Pure: standard library only. The duty and VAT come from `compute_duties`, in the destination
currency; every item is converted on its own and the total is their sum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domains.customs.borders import IN_TERRITORY_SCHEMES, assess_consignment
from domains.customs.duties import compute_duties
from domains.customs.results import DutyResult
from domains.customs.tables import ZERO, MarketRules, Money, TariffTables, round_half_up
from domains.customs.valuation import CustomsLine, fx_rate


@dataclass(frozen=True, slots=True)
class LandedCostItem:
    item: str  # goods | freight | insurance | duty | vat
    label: str
    amount: Decimal

    def as_dict(self) -> dict[str, str]:
        return {"item": self.item, "label": self.label, "amount": str(self.amount)}


@dataclass(frozen=True, kw_only=True)
class LandedCost:
    """What the goods cost delivered, itemised in `currency`; the items add up to `total`."""

    currency: str
    items: tuple[LandedCostItem, ...]
    total: Decimal
    goods_value: Decimal
    freight: Decimal
    insurance: Decimal
    duty: Decimal
    vat: Decimal
    vat_name: str
    incoterm: str
    payer: str
    duties: DutyResult  # the calculation, in the destination currency, with its inputs
    customs: dict[str, Any] | None = None  # the border decision (borders.BorderDecision)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customs": self.customs,
            "currency": self.currency,
            "items": [i.as_dict() for i in self.items],
            "total": str(self.total),
            "goods_value": str(self.goods_value),
            "freight": str(self.freight),
            "insurance": str(self.insurance),
            "duty": str(self.duty),
            "vat": str(self.vat),
            "vat_name": self.vat_name,
            "incoterm": self.incoterm,
            "payer": self.payer,
            "duties": self.duties.as_dict(),
        }


def landed_cost(
    goods: Sequence[CustomsLine],
    freight: Money,
    destination: str,
    incoterm: str,
    currency: str,
    *,
    rules: TariffTables | MarketRules,
    fx: Mapping[str, Decimal],
    on: date,
    insurance: Money | None = None,
    b2c: bool = True,
    ship_from: str | None = None,
    registrations: Mapping[str, str | None] | None = None,
    marketplace: str | None = None,
) -> LandedCost:
    """Goods value, freight, insurance, duty and VAT/GST (at the border and at sale), and their
    total, in `currency`.

    `fx` is the same mapping as for `compute_duties` (units of the destination currency) and
    must also hold `currency`. Goods and freight are converted from their own currency straight
    into `currency`; duty and VAT from the destination currency; each item is rounded on its
    own and the total is their sum.

    With the whole `TariffTables` the duty and VAT come from `borders.assess_consignment` (the
    same rule as the declaration): from `ship_from` inside the destination's customs territory
    nothing is charged at a border and the VAT is in the price. With one market's rules only,
    the consignment is taken to be an import."""
    customs: dict[str, Any] | None = None
    if isinstance(rules, TariffTables):
        assessed = assess_consignment(
            goods,
            destination,
            incoterm,
            rules,
            fx,
            on,
            origin=ship_from,
            freight=freight,
            insurance=insurance,
            b2c=b2c,
            registrations=registrations,
            marketplace=marketplace,
        )
        duties, customs = assessed.duties, assessed.decision.as_dict()
    else:
        duties = compute_duties(
            goods,
            destination,
            incoterm,
            rules,
            fx,
            on,
            freight=freight,
            insurance=insurance,
            b2c=b2c,
            ship_from=ship_from,
            registrations=registrations,
        )
    convert = _into_currency(fx, duties.currency, currency, _exponent(rules, currency))
    items = _items(goods, freight, insurance, duties, convert)
    amount = {i.item: i.amount for i in items}
    return LandedCost(
        currency=currency,
        items=items,
        total=sum((i.amount for i in items), ZERO),
        goods_value=amount["goods"],
        freight=amount["freight"],
        insurance=amount.get("insurance", ZERO),
        duty=amount["duty"],
        vat=amount["vat"],
        vat_name=duties.vat_name,
        incoterm=duties.incoterm,
        payer=duties.payer,
        duties=duties,
        customs=customs,
    )


def _items(
    goods: Sequence[CustomsLine],
    freight: Money,
    insurance: Money | None,
    duties: DutyResult,
    convert: Callable[[Decimal, str], Decimal],
) -> tuple[LandedCostItem, ...]:
    """Goods, freight, insurance (when insured), duty and VAT, each converted and rounded on its
    own: the goods and the freight from their own currency, duty and VAT from the destination
    currency."""
    items = [
        LandedCostItem("goods", "Goods", sum((convert(g.value, g.currency) for g in goods), ZERO)),
        LandedCostItem("freight", "Freight", convert(freight.amount, freight.currency)),
    ]
    if insurance is not None:
        items.append(
            LandedCostItem("insurance", "Insurance", convert(insurance.amount, insurance.currency))
        )
    items.append(LandedCostItem("duty", "Import duty", convert(duties.duty, duties.currency)))
    items.append(LandedCostItem("vat", vat_label(duties), convert(duties.vat, duties.currency)))
    return tuple(items)


def _exponent(rules: TariffTables | MarketRules, currency: str) -> int:
    """The minor-unit digits of `currency` (2 when the rules do not say)."""
    if isinstance(rules, TariffTables):
        return rules.exponent(currency)
    return rules.money_exponent if currency == rules.currency else 2


def _into_currency(
    fx: Mapping[str, Decimal], destination_currency: str, currency: str, exponent: int
) -> Callable[[Decimal, str], Decimal]:
    """Converts an amount into the landed-cost `currency` through the destination currency (the
    rates are units of it), rounded to `currency`'s minor unit."""
    target = fx_rate(fx, currency, destination_currency)

    def convert(amount: Decimal, from_currency: str) -> Decimal:
        rate = fx_rate(fx, from_currency, destination_currency)
        return round_half_up(amount * rate / target, exponent)

    return convert


def vat_label(duties: DutyResult) -> str:
    """'VAT 19%, at import and at sale (IOSS)': the tax's name, rate and where it is collected;
    'VAT 19%, in the price (EU_OSS)' for a sale that crosses no customs border."""
    if duties.scheme in IN_TERRITORY_SCHEMES:
        rate = f" {_percent(duties.vat_rate)}" if duties.vat_rate else ""
        return f"{duties.vat_name}{rate}, in the price ({duties.scheme}): no import"
    where = []
    if duties.import_vat:
        where.append("at import")
    if duties.vat_at_sale:
        where.append(f"at sale ({duties.scheme})")
    label = duties.vat_name + (f" {_percent(duties.vat_rate)}" if duties.vat_rate else "")
    return label + (f", {' and '.join(where)}" if where else "")


def _percent(rate: Decimal) -> str:
    """0.19 -> '19%', 0.075 -> '7.5%': figures in labels read like a person wrote them."""
    return format((rate * 100).normalize(), "f") + "%"
