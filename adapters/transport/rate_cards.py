"""Rate cards from CSV: the format admins upload, its validation, and the shipped sample cards.

One file is one card (one carrier service, one effective period). Every row starts with its
record type; each type has fixed columns after it. Blank rows and rows whose first cell starts
with '#' are ignored, and so is a header row whose first cell is 'record'. Trailing empty cells
(spreadsheets pad rows) are fine; extra non-empty cells are an error. Decimals use a dot.

    record,       columns after it
    card,         key, value                  one row per setting, see below
    zone,         origin_country, destination_country, postcode_prefixes, zone
    band,         zone, max_kg, price         a zone's weight bands (max_kg a multiple of 0.5)
    step,         zone, price_per_half_kg     above the zone's top band (optional: no step)
    transit,      zone, min_days, max_days    one per zone
    remote_area,  country, postcode_prefixes  prefixes separated by spaces; rows add up
    oversize,     name, longest_side_cm, length_plus_girth_cm, amount   per parcel; one limit
                                                                         may be empty
    refuse,       goods_type                  e.g. lithium_batteries, alcohol, perishable

Card settings (`card,<key>,<value>`); * = required:
    carrier*, service*        lower-case identifiers: dhl_express, express_worldwide
    name*                     what people read: DHL Express Worldwide
    effective_from*           YYYY-MM-DD; effective_to (inclusive, empty = open-ended)
    version                   defaults to effective_from
    currency*                 ISO 4217
    divisor                   dimensional weight divisor, cm3 per kg (5000); empty = none
    pricing                   shipment (default: the parcels' weights add up) or parcel
    fuel_surcharge_pct        0..100, on base + remote area + oversize
    minimum_charge            per shipment, all in
    max_weight_kg, max_length_cm     per parcel (actual weight; longest side)
    remote_area_flat, remote_area_per_kg, remote_area_minimum   the remote-area surcharge:
                              max(minimum, flat + per_kg x chargeable kg)
    sample                    true for made-up rates; note (defaults to the SAMPLE note if so)

Zones: `postcode_prefixes` empty means the whole destination country; otherwise one rule per
prefix, the longest matching prefix wins, and a whole-country rule on the same lane catches the
rest (and quotes without a postcode). GB, IM, JE and GY list postcode areas (HS) or outward
codes (KW15), never partial outward codes. Every zone a lane uses needs bands and a transit row,
and every band, step and transit row must belong to a zone a lane uses.

Validation reports every bad row at once, as {line, field, msg} with 1-based line numbers (line
None: the file as a whole), by raising RateCardRejected; a rejected file yields no card. The
cross-row checks (zones without bands, prices falling with weight, duplicate rules) run once
every row parses on its own, so one typo does not also report the rows that depend on it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from adapters.reference.facts import IsoCountries
from domains.transport.rating import (
    SAMPLE_NOTE,
    SPACED_POSTCODE_COUNTRIES,
    OversizeRule,
    RateCard,
    RateCardRejected,
    RemoteAreaSurcharge,
    WeightBand,
    ZoneRates,
    ZoneRule,
)

SAMPLE_DIR = Path(__file__).parent.parent / "data" / "rate_cards"

RECORDS: dict[str, tuple[str, ...]] = {
    "card": ("key", "value"),
    "zone": ("origin_country", "destination_country", "postcode_prefixes", "zone"),
    "band": ("zone", "max_kg", "price"),
    "step": ("zone", "price_per_half_kg"),
    "transit": ("zone", "min_days", "max_days"),
    "remote_area": ("country", "postcode_prefixes"),
    "oversize": ("name", "longest_side_cm", "length_plus_girth_cm", "amount"),
    "refuse": ("goods_type",),
}
OPTIONAL_COLUMNS = {
    ("zone", "postcode_prefixes"),
    ("oversize", "longest_side_cm"),
    ("oversize", "length_plus_girth_cm"),
}
REQUIRED_SETTINGS = ("carrier", "service", "name", "effective_from", "currency")

_IDENT = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_ZONE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")
_SPACED_PREFIX = re.compile(r"^[A-Z]{1,2}([0-9][A-Z0-9]?)?$")  # area, or outward code
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_countries = IsoCountries()


class _Bad(Exception):
    """A value that does not parse; the message becomes the row's error."""


# --- value parsers: each returns the value or raises _Bad with what was expected -----------


def _decimal(
    text: str, *, places: int, positive: bool = False, maximum: int | None = None
) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        hint = " (use a dot for decimals)" if "," in text else ""
        raise _Bad(f"{text!r} is not a number{hint}") from None
    if not value.is_finite():
        raise _Bad(f"{text!r} is not a number")
    if positive and value <= 0:
        raise _Bad(f"must be more than 0, not {text}")
    if value < 0:
        raise _Bad(f"must not be negative, not {text}")
    if maximum is not None and value > maximum:
        raise _Bad(f"must be at most {maximum}, not {text}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise _Bad(f"{text} has more than {places} decimal places")
    return value


def _money(text: str) -> Decimal:
    return _decimal(text, places=2)


def _kg(text: str) -> Decimal:
    return _decimal(text, places=3, positive=True)


def _cm(text: str) -> Decimal:
    return _decimal(text, places=1, positive=True)


def _band_kg(text: str) -> Decimal:
    value = _decimal(text, places=3, positive=True)
    if (value * 2) % 1:
        raise _Bad(f"{text} is not a multiple of 0.5 kg (chargeable weight goes in 0.5 kg steps)")
    return value


def _int(text: str, *, positive: bool = False) -> int:
    if not re.fullmatch(r"\d+", text):
        raise _Bad(f"{text!r} is not a whole number")
    value = int(text)
    if positive and value <= 0:
        raise _Bad("must be more than 0")
    return value


def _date(text: str) -> date:
    if not _DATE.match(text):
        raise _Bad(f"{text!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"{text!r} is not a real date") from None


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "1"):
        return True
    if low in ("false", "no", "0"):
        return False
    raise _Bad(f"{text!r} is not true or false")


def _ident(text: str) -> str:
    if not _IDENT.match(text):
        raise _Bad(f"{text!r} is not a lower-case identifier (letters, digits, _)")
    return text


def _country(text: str) -> str:
    if not (len(text) == 2 and text.isupper() and _countries.is_country(text)):
        raise _Bad(f"{text!r} is not an ISO 3166 alpha-2 country code")
    return text


# ISO 4217 codes that are not money a carrier bills in: metals, fund units, test, none.
_NOT_MONEY = frozenset("XAU XAG XPT XPD XDR XBA XBB XBC XBD XSU XUA XTS XXX".split())


def _currency(text: str) -> str:
    if not (len(text) == 3 and text.isupper() and pycountry.currencies.get(alpha_3=text)):
        raise _Bad(f"{text!r} is not an ISO 4217 currency code")
    if text in _NOT_MONEY:
        raise _Bad(f"{text} is not a currency rates are billed in")
    return text


def _zone(text: str) -> str:
    if not _ZONE.match(text):
        raise _Bad(f"{text!r} is not a zone name (up to 32 letters, digits, _ . -)")
    return text


def _prefixes(country: str | None, text: str) -> tuple[str, ...]:
    items = text.upper().replace("-", "").split()
    pattern = _SPACED_PREFIX if country in SPACED_POSTCODE_COUNTRIES else _PREFIX
    bad = [p for p in items if not pattern.match(p)]
    if bad:
        what = (
            "postcode areas or outward codes (HS, KW15)"
            if pattern is _SPACED_PREFIX
            else "postcode prefixes (letters and digits)"
        )
        raise _Bad(f"{', '.join(bad)}: expected {what}")
    return tuple(items)


def _text(text: str) -> str:
    return text


SETTINGS: dict[str, Callable[[str], Any]] = {
    "carrier": _ident,
    "service": _ident,
    "name": _text,
    "version": _text,
    "effective_from": _date,
    "effective_to": _date,
    "currency": _currency,
    "divisor": lambda t: _int(t, positive=True),
    "pricing": lambda t: t if t in ("shipment", "parcel") else _reject("shipment or parcel"),
    "fuel_surcharge_pct": lambda t: _decimal(t, places=2, maximum=100),
    "minimum_charge": _money,
    "max_weight_kg": _kg,
    "max_length_cm": _cm,
    "remote_area_flat": _money,
    "remote_area_per_kg": _money,
    "remote_area_minimum": _money,
    "sample": _bool,
    "note": _text,
}


def _reject(expected: str) -> Any:
    raise _Bad(f"expected {expected}")


# --- the parse ----------------------------------------------------------------------------


@dataclass
class _Draft:
    """What the rows said so far, each item with the line that said it."""

    settings: dict[str, tuple[Any, int]] = field(default_factory=dict)
    zones: list[tuple[str, str, tuple[str, ...], str, int]] = field(default_factory=list)
    bands: dict[str, list[tuple[Decimal, Decimal, int]]] = field(default_factory=dict)
    steps: dict[str, tuple[Decimal, int]] = field(default_factory=dict)
    transit: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    remote: dict[str, list[str]] = field(default_factory=dict)
    oversize: list[OversizeRule] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, line: int | None, fld: str, msg: str) -> None:
        self.items.append({"line": line, "field": fld, "msg": msg})


def _decode(data: bytes | str, errors: _Errors) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not a cell
    except UnicodeDecodeError as exc:
        errors.add(data[: exc.start].count(b"\n") + 1, "file", "not UTF-8 text")
        return None


def parse_rate_card_csv(data: bytes | str) -> RateCard:
    """One rate card from its CSV, or RateCardRejected listing every bad row."""
    errors = _Errors()
    text = _decode(data, errors)
    if text is None:
        raise RateCardRejected(errors.items)
    draft = _Draft()
    reader = csv.reader(io.StringIO(text))
    rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.add(reader.line_num, "file", f"not readable as CSV: {exc}")
            break
        line = reader.line_num
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        if not cells or cells[0].startswith("#") or cells[0].lower() == "record":
            continue
        rows += 1
        _row(draft, cells, line, errors)
    if rows == 0 and not errors.items:
        errors.add(None, "file", "no rows: a card needs card, zone, band and transit rows")
    card = _assemble(draft, errors) if not errors.items else None
    if errors.items or card is None:
        raise RateCardRejected(sorted(errors.items, key=lambda e: e["line"] or 0))
    return card


def _row(draft: _Draft, cells: list[str], line: int, errors: _Errors) -> None:
    record = cells[0]
    columns = RECORDS.get(record)
    if columns is None:
        hint = " (use commas between cells)" if ";" in record or "\t" in record else ""
        errors.add(
            line, "record", f"unknown record type {record!r}{hint}; one of {', '.join(RECORDS)}"
        )
        return
    values = cells[1:]
    if len(values) > len(columns):
        errors.add(
            line,
            record,
            f"{len(values)} values, expected {len(columns)}: {', '.join(columns)}",
        )
        return
    values += [""] * (len(columns) - len(values))
    row = dict(zip(columns, values, strict=True))
    ok = True
    for col, value in row.items():
        if (
            not value
            and (record, col) not in OPTIONAL_COLUMNS
            and not (record == "card" and col == "value")
        ):
            errors.add(line, f"{record}.{col}", "required")
            ok = False
    if not ok:
        return

    def parse(col: str, fn: Callable[[str], Any]) -> Any:
        try:
            return fn(row[col])
        except _Bad as exc:
            errors.add(line, f"{record}.{col}", str(exc))
            return None

    before = len(errors.items)
    if record == "card":
        key = row["key"]
        fn = SETTINGS.get(key)
        if fn is None:
            errors.add(line, "card.key", f"unknown setting {key!r}; one of {', '.join(SETTINGS)}")
        elif key in draft.settings:
            errors.add(line, f"card.{key}", f"set again (first on line {draft.settings[key][1]})")
        elif row["value"] == "":
            draft.settings[key] = (None, line)  # explicitly empty: the default
        else:
            try:
                draft.settings[key] = (fn(row["value"]), line)
            except _Bad as exc:
                errors.add(line, f"card.{key}", str(exc))
    elif record == "zone":
        origin = parse("origin_country", _country)
        dest = parse("destination_country", _country)
        prefixes = parse("postcode_prefixes", lambda t: _prefixes(dest, t))
        zone = parse("zone", _zone)
        if len(errors.items) == before:
            draft.zones.append((origin, dest, prefixes, zone, line))
    elif record == "band":
        zone = parse("zone", _zone)
        max_kg = parse("max_kg", _band_kg)
        price = parse("price", _money)
        if len(errors.items) == before:
            draft.bands.setdefault(zone, []).append((max_kg, price, line))
    elif record == "step":
        zone = parse("zone", _zone)
        price = parse("price_per_half_kg", _money)
        if len(errors.items) == before:
            if zone in draft.steps:
                errors.add(
                    line,
                    "step.zone",
                    f"zone {zone} has a step row already (line {draft.steps[zone][1]})",
                )
            else:
                draft.steps[zone] = (price, line)
    elif record == "transit":
        zone = parse("zone", _zone)
        low = parse("min_days", _int)
        high = parse("max_days", _int)
        if len(errors.items) == before:
            if low > high:
                errors.add(line, "transit.max_days", f"{high} is less than min_days {low}")
            elif zone in draft.transit:
                errors.add(
                    line,
                    "transit.zone",
                    f"zone {zone} has a transit row already (line {draft.transit[zone][2]})",
                )
            else:
                draft.transit[zone] = (low, high, line)
    elif record == "remote_area":
        country = parse("country", _country)
        prefixes = parse("postcode_prefixes", lambda t: _prefixes(country, t))
        if len(errors.items) == before:
            draft.remote.setdefault(country, []).extend(prefixes)
    elif record == "oversize":
        side = parse("longest_side_cm", lambda t: _cm(t) if t else None)
        girth = parse("length_plus_girth_cm", lambda t: _cm(t) if t else None)
        amount = parse("amount", _money)
        if len(errors.items) == before:
            if side is None and girth is None:
                errors.add(
                    line,
                    "oversize.longest_side_cm",
                    "give longest_side_cm, length_plus_girth_cm or both",
                )
            else:
                draft.oversize.append(OversizeRule(row["name"], amount, side, girth))
    elif record == "refuse":
        goods = parse("goods_type", _ident)
        if goods is not None:
            draft.refused.add(goods)


def _assemble(draft: _Draft, errors: _Errors) -> RateCard | None:
    """Cross-row checks, then the card. Only called when every row parsed."""
    s = {k: v for k, (v, _) in draft.settings.items()}
    for key in REQUIRED_SETTINGS:
        if s.get(key) is None:
            line = draft.settings[key][1] if key in draft.settings else None
            errors.add(line, f"card.{key}", f"required: add a row 'card,{key},<value>'")
    frm, to = s.get("effective_from"), s.get("effective_to")
    if frm is not None and to is not None and to < frm:
        errors.add(
            draft.settings["effective_to"][1],
            "card.effective_to",
            f"{to} is before effective_from {frm}",
        )
    if not draft.zones:
        errors.add(None, "zone", "no zone rows: the card serves no lane")

    used: dict[str, int] = {}  # zone -> first line a lane uses it
    seen: dict[tuple[str, str, str], int] = {}
    rules: list[ZoneRule] = []
    for origin, dest, prefixes, zone, line in draft.zones:
        used.setdefault(zone, line)
        for prefix in prefixes or ("",):
            rule_key = (origin, dest, prefix)
            if rule_key in seen:
                what = f"postcode prefix {prefix}" if prefix else "the whole country"
                errors.add(
                    line,
                    "zone.postcode_prefixes",
                    f"{origin} to {dest} {what} is zoned already on line {seen[rule_key]}",
                )
                continue
            seen[rule_key] = line
            rules.append(ZoneRule(origin, dest, zone, prefix))
    for zone, line in used.items():
        if zone not in draft.bands:
            errors.add(line, "zone.zone", f"zone {zone} has no band rows")
        if zone not in draft.transit:
            errors.add(line, "zone.zone", f"zone {zone} has no transit row")
    for zone, bands in draft.bands.items():
        if zone not in used:
            errors.add(bands[0][2], "band.zone", f"zone {zone} is not used by any zone row")
            continue
        ordered = sorted(bands)
        for (kg_a, price_a, line_a), (kg_b, price_b, line_b) in zip(
            ordered, ordered[1:], strict=False
        ):
            if kg_a == kg_b:
                errors.add(
                    max(line_a, line_b),
                    "band.max_kg",
                    f"zone {zone} has two bands up to {kg_a} kg (lines {min(line_a, line_b)} and {max(line_a, line_b)})",
                )
            elif price_b < price_a:
                errors.add(
                    line_b,
                    "band.price",
                    f"{price_b} for up to {kg_b} kg is less than {price_a} for up to {kg_a} kg (line {line_a})",
                )
    for zone, (_, line) in draft.steps.items():
        if zone not in used:
            errors.add(line, "step.zone", f"zone {zone} is not used by any zone row")
    for zone, (_, _, line) in draft.transit.items():
        if zone not in used:
            errors.add(line, "transit.zone", f"zone {zone} is not used by any zone row")
    if errors.items:
        return None

    sample = bool(s.get("sample") or False)
    zone_rates = {
        zone: ZoneRates(
            bands=tuple(WeightBand(kg, price) for kg, price, _ in sorted(draft.bands[zone])),
            transit_days_min=draft.transit[zone][0],
            transit_days_max=draft.transit[zone][1],
            step_price_per_half_kg=draft.steps[zone][0] if zone in draft.steps else None,
        )
        for zone in used
    }
    zero = Decimal("0")
    try:
        return RateCard(
            carrier=s["carrier"],
            service=s["service"],
            name=s["name"],
            version=s.get("version") or s["effective_from"].isoformat(),
            effective_from=s["effective_from"],
            effective_to=s.get("effective_to"),
            currency=s["currency"],
            divisor=s.get("divisor"),
            zones=tuple(rules),
            zone_rates=zone_rates,
            pricing_basis=s.get("pricing") or "shipment",
            fuel_surcharge_pct=s.get("fuel_surcharge_pct") or zero,
            remote_areas={c: tuple(dict.fromkeys(p)) for c, p in draft.remote.items()},
            remote_area_surcharge=RemoteAreaSurcharge(
                s.get("remote_area_flat") or zero,
                s.get("remote_area_per_kg") or zero,
                s.get("remote_area_minimum") or zero,
            ),
            oversize_rules=tuple(draft.oversize),
            minimum_charge=s.get("minimum_charge") or zero,
            max_weight_kg=s.get("max_weight_kg"),
            max_length_cm=s.get("max_length_cm"),
            refused_goods=frozenset(draft.refused),
            sample=sample,
            note=s.get("note") or (SAMPLE_NOTE if sample else ""),
        )
    except ValueError as exc:  # the rows passed but the card's own invariants did not
        errors.add(None, "card", str(exc))
        return None


@lru_cache(maxsize=1)
def _samples() -> tuple[RateCard, ...]:
    cards = []
    for path in sorted(SAMPLE_DIR.glob("*.csv")):
        try:
            cards.append(parse_rate_card_csv(path.read_bytes()))
        except RateCardRejected as exc:  # a shipped file must parse; say which one did not
            raise RateCardRejected(
                [{**e, "field": f"{path.name}: {e['field']}"} for e in exc.errors]
            ) from None
    return tuple(cards)


def load_sample_cards() -> list[RateCard]:
    """The shipped SAMPLE cards (every version of each), parsed once per process."""
    return list(_samples())
