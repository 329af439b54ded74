"""Shared types and helpers for the channel mappers.

Every mapper reads its native payload through `Node`, which records problems
in a shared `Reading` instead of raising, so one call reports every problem at
once. Values travel as `Val(value, native_loc)` until `Reading.assemble` builds
the canonical order and its `source_paths` from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, NoReturn

from domains.orders.amounts import minor_units

ROOT_LOC = "$"  # loc for problems with the payload as a whole


@dataclass(frozen=True)
class FieldError:
    loc: str
    msg: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.msg}"


class PayloadError(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class MappedOrder:
    canonical: dict[str, Any]
    source_paths: dict[str, str]
    # What a file-based channel read to build the order (a dealer file: its rows), recorded as
    # the order's raw payload; None when the raw payload is the pushed body itself.
    raw: Any = None


class Val(NamedTuple):
    value: Any
    loc: str | None
    # Other native fields this value falls back to or is derived from; an
    # error reported at one of them already explains why the value is absent.
    related: tuple[str, ...] = ()


NONE = Val(None, None)


def first(*vals: Val) -> Val:
    """The first value that is present; otherwise the first candidate, so a
    missing-field error names the primary native field."""
    for v in vals:
        if v.value is not None:
            return v
    others = tuple(v.loc for v in vals[1:] if v.loc)
    primary = vals[0]
    return Val(primary.value, primary.loc, primary.related + others)


# --- value parsers: raise Invalid with a message meant for the sender ---------


class Invalid(ValueError):
    pass


def type_name(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def to_quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected a positive integer, got {type_name(value)} {value!r}")
    if value <= 0:
        raise Invalid(f"expected a positive integer, got {value}")
    return value


_DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")
# No order line is worth a trillion; past it an amount is a mistake (and beyond 26 digits it
# no longer fits the 28 significant digits the cents arithmetic works in).
MAX_AMOUNT = Decimal("1000000000000")


def to_money(value: Any) -> Decimal:
    """A non-negative amount. Floats are read through their shortest repr so
    19.9 stays 19.9 rather than 19.899999999999998578915."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise Invalid(f"expected a decimal amount as a string, got {type_name(value)}")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not _DECIMAL_TEXT.fullmatch(text):
        raise Invalid(f"expected a decimal amount like '12.50', got {value!r}")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise Invalid(f"expected a decimal amount, got {value!r}") from exc
    if amount < 0:
        raise Invalid(f"amount must not be negative, got {value!r}")
    if amount >= MAX_AMOUNT:
        raise Invalid(f"amount must be below {MAX_AMOUNT:,}, got {text[:40]}")
    return amount


def to_timestamp(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected an ISO-8601 timestamp string, got {type_name(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid(f"expected an ISO-8601 timestamp, got {value!r}") from exc
    if parsed.tzinfo is None:
        # Without an offset the instant is ambiguous; guessing a zone would
        # silently shift cut-off and SLA calculations.
        raise Invalid(f"timestamp {value!r} has no UTC offset; add 'Z' or '+hh:mm'")
    return parsed.astimezone(UTC).isoformat()


def to_unix_timestamp(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"expected unix seconds as an integer, got {type_name(value)}")
    if value < 0:
        raise Invalid(f"expected unix seconds, got negative {value}")
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError) as exc:
        raise Invalid(f"unix timestamp {value} is out of range") from exc


def to_code(length: int, standard: str) -> Callable[[Any], str]:
    """Shape check only (letters, length); whether the code exists is left to
    the validation layer, which can name the native field via source_paths."""

    def parse(value: Any) -> str:
        code = value.strip().upper() if isinstance(value, str) else None
        if code is None or len(code) != length or not code.isascii() or not code.isalpha():
            raise Invalid(f"expected a {length}-letter {standard} code, got {value!r}")
        return code

    return parse


to_currency = to_code(3, "ISO 4217 currency")
to_country = to_code(2, "ISO 3166-1 alpha-2 country")


# --- money formatting ---------------------------------------------------------

_MAX_UNIT_PLACES = 6


def format_price(amount: Decimal, currency: str | None) -> str:
    """A price quoted by the sender, at the currency's precision. Extra
    non-zero decimals are refused rather than rounded away."""
    places = minor_units(currency)
    quantized = amount.quantize(Decimal(1).scaleb(-places))
    if quantized != amount:
        raise Invalid(
            f"{amount} has more decimal places than {currency or 'the currency'} allows ({places})"
        )
    return str(quantized)


def format_unit_price(line_total: Decimal, quantity: int, currency: str | None) -> str:
    """Unit price derived from a line total. Uses the currency's precision when
    the division is exact; otherwise keeps up to 6 places so quantity x unit
    price still reconciles with the channel's settlement."""
    unit = line_total / quantity
    for places in range(minor_units(currency), _MAX_UNIT_PLACES + 1):
        quantized = unit.quantize(Decimal(1).scaleb(-places))
        if quantized == unit:
            return str(quantized)
    return str(unit.quantize(Decimal(1).scaleb(-_MAX_UNIT_PLACES)))


# --- reading native payloads --------------------------------------------------


def cancellation(reading: Reading, at: Val, reason: Val) -> dict[str, Any] | None:
    """The canonical "cancelled" ({"at", "reason"}) when the channel reports a cancellation
    time, else None (domains/orders/updates.py: the order is cancelled before dispatch)."""
    when = reading.convert(at, to_timestamp)
    return None if when.value is None else {"at": when.value, "reason": reason.value}


class Node:
    """A JSON object at a native path. An absent optional object is an empty
    Node, so callers can read through it without None checks."""

    def __init__(self, reading: Reading, data: Mapping[str, Any], path: str) -> None:
        self.reading = reading
        self.data = data
        self.path = path

    def loc(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def value(self, key: str) -> Val:
        return Val(self.data.get(key), self.loc(key))

    def text(self, key: str) -> Val:
        """Stripped string; blank counts as absent."""
        raw, loc = self.data.get(key), self.loc(key)
        if isinstance(raw, str):
            return Val(raw.strip() or None, loc)
        if raw is not None:
            self.reading.fail(loc, f"expected a string, got {type_name(raw)}")
        return Val(None, loc)

    def child(self, key: str, *, required: bool = False) -> Node:
        raw, loc = self.data.get(key), self.loc(key)
        if isinstance(raw, Mapping):
            return Node(self.reading, raw, loc)
        if raw is None:
            if required:
                self.reading.fail(loc, "missing required object")
        else:
            self.reading.fail(loc, f"expected an object, got {type_name(raw)}")
        return Node(self.reading, {}, loc)

    def optional_children(self, key: str) -> list[Node]:
        """Objects of an optional array: none when it is absent or empty."""
        raw = self.data.get(key)
        return [] if raw is None or raw == [] else self.children(key) or []

    def children(self, key: str) -> list[Node] | None:
        """Objects of a non-empty array; None (with an error) when unusable."""
        raw, loc = self.data.get(key), self.loc(key)
        if raw is None:
            self.reading.fail(loc, "missing required array")
            return None
        if not isinstance(raw, list):
            self.reading.fail(loc, f"expected an array, got {type_name(raw)}")
            return None
        if not raw:
            self.reading.fail(loc, "expected at least one line, got an empty array")
            return None
        nodes = []
        for i, item in enumerate(raw):
            if isinstance(item, Mapping):
                nodes.append(Node(self.reading, item, f"{loc}[{i}]"))
            else:
                self.reading.fail(f"{loc}[{i}]", f"expected an object, got {type_name(item)}")
        return nodes


def street_lines(address: Node, keys: tuple[str, ...]) -> tuple[Val, Val]:
    """The first address line present, and the others joined as the second. Channels leave
    any of them empty (Amazon's AddressLine1 on some marketplaces), so take what is there."""
    present = [v for v in (address.text(k) for k in keys) if v.value]
    if not present:
        return address.text(keys[0]), Val(None, address.loc(keys[1]))
    line1, *rest = present
    if not rest:
        return line1, Val(None, address.loc(keys[1]))
    return line1, Val(", ".join(v.value for v in rest), rest[0].loc)


def full_name(node: Node) -> Val:
    first_name, last_name = node.text("first_name"), node.text("last_name")
    name = " ".join(v.value for v in (first_name, last_name) if v.value)
    return Val(name or None, first_name.loc)


ORDER_FIELDS = (
    "external_id",
    "placed_at",
    "currency",
    "customer.name",
    "customer.email",
    "customer.phone",
    "ship_to.name",
    "ship_to.line1",
    "ship_to.line2",
    "ship_to.city",
    "ship_to.region",
    "ship_to.postcode",
    "ship_to.country",
    "dealer_id",
)
_OPTIONAL = {
    "customer.email",
    "customer.phone",
    "ship_to.line2",
    "ship_to.region",
    "ship_to.postcode",
    "dealer_id",
}
LINE_FIELDS = ("sku", "quantity", "unit_price")
OPTIONAL_LINE_FIELDS = ("discount", "tax")  # zero when absent (domains/orders/amounts.py)
# Each canonical path split once: (path, top-level key, nested key or "").
_ORDER_PATHS = [(path, *path.partition(".")[::2]) for path in ORDER_FIELDS]


class Reading:
    """Collects errors for one payload (or one CSV file)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, loc: str, msg: str) -> None:
        # Fields read twice (e.g. for a fallback) must not report twice.
        error = FieldError(loc, msg)
        if error not in self.errors:
            self.errors.append(error)

    def abort(self, loc: str, msg: str) -> NoReturn:
        """For problems that leave nothing else worth reading."""
        self.fail(loc, msg)
        raise PayloadError(self.errors)

    def root(self, payload: Any) -> Node:
        if not isinstance(payload, Mapping):
            self.abort(ROOT_LOC, f"expected a JSON object, got {type_name(payload)}")
        return Node(self, payload, "")

    def unwrap(self, node: Node, key: str) -> Node:
        """The object under an envelope key, with paths relative to it: the
        channel documents fields by their names inside the order resource."""
        raw = node.data.get(key)
        if not isinstance(raw, Mapping):
            self.abort(node.loc(key), f"expected an object, got {type_name(raw)}")
        return Node(self, raw, "")

    def only_order(self, container: Node, key: str) -> Node:
        """The one order of an API response's order list (container[key]), with paths
        relative to it; the errors read so far (an API error) are raised with any problem."""
        orders, loc = container.data.get(key), container.loc(key)
        if not isinstance(orders, list) or len(orders) != 1:
            count = len(orders) if isinstance(orders, list) else "none"
            self.abort(loc, f"expected exactly one order, got {count}")
        if not isinstance(orders[0], Mapping):
            self.abort(f"{loc}[0]", f"expected an object, got {type_name(orders[0])}")
        self.raise_if_errors()
        return Node(self, orders[0], "")

    def convert(self, val: Val, parse: Callable[[Any], Any]) -> Val:
        if val.value is None:
            return val
        # Val(...) rather than val._replace(...): namedtuple._replace is several times slower,
        # and this runs for most fields of every order.
        try:
            return Val(parse(val.value), val.loc, val.related)
        except Invalid as exc:
            self.fail(val.loc or ROOT_LOC, str(exc))
            return Val(None, val.loc, val.related)

    def _already_reported(self, locs: tuple[str, ...]) -> bool:
        # A bad or missing parent object already explains its missing fields.
        return any(
            loc == e.loc or loc.startswith((e.loc + ".", e.loc + "["))
            for e in self.errors
            for loc in locs
        )

    def _require(self, val: Val, canonical: str) -> None:
        if val.value is None:
            loc = val.loc or canonical
            if not self._already_reported((loc, *val.related)):
                self.fail(loc, "missing required field")

    def assemble(self, fields: dict[str, Val], lines: list[dict[str, Val]]) -> MappedOrder:
        """Nest flat canonical paths into the order dict. Records missing
        required fields; the caller raises once everything has been read."""
        canonical: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for path, head, leaf in _ORDER_PATHS:
            val = fields.get(path, NONE)
            if path not in _OPTIONAL:
                self._require(val, path)
            if leaf:
                section = canonical.get(head)
                if section is None:
                    section = canonical[head] = {}
                section[leaf] = val.value
            else:
                canonical[head] = val.value
            if val.loc is not None:
                sources[path] = val.loc
        canonical["lines"] = []
        for i, line in enumerate(lines):
            out = {}
            for name in LINE_FIELDS:
                val = line.get(name, NONE)
                self._require(val, f"lines[{i}].{name}")
                out[name] = val.value
                if val.loc is not None:
                    sources[f"lines[{i}].{name}"] = val.loc
            for name in OPTIONAL_LINE_FIELDS:
                val = line.get(name, NONE)
                if val.value is not None:
                    out[name] = val.value
                    if val.loc is not None:
                        sources[f"lines[{i}].{name}"] = val.loc
            canonical["lines"].append(out)
        # dealer_id belongs after lines in the documented shape
        canonical["dealer_id"] = canonical.pop("dealer_id")
        return MappedOrder(canonical, sources)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise PayloadError(self.errors)
