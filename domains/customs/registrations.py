"""The registration numbers a low-value scheme or a B2B import depends on: their format.

Pure: the standard library plus python-stdnum's format checks (no I/O). Each check returns
"missing", why the number is malformed, or None when it is well formed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from stdnum.eu import oss as eu_oss
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from domains.customs.tables import MarketRules

EU_MEMBERS = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
_EORI_RE = re.compile(r"^([A-Z]{2})[0-9A-Z]{1,15}$")


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


_VALIDATORS = {"ioss_number": ioss_number_problem}


def registration_problem(key: str, destination: str, number: str | None) -> str | None:
    """The number's problem, checked by what it is (and, for a seller's VAT number, where)."""
    if key in _VALIDATORS:
        return _VALIDATORS[key](number)
    if key == "seller_vat_number":
        return gb_vat_problem(number) if destination == "GB" else eu_vat_problem(number)
    return None if number else "missing"  # no public format to check it against


def registration_problems(
    declaration: Mapping[str, Any],
    market: MarketRules,
    b2c: bool,
    goods_value: Decimal,
    line_digits: list[str],
    rate: Callable[[str], Decimal],
) -> list[tuple[str, str, str, Any]]:
    """(registration, problem, scheme, number) for each number this consignment needs that is
    missing or malformed: the one a low-value scheme that applies to it depends on, and the
    importer's EORI for a B2B import into the EU. `rate` converts into the destination
    currency, `line_digits` are the lines' HS digits ("" for an unusable code)."""
    destination = market.country
    problems: list[tuple[str, str, str, Any]] = []
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
        problem = registration_problem(relief.registration, destination, number)
        if problem:
            problems.append((relief.registration, problem, relief.code, number))
    if market.union == "EU" and not b2c:
        number = declaration.get("importer_eori")
        problem = eori_problem(number)
        if problem:
            problems.append(("importer_eori", problem, "EU_B2B_IMPORT", number))
    return problems
