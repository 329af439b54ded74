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

import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from stdnum.eu import oss as eu_oss
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from domains.customs.tariff import MarketRules, TariffTables, hs_digits

VALUE_DEVIATION_LIMIT = Decimal("0.30")
WEIGHT_TOLERANCE = Decimal("0.10")
MIN_DESCRIPTION_WORDS = 2
HS_LENGTHS = (6, 8, 9, 10)  # the HS subheading, or a national code (JP uses 9 digits)

# Customs and carriers reject these as descriptions: they say nothing of what the goods are.
VAGUE_TERMS = (
    "gift", "gifts", "present", "presents", "sample", "samples", "part", "parts",
    "spare parts", "goods", "item", "items", "merchandise", "general merchandise", "stuff",
    "things", "accessories", "accessory", "clothes", "clothing", "apparel", "garments",
    "electronics", "equipment", "product", "products", "misc", "miscellaneous", "various",
    "personal effects", "personal items", "commodity", "commodities", "toys", "tools",
)  # fmt: skip
_VAGUE_RE = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(VAGUE_TERMS, key=len, reverse=True)) + r")\b"
)
_VAGUE_WORDS = frozenset(w for t in VAGUE_TERMS for w in t.split())
# Words that carry no information about the goods either.
_FILLER = frozenset(
    "a an the of for and or with in on to by from x pc pcs piece pieces new used assorted "
    "mixed lot box pack package parcel my your some set".split()
)
_WORD_RE = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")

EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
_EORI_RE = re.compile(r"^([A-Z]{2})[0-9A-Z]{1,15}$")

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


# --- single checks, usable on their own -----------------------------------------------------


def hs_code_problem(hs_code: str | None) -> tuple[str, str] | None:
    """(code, why) when the HS code is missing or malformed; None when it is well formed."""
    if hs_code is None or not str(hs_code).strip():
        return "hs_code_missing", "no HS code"
    text = str(hs_code).strip()
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        return "hs_code_malformed", f"HS code {text!r} has characters other than digits and dots"
    digits = hs_digits(text)
    if len(digits) < 6:
        return (
            "hs_code_malformed",
            f"HS code {text!r} has {len(digits)} digits: at least the 6-digit subheading is needed",
        )
    if len(digits) not in HS_LENGTHS:
        return (
            "hs_code_malformed",
            f"HS code {text!r} has {len(digits)} digits: use the 6-digit subheading or an "
            "8-10 digit national code",
        )
    chapter = int(digits[:2])
    if not 1 <= chapter <= 97 or chapter == 77:
        return "hs_code_malformed", f"HS code {text!r}: chapter {digits[:2]} is not an HS chapter"
    return None


def description_problem(
    description: str | None, min_words: int = MIN_DESCRIPTION_WORDS
) -> str | None:
    """Why the description is too vague for customs, or None."""
    text = (description or "").strip().lower()
    words = _WORD_RE.findall(text)
    if not words:
        return "no description"
    vague = sorted(set(_VAGUE_RE.findall(text)))
    informative = [
        w for w in words if w not in _VAGUE_WORDS and w not in _FILLER and not w.isdigit()
    ]
    if vague and len(informative) < 2:
        terms = ", ".join(f"'{t}'" for t in vague)
        return (
            f"{terms} does not say what the goods are: name the product, its material and its use"
        )
    if len(words) < min_words:
        return (
            f"{len(words)} word{'s' if len(words) != 1 else ''}: too short to say what the goods "
            f"are, what they are made of and what they are for (at least {min_words} words)"
        )
    return None


def ioss_number_problem(number: str | None) -> str | None:
    if not number:
        return "missing"
    compact = eu_oss.compact(number)
    if not compact.startswith("IM") or not eu_oss.is_valid(compact):
        return f"{number!r} is not an IOSS number (IM + 10 digits with a member-state code)"
    return None


def gb_vat_problem(number: str | None) -> str | None:
    if not number:
        return "missing"
    if not gb_vat.is_valid(number):
        return f"{number!r} is not a valid UK VAT number"
    return None


def eu_vat_problem(number: str | None) -> str | None:
    if not number:
        return "missing"
    if not eu_vat.is_valid(number):
        return f"{number!r} is not a valid EU VAT number"
    return None


def eori_problem(number: str | None) -> str | None:
    """The EORI's shape: an EU member state's ISO code and up to 15 letters or digits."""
    if not number:
        return "missing"
    compact = re.sub(r"[\s.-]", "", number).upper()
    match = _EORI_RE.match(compact)
    if not match or match.group(1) not in EU_MEMBERS:
        return (
            f"{number!r} is not an EU EORI number (member state code + up to 15 letters or digits)"
        )
    return None


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
    day = on or declaration.get("on")
    if day is None:
        raise ValueError("the declaration's date is needed (on=) to pick the rules in force")
    if isinstance(day, str):
        day = date.fromisoformat(day)
    market = rules.rules_for(destination, day)
    dest_ccy = market.currency
    decl_ccy = str(declaration.get("currency") or dest_ccy)
    b2c = bool(declaration.get("b2c", True))

    def rate(currency: str) -> Decimal:
        if currency == dest_ccy:
            return Decimal(1)
        if fx is None or currency not in fx:
            raise ValueError(f"no fx rate for {currency} into {dest_ccy}")
        return Decimal(fx[currency])

    flags: list[dict[str, Any]] = []
    goods_value = Decimal(0)
    line_digits: list[str] = []
    for i, line in enumerate(declaration.get("lines", [])):
        where = f"lines[{i}]"
        hs = line.get("hs_code")
        problem = hs_code_problem(hs)
        if problem:
            flags.append(_flag(problem[0], f"{where}.hs_code", problem[1], hs_code=hs))
        line_digits.append("" if problem else hs_digits(str(hs)))

        why = description_problem(line.get("description"), min_description_words)
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
        currency = str(line.get("currency") or decl_ccy)
        if unit_value is not None:
            goods_value += unit_value * quantity * rate(currency)
        flags.extend(_value_deviation(where, line, unit_value, currency, catalogue, rate))

        if not problem:
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

    flags.extend(_formal_entry(market, goods_value, rate))
    flags.extend(_weight(declaration.get("gross_weight_g"), packed_weight_g))
    flags.extend(
        _importer_ids(declaration, market, destination, b2c, goods_value, line_digits, rate)
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


_VALIDATORS = {"ioss_number": ioss_number_problem}


def _registration_problem(key: str, destination: str, number: str | None) -> str | None:
    if key in _VALIDATORS:
        return _VALIDATORS[key](number)
    if key == "seller_vat_number":
        return gb_vat_problem(number) if destination == "GB" else eu_vat_problem(number)
    return None if number else "missing"  # no public format to check it against


def _importer_ids(
    declaration: Mapping[str, Any],
    market: MarketRules,
    destination: str,
    b2c: bool,
    goods_value: Decimal,
    line_digits: list[str],
    rate: Rate,
) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    ship_from = str(declaration.get("ship_from") or "").upper() or None
    for relief in market.reliefs:
        if not relief.registration:
            continue
        if goods_value > relief.threshold * rate(relief.currency):
            continue
        if (relief.b2c_only and not b2c) or (
            relief.ship_from and ship_from not in relief.ship_from
        ):
            continue
        if not any(d and relief.covers(d) for d in line_digits):
            continue  # only excluded goods (excise) in the parcel: the scheme is not for them
        # An optional scheme (IOSS) needs the number only when the channel uses it; one that
        # applies by law (GB) needs it for sales to consumers: a VAT-registered business buyer
        # accounts for the VAT itself (reverse charge).
        if relief.registration_optional and declaration.get("vat_scheme") != relief.code:
            continue
        if not relief.registration_optional and not b2c:
            continue
        number = declaration.get(relief.registration)
        problem = _registration_problem(relief.registration, destination, number)
        if problem:
            flags.append(_id_flag(relief.registration, problem, relief.code, number))
    if market.union == "EU" and not b2c:
        number = declaration.get("importer_eori")
        problem = eori_problem(number)
        if problem:
            flags.append(_id_flag("importer_eori", problem, "EU_B2B_IMPORT", number))
    return flags


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
