"""Duty and import VAT/GST on one consignment: `compute_duties`, step by step.

Pure: standard library only. The steps (see domains/customs/tariff.py for the whole rule set):
value the consignment (domains.customs.valuation), test the low-value reliefs
(domains.customs.reliefs), charge duty per line (here), tax per line (domains.customs.vat),
then totals, the scheme reported and the notes (here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domains.customs.reliefs import ConsignmentReliefs, covering_relief, reliefs_for_consignment
from domains.customs.results import DutyResult, LineDuty
from domains.customs.tables import (
    SAMPLE_NOTE,
    ZERO,
    MarketRules,
    Money,
    Relief,
    TariffTables,
    market_rules_for,
    round_half_up,
)
from domains.customs.valuation import CustomsLine, DestinationMoney, Valuation, value_consignment
from domains.customs.vat import LineTaxes, tax_per_line, vat_notes

PAYERS = {"DDP": "seller", "DAP": "buyer"}


# --- step 3: duty per line ----------------------------------------------------------------


def line_duty(
    market: MarketRules,
    hs_code: str,
    dutiable: Decimal,
    waiver: Relief | None,
    money: DestinationMoney,
    *,
    subheading_charged: bool,
) -> LineDuty:
    """The duty on one line worth `dutiable` (at the market's duty basis).

    Without a covering relief: the market's rate for the longest matching HS prefix. A relief
    either waives the duty or replaces it with a flat amount per distinct 6-digit subheading,
    charged on the first line of each subheading (`subheading_charged`: an earlier line has
    paid it)."""
    exp = market.money_exponent
    if waiver is None:
        rate, source = market.duty_rate_for(hs_code)
        return LineDuty(dutiable, rate, source, round_half_up(dutiable * rate, exp), "ad_valorem")
    if waiver.flat_duty_per_subheading is None:
        return LineDuty(dutiable, None, waiver.code, round_half_up(ZERO, exp), "relieved")
    if subheading_charged:
        return LineDuty(dutiable, None, waiver.code, round_half_up(ZERO, exp), "flat_counted")
    flat = money.convert(waiver.flat_duty_per_subheading, waiver.currency)
    return LineDuty(dutiable, None, waiver.code, flat, "flat_per_subheading")


def duty_per_line(
    market: MarketRules,
    lines: Sequence[CustomsLine],
    valuation: Valuation,
    applied: Sequence[Relief],
    money: DestinationMoney,
) -> list[LineDuty]:
    on_cif = market.duty_basis == "CIF"
    charged_subheadings: set[str] = set()
    duties: list[LineDuty] = []
    for i, ln in enumerate(lines):
        dutiable = valuation.values[i] + (valuation.shares[i] if on_cif else ZERO)
        waiver = covering_relief(applied, valuation.digits[i], "relieves_duty")
        subheading = valuation.digits[i][:6]
        duty = line_duty(
            market,
            ln.hs_code,
            dutiable,
            waiver,
            money,
            subheading_charged=subheading in charged_subheadings,
        )
        if duty.treatment == "flat_per_subheading":
            charged_subheadings.add(subheading)
        duties.append(duty)
    return duties


# --- step 6: the scheme reported, and whether a full declaration is needed -----------------


@dataclass(frozen=True, slots=True)
class FormalEntry:
    limit: Decimal | None  # the threshold in the destination currency; None: none recorded
    over: bool


def formal_entry(market: MarketRules, goods_value: Decimal, money: DestinationMoney) -> FormalEntry:
    """Goods worth more than the market's formal-entry threshold need a full declaration."""
    threshold = market.formal_entry_threshold
    if threshold is None:
        return FormalEntry(None, False)
    limit = threshold.amount * money.rate_of(threshold.currency)
    return FormalEntry(limit, goods_value > limit)


def reported_scheme(sale_rule: Relief | None, formal: bool, applied: Sequence[str]) -> str:
    """The at-sale regime when one applies, whatever the value (the seller collected the VAT);
    FORMAL_ENTRY over the formal-entry threshold; else the first relief that applied (a relief
    that relieves nothing, like the US's suspended de minimis, is reported too); else STANDARD:
    duty and taxes at the border, simplified clearance."""
    if sale_rule is not None:
        return sale_rule.code
    if formal:
        return "FORMAL_ENTRY"
    if applied:
        return applied[0]
    return "STANDARD"


def tariff_notes(market: MarketRules) -> list[str]:
    notes = [f"duty table {market.duty_table}: {SAMPLE_NOTE}"] if market.duty_table_sample else []
    return [*notes, *market.notes]


# --- the whole consignment ----------------------------------------------------------------


def compute_duties(
    lines: Sequence[CustomsLine],
    destination: str,
    incoterm: str,
    rules: TariffTables | MarketRules,
    fx: Mapping[str, Decimal],
    on: date,
    *,
    freight: Money | None = None,
    insurance: Money | None = None,
    b2c: bool = True,
    ship_from: str | None = None,
    registrations: Mapping[str, str | None] | None = None,
) -> DutyResult:
    """Duty and import VAT/GST on one consignment to `destination` on `on` (see the tariff
    module's docstring for the order of the steps).

    `fx` maps each currency used (lines, freight, insurance, relief thresholds) to units of the
    destination currency. `registrations` holds the seller's and importer's numbers by name
    ("ioss_number", "seller_vat_number", ...); only their presence matters here, their format
    is the declaration flags' business. `ship_from` is the country the parcel is dispatched
    from (Canada's thresholds depend on it)."""
    incoterm = incoterm.upper()
    if incoterm not in PAYERS:
        raise ValueError(f"incoterm must be one of {', '.join(PAYERS)}, got {incoterm!r}")
    if not lines:
        raise ValueError("a consignment has at least one line")
    destination = destination.upper()
    market = market_rules_for(rules, destination, on)
    asked = _Consignment(
        lines=lines,
        destination=destination,
        incoterm=incoterm,
        on=on,
        b2c=b2c,
        ship_from=ship_from.upper() if ship_from else None,
        registrations={k: v for k, v in (registrations or {}).items() if v},
        freight=freight,
        insurance=insurance,
    )
    money = DestinationMoney(fx, market.currency, market.money_exponent)
    valuation = value_consignment(lines, freight, insurance, money)  # 1
    reliefs = reliefs_for_consignment(  # 2
        market,
        valuation,
        money,
        b2c=b2c,
        ship_from=asked.ship_from,
        registrations=asked.registrations,
    )
    duties = duty_per_line(market, lines, valuation, reliefs.applied, money)  # 3
    taxes = tax_per_line(market, lines, valuation, duties, reliefs.applied)  # 4
    formal = formal_entry(market, valuation.goods_value, money)  # 6 (5: the totals, in _result)
    return _result(asked, market, money, valuation, reliefs, taxes, formal)


@dataclass(frozen=True, slots=True)
class _Consignment:
    """What `compute_duties` was asked, normalised."""

    lines: Sequence[CustomsLine]
    destination: str
    incoterm: str
    on: date
    b2c: bool
    ship_from: str | None
    registrations: dict[str, str]
    freight: Money | None
    insurance: Money | None


def _result(
    asked: _Consignment,
    market: MarketRules,
    money: DestinationMoney,
    valuation: Valuation,
    reliefs: ConsignmentReliefs,
    taxes: LineTaxes,
    formal: FormalEntry,
) -> DutyResult:
    """Step 5, the totals (sums of rounded line amounts; each VAT rounded once on its whole
    base), and the result with its notes and inputs."""
    exp = market.money_exponent
    duty = sum((r.duty for r in taxes.lines), ZERO)
    import_vat = round_half_up(taxes.border_base * market.vat_rate, exp)
    vat_at_sale = round_half_up(taxes.sale_base * market.vat_rate, exp)
    codes = tuple(r.code for r in reliefs.applied)
    notes = [
        *reliefs.notes,
        *vat_notes(market, reliefs.missed, taxes.border_base, taxes.sale_base, asked.incoterm),
        *tariff_notes(market),
    ]
    return DutyResult(
        destination=asked.destination,
        currency=market.currency,
        on=asked.on,
        incoterm=asked.incoterm,
        payer=PAYERS[asked.incoterm],
        lines=taxes.lines,
        goods_value=valuation.goods_value,
        freight=valuation.freight,
        insurance=valuation.insurance,
        customs_value=valuation.goods_value
        + (valuation.freight + valuation.insurance if market.duty_basis == "CIF" else ZERO),
        duty=duty,
        vat_name=market.vat_name,
        vat_rate=market.vat_rate,
        import_vat_base=taxes.border_base,
        import_vat=import_vat,
        vat_at_sale_base=taxes.sale_base,
        vat_at_sale=vat_at_sale,
        total_border=duty + import_vat,
        total_taxes=duty + import_vat + vat_at_sale,
        scheme=reported_scheme(taxes.sale_rule, formal.over, codes),
        schemes=codes,
        formal_entry=formal.over,
        tariff_version=market.version,
        notes=tuple(dict.fromkeys(notes)),  # once each, in order
        inputs=_inputs(asked, market, money, valuation, reliefs, formal),
    )


def _inputs(
    asked: _Consignment,
    market: MarketRules,
    money: DestinationMoney,
    valuation: Valuation,
    reliefs: ConsignmentReliefs,
    formal: FormalEntry,
) -> dict[str, Any]:
    """Everything the result was computed from, so a stored result explains itself."""
    threshold = market.formal_entry_threshold
    return {
        "tariff_version": market.version,
        "market": market.describe(),
        "on": asked.on.isoformat(),
        "incoterm": asked.incoterm,
        "b2c": asked.b2c,
        "ship_from": asked.ship_from,
        "fx": dict(sorted(money.used.items())),
        "freight": asked.freight.as_dict() if asked.freight else None,
        "insurance": asked.insurance.as_dict() if asked.insurance else None,
        "lines": [
            {
                "hs_code": ln.hs_code,
                "value": str(ln.value),
                "currency": ln.currency,
                "quantity": ln.quantity,
            }
            for ln in asked.lines
        ],
        "reliefs": reliefs.inputs,
        "formal_entry": None
        if threshold is None or formal.limit is None
        else {
            **threshold.as_dict(),
            "threshold_in_destination_currency": str(
                round_half_up(formal.limit, market.money_exponent)
            ),
            "goods_value": str(valuation.goods_value),
            "over": formal.over,
        },
        "registrations": sorted(asked.registrations),
    }
