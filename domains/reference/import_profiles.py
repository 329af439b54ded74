"""Dealer import profiles: how one dealer's own purchase-order export reads as our orders.

A profile maps canonical fields to the dealer's column names (with defaults and constants), says
how the dealer writes dates (strptime patterns and the IANA zone of dates without an offset),
numbers (decimal and thousands separators) and the file (encoding, delimiter, header line).
Profiles are versioned reference data: each revision is an event carrying its version number,
and every order taken in through a profile records the profile and version that mapped it.

Pure: standard library only (zoneinfo reads the tz database, as the clock-free `ZoneInfo` does
wherever it is asked; nothing here runs inside an event body).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id

# Canonical fields a profile can fill: order level (the same on every row of one order), line
# level (one per row) and the order's amounts (order level, optional).
ORDER_FIELDS = (
    "order_number",
    "placed_at",
    "currency",
    "customer_name",
    "customer_email",
    "customer_phone",
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_region",
    "ship_postcode",
    "ship_country",
)
LINE_FIELDS = ("sku", "quantity", "unit_price")
AMOUNT_FIELDS = ("items_discount", "shipping", "shipping_discount", "tax", "fees", "total")
FIELDS = (*ORDER_FIELDS, *LINE_FIELDS, *AMOUNT_FIELDS)
REQUIRED = (
    "order_number",
    "placed_at",
    "currency",
    "customer_name",
    "ship_name",
    "ship_line1",
    "ship_city",
    "ship_country",
    *LINE_FIELDS,
)
COLUMN_ONLY = ("order_number", "sku")  # these identify the order and the line: never a constant
ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}
ENCODINGS |= {"iso8859-1": "latin-1", "utf-16": "utf-16"}  # codecs' names -> ours
DELIMITERS = (",", ";", "\t", "|")
DECIMAL_SEPARATORS = (".", ",")
THOUSANDS_SEPARATORS = ("", ".", ",", " ", "'", "\u00a0")
MAX_HEADER_ROW = 50
MAX_NAME = 200
CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_SAMPLE = datetime(2026, 12, 7, 14, 30, 45, tzinfo=UTC)  # aware, so %z writes an offset
_DIRECTIVE = re.compile(r"%(.)")
_KNOWN_DIRECTIVES = set("dmyYHIpMSfbBaAjz%")
_HAS_DAY, _HAS_MONTH, _HAS_YEAR = set("dj"), set("mbBj"), set("yY")


@dataclass(frozen=True)
class ImportProfile:
    """One version of a dealer's profile, as the file reader needs it."""

    dealer_id: str
    code: str
    version: int
    columns: dict[str, str]
    defaults: dict[str, str]
    constants: dict[str, str]
    date_formats: tuple[str, ...]
    time_zone: str
    decimal_separator: str = "."
    thousands_separator: str = ""
    delimiter: str | None = None  # None: sniffed from the header line
    encoding: str = "utf-8"
    header_row: int = 1
    tax_included: bool = False

    @classmethod
    def of(cls, dealer_id: str, code: str, version: int, spec: dict[str, Any]) -> ImportProfile:
        return cls(
            dealer_id=dealer_id,
            code=code,
            version=version,
            columns=dict(spec.get("columns") or {}),
            defaults=dict(spec.get("defaults") or {}),
            constants=dict(spec.get("constants") or {}),
            date_formats=tuple(spec.get("date_formats") or ()),
            time_zone=spec["time_zone"],
            decimal_separator=spec.get("decimal_separator", "."),
            thousands_separator=spec.get("thousands_separator", ""),
            delimiter=spec.get("delimiter"),
            encoding=normal_encoding(spec.get("encoding", "utf-8")) or "utf-8",
            header_row=spec.get("header_row", 1),
            tax_included=bool(spec.get("tax_included", False)),
        )

    @property
    def reference(self) -> dict[str, Any]:
        """What an order records about the profile that mapped it."""
        return {"dealer_id": self.dealer_id, "id": self.code, "version": self.version}


def normal_encoding(name: Any) -> str | None:
    """Our name for an encoding a profile may name (any spelling `codecs` knows), else None."""
    if not isinstance(name, str) or not 0 < len(name) <= 40:
        return None
    try:
        return ENCODINGS.get(codecs.lookup(name).name)
    except (LookupError, ValueError):
        return None


def date_format_problem(pattern: Any) -> str | None:
    """Why a strptime pattern cannot read a dealer's dates, or None."""
    if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 64:
        return "expected a strptime pattern (up to 64 characters) such as '%d.%m.%Y %H:%M'"
    directives = set(_DIRECTIVE.findall(pattern))
    unknown = sorted(directives - _KNOWN_DIRECTIVES)
    if unknown:
        return f"unknown directive(s) {', '.join('%' + d for d in unknown)} in {pattern!r}"
    missing = [
        name
        for name, needed in (("day", _HAS_DAY), ("month", _HAS_MONTH), ("year", _HAS_YEAR))
        if not directives & needed and not (name != "year" and "j" in directives)
    ]
    if missing:
        return f"{pattern!r} has no {' or '.join(missing)}"
    try:  # the pattern must read back what it writes
        datetime.strptime(_SAMPLE.strftime(pattern), pattern)
    except ValueError as exc:
        return f"{pattern!r} cannot be read back: {exc}"
    return None


def _canonical_value_problem(field: str, value: Any) -> str | None:
    """A default or constant is written as in the canonical order (not the dealer's format)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        return f"expected a non-empty text up to {MAX_NAME} characters"
    if field == "currency" and not re.fullmatch(r"[A-Z]{3}", value):
        return f"expected an ISO 4217 code such as 'EUR', got {value!r}"
    if field == "ship_country" and not re.fullmatch(r"[A-Z]{2}", value):
        return f"expected an ISO 3166-1 alpha-2 code such as 'DE', got {value!r}"
    if field == "quantity" and not re.fullmatch(r"[1-9][0-9]{0,6}", value):
        return f"expected a positive whole number, got {value!r}"
    if field in ("unit_price", *AMOUNT_FIELDS):
        try:
            ok = Decimal(value) >= 0 and re.fullmatch(r"\d+(\.\d+)?", value) is not None
        except InvalidOperation:
            ok = False
        if not ok:
            return f"expected a decimal amount such as '4.90', got {value!r}"
    if field == "placed_at":
        return "a date is never defaulted: map it to a column"
    return None


def _mapping_errors(spec: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    known = ", ".join(FIELDS)
    for section in ("columns", "defaults", "constants"):
        entries = spec.get(section) or {}
        if not isinstance(entries, dict):
            errors.append({"loc": section, "msg": "expected an object: canonical field -> value"})
            continue
        for field, value in entries.items():
            loc = f"{section}.{field}"
            if field not in FIELDS:
                errors.append({"loc": loc, "msg": f"unknown canonical field; expected {known}"})
            elif section == "columns":
                if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
                    errors.append({"loc": loc, "msg": "expected the dealer's column name"})
            else:
                problem = _canonical_value_problem(field, value)
                if field in COLUMN_ONLY:
                    problem = "identifies the order or line: map it to a column"
                if problem:
                    errors.append({"loc": loc, "msg": problem})
    columns, constants = spec.get("columns") or {}, spec.get("constants") or {}
    if isinstance(columns, dict) and isinstance(constants, dict):
        for field in sorted(set(columns) & set(constants), key=FIELDS.index):
            errors.append({"loc": f"constants.{field}", "msg": "also mapped to a column"})
        given = {*columns, *constants, *(spec.get("defaults") or {})}
        for field in REQUIRED:
            if field not in given:
                errors.append(
                    {
                        "loc": f"columns.{field}",
                        "msg": "required: map it to a column, or give a constant or default",
                    }
                )
    return errors


def _format_errors(spec: dict[str, Any]) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    formats = spec.get("date_formats") or []
    if not isinstance(formats, list) or len(formats) > 10:
        errors.append({"loc": "date_formats", "msg": "expected a list of up to 10 patterns"})
        formats = []
    for i, pattern in enumerate(formats):
        problem = date_format_problem(pattern)
        if problem:
            errors.append({"loc": f"date_formats[{i}]", "msg": problem})
    zone = spec.get("time_zone")
    try:
        if not isinstance(zone, str) or not 0 < len(zone) <= 64:  # IANA names are short
            raise ValueError
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name no file can have
        errors.append(
            {
                "loc": "time_zone",
                "msg": f"unknown IANA time zone {str(zone)[:80]!r}, e.g. 'Europe/Berlin'",
            }
        )
    decimal, thousands = spec.get("decimal_separator", "."), spec.get("thousands_separator", "")
    if decimal not in DECIMAL_SEPARATORS:
        errors.append({"loc": "decimal_separator", "msg": "expected '.' or ','"})
    if thousands not in THOUSANDS_SEPARATORS or thousands == decimal:
        options = ", ".join(repr(s) for s in THOUSANDS_SEPARATORS)
        errors.append(
            {"loc": "thousands_separator", "msg": f"expected one of {options}, not the decimal"}
        )
    delimiter = spec.get("delimiter")
    if delimiter is not None and delimiter not in DELIMITERS:
        options = ", ".join(repr(s) for s in DELIMITERS)
        errors.append({"loc": "delimiter", "msg": f"expected one of {options}, or null to sniff"})
    if normal_encoding(spec.get("encoding", "utf-8")) is None:
        names = ", ".join(sorted(set(ENCODINGS.values())))
        errors.append({"loc": "encoding", "msg": f"unknown encoding; expected one of {names}"})
    row = spec.get("header_row", 1)
    if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row <= MAX_HEADER_ROW:
        errors.append({"loc": "header_row", "msg": f"expected a line from 1 to {MAX_HEADER_ROW}"})
    if not isinstance(spec.get("tax_included", False), bool):
        errors.append({"loc": "tax_included", "msg": "expected true or false"})
    return errors


def profile_errors(spec: Any) -> list[dict[str, str]]:
    """Everything wrong with a profile, each naming its field; [] when it can be saved."""
    if not isinstance(spec, dict):
        return [{"loc": "profile", "msg": "expected an object"}]
    allowed = {
        "name",
        "columns",
        "defaults",
        "constants",
        "date_formats",
        "time_zone",
        "decimal_separator",
        "thousands_separator",
        "delimiter",
        "encoding",
        "header_row",
        "tax_included",
    }
    errors = [{"loc": k, "msg": "unknown setting"} for k in spec if k not in allowed]
    return errors + _mapping_errors(spec) + _format_errors(spec)


# ---------------------------------------------------------------------------- aggregates
class DealerImportProfile(Aggregate):
    """One profile of one dealer; every version it had, newest last."""

    @staticmethod
    def create_id(dealer_id: str, code: str) -> UUID:
        return stable_id("dealer-import-profile", dealer_id, code)

    @event("Created")
    def __init__(
        self, dealer_id: str, code: str, spec: dict[str, Any], version: int, by: str, at: str
    ) -> None:
        self.dealer_id = dealer_id
        self.code = code
        self.spec = spec
        self.profile_version = version
        self.versions = [{"version": version, "spec": spec, "by": by, "at": at}]

    @event("Revised")
    def revise(self, spec: dict[str, Any], version: int, by: str, at: str) -> None:
        if version != self.profile_version + 1:
            raise InvalidTransition(
                f"profile {self.code} is at version {self.profile_version}; got {version}"
            )
        self.spec = spec
        self.profile_version = version
        self.versions.append({"version": version, "spec": spec, "by": by, "at": at})

    def current(self) -> ImportProfile:
        return ImportProfile.of(self.dealer_id, self.code, self.profile_version, self.spec)

    def details(self, *, with_versions: bool = False) -> dict[str, Any]:
        out = {
            "id": self.code,
            "dealer_id": self.dealer_id,
            "version": self.profile_version,
            "profile": self.spec,
        }
        if with_versions:
            out["versions"] = [
                {"version": v["version"], "profile": v["spec"], "by": v["by"], "at": v["at"]}
                for v in self.versions
            ]
        return out


class DealerImportProfiles(Aggregate):
    """Which profiles a dealer has, and its default (the store cannot list streams by kind)."""

    @staticmethod
    def create_id(dealer_id: str) -> UUID:
        return stable_id("dealer-import-profiles", dealer_id)

    @event("Created")
    def __init__(self, dealer_id: str) -> None:
        self.dealer_id = dealer_id
        self.codes: list[str] = []
        self.default: str | None = None

    @event("Added")
    def add(self, code: str) -> None:
        if code in self.codes:
            raise InvalidTransition(f"dealer {self.dealer_id} already has profile {code}")
        self.codes.append(code)

    @event("DefaultChosen")
    def choose_default(self, code: str | None) -> None:
        if code is not None and code not in self.codes:
            raise InvalidTransition(f"dealer {self.dealer_id} has no profile {code}")
        self.default = code
