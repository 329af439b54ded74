"""Step 4 of the duty calculation: the VAT/GST on each line, at the border or at sale.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domains.customs.reliefs import covering_relief
from domains.customs.results import DutyLine, LineDuty
from domains.customs.tables import ZERO, MarketRules, Relief, round_half_up
from domains.customs.valuation import CustomsLine, Valuation


@dataclass(frozen=True, slots=True)
class LineTax:
    treatment: str  # border | at_sale | relieved | none
    base: Decimal  # what the line adds to the border or the at-sale VAT base


def line_tax(
    market: MarketRules,
    value: Decimal,
    freight_share: Decimal,
    duty: Decimal,
    *,
    at_sale: Relief | None,
    border_relief: Relief | None,
) -> LineTax:
    """How one line is taxed, given the reliefs that cover it.

    - "none": the market has no import tax (US);
    - "at_sale": the seller charges the VAT in the price (IOSS, UK point-of-sale VAT, ...), on
      the goods, plus delivery where the regime taxes it; nothing at the border;
    - "relieved": a relief waives the import tax;
    - "border": import VAT on the line's value at the market's VAT basis, plus its duty (duty is
      part of what the importer pays for the goods, so it is taxed too)."""
    nothing = round_half_up(ZERO, market.money_exponent)
    if market.vat_basis is None:
        return LineTax("none", nothing)
    if at_sale is not None:
        with_delivery = at_sale.tax_at_sale_base == "goods_and_delivery"
        return LineTax("at_sale", value + (freight_share if with_delivery else ZERO))
    if border_relief is not None:
        return LineTax("relieved", nothing)
    return LineTax("border", value + (freight_share if market.vat_basis == "CIF" else ZERO) + duty)


@dataclass(frozen=True, slots=True)
class LineTaxes:
    lines: tuple[DutyLine, ...]
    border_base: Decimal  # import VAT base: the lines taxed at the border
    sale_base: Decimal  # VAT-at-sale base: the lines under an at-sale regime
    sale_rule: Relief | None  # the at-sale regime of the first line under one


def tax_per_line(
    market: MarketRules,
    lines: Sequence[CustomsLine],
    valuation: Valuation,
    duties: Sequence[LineDuty],
    applied: Sequence[Relief],
) -> LineTaxes:
    border_base = sale_base = round_half_up(ZERO, market.money_exponent)
    sale_rule: Relief | None = None
    results: list[DutyLine] = []
    for i, ln in enumerate(lines):
        d, digits = duties[i], valuation.digits[i]
        at_sale = covering_relief(applied, digits, "tax_at_sale")
        tax = line_tax(
            market,
            valuation.values[i],
            valuation.shares[i],
            d.duty,
            at_sale=at_sale,
            border_relief=covering_relief(applied, digits, "relieves_border_tax"),
        )
        if tax.treatment == "at_sale":
            sale_rule = sale_rule or at_sale
            sale_base += tax.base
        elif tax.treatment == "border":
            border_base += tax.base
        results.append(
            DutyLine(
                index=i,
                hs_code=ln.hs_code,
                quantity=ln.quantity,
                value=valuation.values[i],
                freight_share=valuation.shares[i],
                dutiable_value=d.dutiable,
                duty_rate=d.rate,
                rate_source=d.source,
                duty=d.duty,
                duty_treatment=d.treatment,
                tax_treatment=tax.treatment,
                vat_base=tax.base,
            )
        )
    return LineTaxes(tuple(results), border_base, sale_base, sale_rule)


def vat_notes(
    market: MarketRules,
    missed: Sequence[Relief],
    border_base: Decimal,
    sale_base: Decimal,
    incoterm: str,
) -> list[str]:
    """What a reader of the result must know about how the VAT/GST was (not) charged."""
    notes: list[str] = []
    for relief in missed:
        if border_base:
            notes.append(
                f"{relief.code} not used: no {relief.registration}, so {market.vat_name} is "
                f"charged at the border as import {market.vat_name}"
            )
        else:
            notes.append(
                f"{relief.code} not used: no {relief.registration}; the goods are under the "
                f"import relief, so no {market.vat_name} is charged"
            )
    if market.vat_basis is None:
        notes.append(f"no import {market.vat_name} at the border; {market.vat_name} not handled")
    if sale_base and incoterm == "DAP":
        notes.append(
            f"{market.vat_name} at sale is collected by the seller in the price whatever the "
            "Incoterm; DAP only moves the border amounts to the buyer"
        )
    return notes
