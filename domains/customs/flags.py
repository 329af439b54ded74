"""Declaration screening: what a customs reviewer must look at before a parcel leaves.

Pure: the standard library plus python-stdnum's format checks (no I/O). `declaration_flags`
reads a drafted declaration (a plain dict, shape below), the catalogue, the destination's rules
and the packed weight, and returns one flag per problem as {code, field, explanation, inputs}:
the explanation is what the reviewer reads, the inputs are what the check compared, so an
event that stores the flags answers "why was this held?" on its own. No flags: the declaration
may be approved automatically.

The declaration:
    {"destination": "DE", "on": "2026-11-02" (or pass on=), "currency": "EUR",
     "b2c": true, "vat_scheme": "IOSS" or null (the channel's choice),
     "ioss_number": ..., "seller_vat_number": ..., "importer_eori": ..., (any registrations)
     "gross_weight_g": 1250,
     "lines": [{"sku", "hs_code", "description", "quantity", "unit_value", "currency"?}]}
The catalogue: {sku: {"unit_value": "12.50", "currency": "USD", ...}} (products.json's fields).

Flags (code: when):
    hs_code_missing / hs_code_malformed: a line without an HS code, or one that is not a 6-digit
        subheading or an 8-10 digit national code (dots allowed as separators: 8471.30.01) in
        an existing HS chapter (01-97, not 77).
    vague_description: no description; a vague term ("gift", "parts", "samples", "goods", ...,
        matched as whole words) with fewer than two informative words beside it; or fewer than
        `min_description_words` words (default 2: "Earbuds" is flagged, "Wireless earbuds" is
        not; customs want what it is, what it is made of, what it is for).
    value_deviation: the declared unit value more than 30% above or below the catalogue's
        (exactly 30% passes); the explanation gives the percentage.
    prohibited / restricted: an HS prefix on the destination's list.
    formal_entry: the goods value over the destination's formal-entry (low-value) threshold.
    weight_mismatch: the declared gross weight more than 10% away from the packed weight (or
        missing once the parcel is packed).
    importer_id_missing / importer_id_malformed: the number a low-value scheme depends on, where
        it applies to this consignment: an EU IOSS number ("IM" + 10 digits, checked with
        stdnum.eu.oss) when the channel uses IOSS for a B2C consignment up to EUR 150; the
        seller's UK VAT number (stdnum.gb.vat) for a consignment to GB up to GBP 135; other
        mandatory registrations by presence only. B2B consignments to the EU need the
        importer's EORI: two letters of an EU member state and up to 15 letters or digits (its
        shape only: there is no public check-digit algorithm).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from domains.customs.goods_checks import (
    HS_LENGTHS,
    MIN_DESCRIPTION_WORDS,
    VAGUE_TERMS,
    description_problem,
    hs_code_problem,
)
from domains.customs.registrations import (
    EU_MEMBERS,
    eori_problem,
    eu_vat_problem,
    gb_vat_problem,
    ioss_number_problem,
    registration_problems,
)
from domains.customs.tables import MarketRules, TariffTables, hs_digits

__all__ = [
    "EU_MEMBERS",
    "HS_LENGTHS",
    "MIN_DESCRIPTION_WORDS",
    "VAGUE_TERMS",
    "VALUE_DEVIATION_LIMIT",
    "WEIGHT_TOLERANCE",
    "Rate",
    "declaration_flags",
    "description_problem",
    "eori_problem",
    "eu_vat_problem",
    "gb_vat_problem",
    "hs_code_problem",
    "ioss_number_problem",
]

VALUE_DEVIATION_LIMIT = Decimal("0.30")
WEIGHT_TOLERANCE = Decimal("0.10")

Rate = Callable[[str], Decimal]  # units of the destination currency per unit of a currency


def _flag(code: str, field: str, explanation: str, **inputs: Any) -> dict[str, Any]:
    return {"code": code, "field": field, "explanation": explanation, "inputs": inputs}


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _pct(fraction: Decimal, limit: Decimal) -> str:
    """One decimal; two when one would read as exactly the limit (30.04% is not '30.0%')."""
    pct = abs(fraction) * 100
    shown = pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if shown == limit * 100 and pct != limit * 100:
        shown = pct.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(shown, "f") + "%"


def _limit(fraction: Decimal) -> str:
    return format((fraction * 100).normalize(), "f") + "%"


def _kg(grams: int | Decimal) -> str:
    return format((Decimal(grams) / 1000).quantize(Decimal("0.001")).normalize(), "f") + " kg"


# --- the whole declaration ------------------------------------------------------------------


def declaration_flags(
    declaration: Mapping[str, Any],
    catalogue: Mapping[str, Mapping[str, Any]],
    rules: TariffTables,
    packed_weight_g: int | None,
    *,
    fx: Mapping[str, Decimal] | None = None,
    on: date | None = None,
    min_description_words: int = MIN_DESCRIPTION_WORDS,
) -> list[dict[str, Any]]:
    """Every flag on the declaration, line flags first (in line order), then the consignment's.

    `fx` maps currencies to units of the destination currency, as for duties; it is needed only
    when a value must be compared across currencies (and then its absence is an error, not a
    skipped check). `packed_weight_g` None: not packed yet, the weight is not checked."""
    destination = str(declaration["destination"]).upper()
    market = rules.rules_for(destination, _declaration_day(declaration, on))
    screening = _Screening(
        destination=destination,
        rules=rules,
        catalogue=catalogue,
        currency=str(declaration.get("currency") or market.currency),
        rate=_rate_into(market.currency, fx),
        min_description_words=min_description_words,
    )
    b2c = bool(declaration.get("b2c", True))
    flags: list[dict[str, Any]] = []
    goods_value = Decimal(0)
    line_digits: list[str] = []
    for i, line in enumerate(declaration.get("lines", [])):
        line_flags, digits, value = _line_flags(f"lines[{i}]", line, screening)
        flags.extend(line_flags)
        line_digits.append(digits)
        if value is not None:
            goods_value += value
    rate = screening.rate
    flags.extend(_formal_entry(market, goods_value, rate))
    flags.extend(_weight(declaration.get("gross_weight_g"), packed_weight_g))
    needed = registration_problems(declaration, market, b2c, goods_value, line_digits, rate)
    flags.extend(_id_flag(*problem) for problem in needed)
    return flags


def _declaration_day(declaration: Mapping[str, Any], on: date | None) -> date:
    day = on or declaration.get("on")
    if day is None:
        raise ValueError("the declaration's date is needed (on=) to pick the rules in force")
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day


def _rate_into(destination_currency: str, fx: Mapping[str, Decimal] | None) -> Rate:
    def rate(currency: str) -> Decimal:
        if currency == destination_currency:
            return Decimal(1)
        if fx is None or currency not in fx:
            raise ValueError(f"no fx rate for {currency} into {destination_currency}")
        return Decimal(fx[currency])

    return rate


@dataclass(frozen=True)
class _Screening:
    """What every line of one declaration is checked against."""

    destination: str
    rules: TariffTables
    catalogue: Mapping[str, Mapping[str, Any]]
    currency: str  # the declaration's: a line without its own currency is in it
    rate: Rate
    min_description_words: int


def _line_flags(
    where: str, line: Mapping[str, Any], screening: _Screening
) -> tuple[list[dict[str, Any]], str, Decimal | None]:
    """One line's flags, its HS digits ("" when the code is unusable) and its value in the
    destination currency (None when it declares none)."""
    flags: list[dict[str, Any]] = []
    hs = line.get("hs_code")
    problem = hs_code_problem(hs)
    if problem:
        flags.append(_flag(problem[0], f"{where}.hs_code", problem[1], hs_code=hs))

    why = description_problem(line.get("description"), screening.min_description_words)
    if why:
        flags.append(
            _flag(
                "vague_description",
                f"{where}.description",
                f"description {line.get('description')!r}: {why}",
                description=line.get("description"),
            )
        )

    quantity = int(line.get("quantity") or 0)
    unit_value = _dec(line.get("unit_value"))
    currency = str(line.get("currency") or screening.currency)
    value = None if unit_value is None else unit_value * quantity * screening.rate(currency)
    flags.extend(
        _value_deviation(where, line, unit_value, currency, screening.catalogue, screening.rate)
    )
    if problem:
        return flags, "", value
    flags.extend(_restrictions(where, hs, screening.destination, screening.rules))
    return flags, hs_digits(str(hs)), value


def _restrictions(
    where: str, hs: Any, destination: str, rules: TariffTables
) -> list[dict[str, Any]]:
    flags = []
    for hit in rules.restrictions_for(destination, str(hs)):
        verb = "prohibited" if hit.level == "prohibited" else "restricted"
        flags.append(
            _flag(
                hit.level,
                f"{where}.hs_code",
                f"HS {hs} is {verb} for {destination} ({hit.category}): {hit.reason}",
                hs_code=hs,
                hs_prefix=hit.hs_prefix,
                category=hit.category,
                level=hit.level,
                list_version=rules.restrictions_version,
            )
        )
    return flags


def _value_deviation(
    where: str,
    line: Mapping[str, Any],
    unit_value: Decimal | None,
    currency: str,
    catalogue: Mapping[str, Mapping[str, Any]],
    rate: Rate,
) -> list[dict[str, Any]]:
    entry = catalogue.get(str(line.get("sku")))
    if entry is None or unit_value is None:
        return []  # not a catalogue product, or no value: nothing to compare
    listed = _dec(entry.get("unit_value"))
    if listed is None or listed <= 0:
        return []
    listed_ccy = str(entry.get("currency") or currency)
    # Compared in one currency; the explanation shows both as declared and as listed.
    declared_d = unit_value * rate(currency)
    listed_d = listed * rate(listed_ccy)
    deviation = (declared_d - listed_d) / listed_d
    if abs(deviation) <= VALUE_DEVIATION_LIMIT:
        return []
    direction = "above" if deviation > 0 else "below"
    return [
        _flag(
            "value_deviation",
            f"{where}.unit_value",
            f"declared unit value {unit_value} {currency} is {_pct(deviation, VALUE_DEVIATION_LIMIT)} "
            f"{direction} the catalogue price {listed} {listed_ccy} (more than "
            f"{_limit(VALUE_DEVIATION_LIMIT)} away)",
            sku=line.get("sku"),
            declared=str(unit_value),
            declared_currency=currency,
            catalogue=str(listed),
            catalogue_currency=listed_ccy,
            deviation=str(deviation.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
            limit=str(VALUE_DEVIATION_LIMIT),
        )
    ]


def _formal_entry(market: MarketRules, goods_value: Decimal, rate: Rate) -> list[dict[str, Any]]:
    threshold = market.formal_entry_threshold
    if threshold is None:
        return []
    limit = threshold.amount * rate(threshold.currency)
    if goods_value <= limit:
        return []
    shown = goods_value.quantize(Decimal(1).scaleb(-market.money_exponent), ROUND_HALF_UP)
    return [
        _flag(
            "formal_entry",
            "lines",
            f"goods value {shown} {market.currency} is over the {threshold.amount} "
            f"{threshold.currency} low-value threshold for {market.country}: a full customs "
            "declaration (formal entry) is needed",
            goods_value=str(shown),
            currency=market.currency,
            threshold=threshold.as_dict(),
        )
    ]


def _weight(declared: Any, packed_weight_g: int | None) -> list[dict[str, Any]]:
    if packed_weight_g is None:
        return []
    declared_g = _dec(declared)
    if declared_g is None or declared_g <= 0:
        return [
            _flag(
                "weight_mismatch",
                "gross_weight_g",
                f"no declared gross weight; the packed parcel weighs {_kg(packed_weight_g)}",
                declared_g=declared,
                packed_g=packed_weight_g,
            )
        ]
    # Relative to what the scale measured: the packed weight is the fact.
    off = (declared_g - packed_weight_g) / Decimal(packed_weight_g)
    if abs(off) <= WEIGHT_TOLERANCE:
        return []
    return [
        _flag(
            "weight_mismatch",
            "gross_weight_g",
            f"declared gross weight {_kg(declared_g)} is {_pct(off, WEIGHT_TOLERANCE)} "
            f"{'above' if off > 0 else 'below'} the packed weight {_kg(packed_weight_g)} "
            f"(more than {_limit(WEIGHT_TOLERANCE)} off)",
            declared_g=str(declared_g),
            packed_g=packed_weight_g,
            tolerance=str(WEIGHT_TOLERANCE),
        )
    ]


def _id_flag(key: str, problem: str, scheme: str, number: Any) -> dict[str, Any]:
    label = key.replace("_", " ").replace("ioss", "IOSS").replace("vat", "VAT")
    label = label.replace("eori", "EORI")
    if problem == "missing":
        return _flag(
            "importer_id_missing",
            key,
            f"{label} is required for {scheme} and is missing",
            scheme=scheme,
        )
    return _flag(
        "importer_id_malformed",
        key,
        f"{label} for {scheme}: {problem}",
        scheme=scheme,
        number=number,
    )
