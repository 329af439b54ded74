"""THE customs rule for one consignment: whether it needs a declaration (it crosses a customs
border) and which VAT scheme applies, with the duty and taxes that follow. The landed-cost quote,
the declaration drafted at packing and (through the declaration) the cost ledger all call
`assess_consignment`, so a quote, a declaration and a cost never disagree.

Pure: standard library only. The decision, in order:
  1. Customs territories (territories.json): origin and destination in the same territory
     (FRA -> FR/DE/AT/NL: the EU customs union; LAX -> US; BHX -> GB; CGK -> ID): no
     declaration, no import duty, no import VAT, no IOSS. The VAT is part of the sale:
       DOMESTIC                    same country: the destination's VAT, in the price;
       EU_OSS                      B2C from one EU member state to another (intra-EU distance
                                   sale): the destination's rate, declared under the One-Stop
                                   Shop. The seller is taken to be over the EU-wide EUR 10,000
                                   threshold (`over_eu_distance_threshold`, the default); below
                                   it the ORIGIN country's rate applies (EU_DISTANCE_SALE_ORIGIN);
       EU_INTRA_B2B                business buyer in another member state: reverse charge.
  2. Different territories: a declaration is needed, and `compute_duties` (the tariff, its
     reliefs and thresholds) charges duty and VAT. The scheme recorded:
       EU_IOSS                     EU, B2C, intrinsic value <= EUR 150, the seller (or the
                                   marketplace as deemed supplier) has an IOSS number: VAT at sale;
       EU_IMPORT_LOW_VALUE         EU, <= EUR 150 without IOSS: import VAT at the border (and the
                                   EU's low-value duty rule in force);
       EU_IMPORT                   EU, > EUR 150 (or B2B): import VAT and duty at the border;
       GB_POINT_OF_SALE            GB, B2C, <= GBP 135: UK VAT at the point of sale (the seller's
                                   UK VAT number, or the marketplace as deemed supplier);
       GB_IMPORT                   GB, > GBP 135 (or B2B): import VAT and duty at the border;
       US_IMPORT                   US: dutiable whatever the value (de minimis suspended for all
                                   countries since 2025-08-29); no federal VAT;
       IMPORT                      any other market: its rules (`import_scheme` names the relief).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domains.customs.duties import PAYERS, compute_duties
from domains.customs.results import DutyLine, DutyResult
from domains.customs.tables import ZERO, MarketRules, Money, TariffTables, round_half_up
from domains.customs.valuation import CustomsLine, DestinationMoney, value_consignment

IN_TERRITORY_SCHEMES = (
    "DOMESTIC",
    "EU_OSS",
    "EU_DISTANCE_SALE_ORIGIN",
    "EU_INTRA_B2B",
)
# Schemes under which a marketplace can be the deemed supplier for VAT (it charges and remits).
DEEMED_SUPPLIER_SCHEMES = ("EU_IOSS", "GB_POINT_OF_SALE")
EU_DISTANCE_THRESHOLD = Money(Decimal("10000"), "EUR")  # a year, EU-wide (Art. 59c VAT Directive)


@dataclass(frozen=True, kw_only=True)
class BorderDecision:
    """Whether a consignment crosses a customs border, and the VAT scheme of its sale."""

    origin: str | None
    destination: str
    origin_territory: str | None
    destination_territory: str
    declaration_needed: bool
    vat_scheme: str
    vat_country: str  # whose VAT rate applies
    reason: str
    deemed_supplier: str | None  # "Amazon (marketplace)" where the channel says so
    import_scheme: str | None  # compute_duties' scheme for a declared consignment
    rules_version: str
    territories_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "destination": self.destination,
            "origin_territory": self.origin_territory,
            "destination_territory": self.destination_territory,
            "declaration_needed": self.declaration_needed,
            "vat_scheme": self.vat_scheme,
            "vat_country": self.vat_country,
            "reason": self.reason,
            "deemed_supplier": self.deemed_supplier,
            "import_scheme": self.import_scheme,
            "rules_version": self.rules_version,
            "territories_version": self.territories_version,
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    decision: BorderDecision
    duties: DutyResult  # zero duty and border tax inside a territory


def crosses_border(tables: TariffTables, origin: str | None, destination: str) -> bool:
    """True when origin and destination lie in different customs territories (an unknown
    origin is taken to be abroad)."""
    if origin is None:
        return True
    return tables.territory_of(origin) != tables.territory_of(destination)


def in_territory_scheme(
    tables: TariffTables, origin: str, destination: str, b2c: bool, over_distance_threshold: bool
) -> tuple[str, str, str]:
    """(scheme, whose VAT, why) for a sale that stays inside one customs territory."""
    territory = tables.territory_of(destination)
    origin, destination = origin.upper(), destination.upper()
    if origin == destination:
        why = f"{origin} to {destination}: a domestic sale; {destination} VAT is in the price"
        return "DOMESTIC", destination, why
    inside = f"{origin} and {destination} both lie in the {territory} customs territory"
    if territory == "EU" and not b2c:
        return "EU_INTRA_B2B", destination, f"{inside}: intra-EU B2B supply, reverse charge"
    if territory == "EU" and over_distance_threshold:
        return (
            "EU_OSS",
            destination,
            (
                f"{inside}: intra-EU distance sale at {destination}'s VAT rate under the OSS "
                f"(seller over the EUR {EU_DISTANCE_THRESHOLD.amount:,.0f} EU-wide threshold)"
            ),
        )
    if territory == "EU":
        return (
            "EU_DISTANCE_SALE_ORIGIN",
            origin,
            (
                f"{inside}: intra-EU distance sale under the EUR "
                f"{EU_DISTANCE_THRESHOLD.amount:,.0f} threshold, taxed at {origin}'s VAT rate"
            ),
        )
    return "DOMESTIC", destination, f"{inside}: a domestic sale; its VAT is in the price"


def import_scheme(market: MarketRules, duties: DutyResult, b2c: bool) -> str:
    """The scheme of a declared consignment (see the module docstring)."""
    if market.union == "EU":
        if b2c and "IOSS" in duties.schemes:
            return "EU_IOSS"
        if b2c and not duties.formal_entry:
            return "EU_IMPORT_LOW_VALUE"
        return "EU_IMPORT"
    if market.country == "GB":
        return "GB_POINT_OF_SALE" if b2c and "UK_POS_VAT" in duties.schemes else "GB_IMPORT"
    if market.country == "US":
        return "US_IMPORT"
    return "IMPORT"


def assess_consignment(
    lines: Sequence[CustomsLine],
    destination: str,
    incoterm: str,
    rules: TariffTables,
    fx: Mapping[str, Decimal],
    on: date,
    *,
    origin: str | None,
    freight: Money | None = None,
    insurance: Money | None = None,
    b2c: bool = True,
    registrations: Mapping[str, str | None] | None = None,
    marketplace: str | None = None,
    over_eu_distance_threshold: bool = True,
) -> Assessment:
    """The border decision and the duty result for one consignment from `origin` (None:
    unknown, taken to be abroad) to `destination` on `on`. `fx` as for `compute_duties` (units
    of the destination currency; for a destination without market rules, of the first line's
    currency). `marketplace` names the marketplace that is the deemed supplier for VAT where
    the law makes it one (EU IOSS, UK low-value sales)."""
    destination = destination.upper()
    origin = origin.upper() if origin else None
    common: dict[str, Any] = {
        "origin": origin,
        "destination": destination,
        "origin_territory": rules.territory_of(origin) if origin else None,
        "destination_territory": rules.territory_of(destination),
        "rules_version": rules.version,
        "territories_version": rules.territories_version,
    }
    if origin is not None and not crosses_border(rules, origin, destination):
        scheme, vat_country, why = in_territory_scheme(
            rules, origin, destination, b2c, over_eu_distance_threshold
        )
        decision = BorderDecision(
            **common,
            declaration_needed=False,
            vat_scheme=scheme,
            vat_country=vat_country,
            reason=f"no customs declaration: {why}",
            deemed_supplier=None,
            import_scheme=None,
        )
        duties = _in_territory_duties(
            lines, decision, incoterm, rules, fx, on, freight=freight, insurance=insurance, b2c=b2c
        )
        return Assessment(decision, duties)
    duties = compute_duties(
        lines,
        destination,
        incoterm,
        rules,
        fx,
        on,
        freight=freight,
        insurance=insurance,
        b2c=b2c,
        ship_from=origin,
        registrations=registrations,
    )
    market = rules.rules_for(destination, on)
    scheme = import_scheme(market, duties, b2c)
    where = "an unknown origin" if origin is None else f"{origin} ({common['origin_territory']})"
    decision = BorderDecision(
        **common,
        declaration_needed=True,
        vat_scheme=scheme,
        vat_country=destination,
        reason=(
            f"customs declaration needed: from {where} into the "
            f"{common['destination_territory']} customs territory"
        ),
        deemed_supplier=f"{marketplace} (marketplace)"
        if marketplace and scheme in DEEMED_SUPPLIER_SCHEMES
        else None,
        import_scheme=duties.scheme,
    )
    return Assessment(decision, duties)


def _in_territory_duties(
    lines: Sequence[CustomsLine],
    decision: BorderDecision,
    incoterm: str,
    rules: TariffTables,
    fx: Mapping[str, Decimal],
    on: date,
    *,
    freight: Money | None,
    insurance: Money | None,
    b2c: bool,
) -> DutyResult:
    """A duty result with nothing charged at a border: no duty, no import VAT, no VAT added at
    sale (the VAT is in the price). It records the VAT rate of the country whose VAT applies
    (0 with a note where the rules hold no rate for it) and the VAT contained in the price."""
    incoterm = incoterm.upper()
    if incoterm not in PAYERS:
        raise ValueError(f"incoterm must be one of {', '.join(PAYERS)}, got {incoterm!r}")
    if not lines:
        raise ValueError("a consignment has at least one line")
    notes = [decision.reason]
    vat_market = _market_or_none(rules, decision.vat_country, on)
    dest_market = _market_or_none(rules, decision.destination, on)
    currency = dest_market.currency if dest_market else lines[0].currency
    exponent = dest_market.money_exponent if dest_market else rules.exponent(currency)
    vat_rate = vat_market.vat_rate if vat_market else ZERO
    named = vat_market or dest_market
    vat_name = named.vat_name if named is not None else "VAT"
    if vat_market is None:
        notes.append(f"no VAT rules for {decision.vat_country}: the VAT in the price is not shown")
    elif vat_market.vat_basis is None:
        notes.append(f"{vat_market.vat_name} in {decision.vat_country} is not handled")
    if decision.vat_scheme == "EU_OSS":
        notes.append(
            "OSS: the seller is taken to be over the EUR 10,000 EU-wide distance-selling "
            "threshold, so the destination's rate applies"
        )
    money = DestinationMoney(fx, currency, exponent)
    valuation = value_consignment(lines, freight, insurance, money)
    nothing = round_half_up(ZERO, exponent)
    duty_lines = tuple(
        DutyLine(
            index=i,
            hs_code=ln.hs_code,
            quantity=ln.quantity,
            value=valuation.values[i],
            freight_share=valuation.shares[i],
            dutiable_value=nothing,
            duty_rate=None,
            rate_source="not_imported",
            duty=nothing,
            duty_treatment="not_imported",
            tax_treatment="in_price",
            vat_base=nothing,
        )
        for i, ln in enumerate(lines)
    )
    in_price = valuation.goods_value + valuation.freight + valuation.insurance
    vat_in_price = round_half_up(in_price * vat_rate / (1 + vat_rate), exponent)
    return DutyResult(
        destination=decision.destination,
        currency=currency,
        on=on,
        incoterm=incoterm,
        payer=PAYERS[incoterm],
        lines=duty_lines,
        goods_value=valuation.goods_value,
        freight=valuation.freight,
        insurance=valuation.insurance,
        customs_value=nothing,
        duty=nothing,
        vat_name=vat_name,
        vat_rate=vat_rate,
        import_vat_base=nothing,
        import_vat=nothing,
        vat_at_sale_base=nothing,
        vat_at_sale=nothing,
        total_border=nothing,
        total_taxes=nothing,
        scheme=decision.vat_scheme,
        schemes=(),
        formal_entry=False,
        tariff_version=vat_market.version if vat_market else rules.version,
        notes=tuple(dict.fromkeys(notes)),
        inputs={
            "tariff_version": rules.version,
            "territories_version": rules.territories_version,
            "on": on.isoformat(),
            "incoterm": incoterm,
            "b2c": b2c,
            "ship_from": decision.origin,
            "fx": dict(sorted(money.used.items())),
            "vat_in_price": str(vat_in_price),
            "vat_in_price_base": str(in_price),
            "lines": [
                {"hs_code": ln.hs_code, "value": str(ln.value), "currency": ln.currency,
                 "quantity": ln.quantity}
                for ln in lines
            ],
        },
    )  # fmt: skip


def _market_or_none(rules: TariffTables, country: str, on: date) -> MarketRules | None:
    return rules.rules_for(country, on) if rules.has_rules_for(country, on) else None
