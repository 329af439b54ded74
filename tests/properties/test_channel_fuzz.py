"""Channel mappers and the intake routes on generated payloads: never a 5xx, every bad field named.

Payloads are the real fixture payloads (tests/fixtures/<channel>_order.json) with one to three
mutations, half of them at a field the mapper reads and half anywhere (envelopes, containers,
ignored fields): a field dropped, a value of the wrong type, edge numbers (huge, negative, zero,
as JSON numbers and as decimal strings), unicode, nested garbage, empty strings, lists and
objects. They are

- given to the channel's mapper directly, which must return a mapped order or raise its own
  `PayloadError`, nothing else; and
- POSTed to /v1/channels/<channel>/orders through the FastAPI TestClient (built as
  tests/e2e/* build it), which must answer 201, 200, 409 or 422, never 500. Most get a fresh
  external id so that what maps goes through the whole intake; a quarter keep the fixture's,
  taken in first, and meet the idempotency check (200 or 409).

With one mutation, a 422 must name the mutated field: an error's `loc` or `source` is its
native path (without envelopes such as Amazon's "Order."), a path inside it (a container was
mutated), the container it was removed from, or the field it is a fallback for (FALLBACKS).
With several, every error must be about one of the mutated fields.

The dealer CSV upload gets the same treatment on tests/fixtures/dealer_orders.csv: one cell
changed or one column dropped; a 422 names the cell as "line N: column".
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, note, settings
from hypothesis import strategies as st

from adapters.orders.channels import (
    MAPPERS,
    MappedOrder,
    PayloadError,
    map_payload,
    parse_dealer_csv,
)
from adapters.reference.seed import seed_reference
from api.app import build_services, create_app
from api.auth import KeyStore, new_key
from tests.properties.settings import REPRODUCIBLE

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHANNELS = sorted(MAPPERS)
ALLOWED = {200, 201, 409, 422}
# Envelopes around the order object: native paths are relative to what they wrap.
ENVELOPES = {
    "amazon": ("Order",),
    "shopify": ("order",),
    "shopee": ("response", "order_list", 0),
    "tiktok": ("data", "orders", 0),
    "web": (),
}

Path_ = tuple[str | int, ...]


def fixture(channel: str) -> dict:
    return json.loads((FIXTURES / f"{channel}_order.json").read_text(encoding="utf-8"))


def paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path in a JSON document, containers and leaves."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix + (i,)
            yield from paths(v, prefix + (i,))


def render(path: Path_) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + p
    return out


def native(channel: str, path: Path_) -> str:
    """The path as the mapper names it: relative to the order object inside any envelope."""
    envelope = ENVELOPES[channel]
    if path == envelope[: len(path)]:
        return ""  # the envelope itself: whatever it wrapped is affected
    if path[: len(envelope)] == envelope:
        return render(path[len(envelope) :])
    return render(path)  # Amazon's OrderItems beside the Order keep their own name


# Fields read as one value with fallbacks (adapters/orders/channels/*: `first(...)`): when all of them
# are missing, the error names the first, by design, even if the one the order relied on was
# another. "[i]" stands for one item index, the same across a group.
FALLBACKS = {
    "amazon": [
        ("OrderTotal.CurrencyCode", "OrderItems[0].ItemPrice.CurrencyCode"),  # the first item's
        ("BuyerInfo.BuyerName", "ShippingAddress.Name"),
        (
            "ShippingAddress.AddressLine1",
            "ShippingAddress.AddressLine2",
            "ShippingAddress.AddressLine3",
        ),
    ],
    "shopee": [
        ("item_list[i].model_sku", "item_list[i].item_sku"),
        ("item_list[i].model_discounted_price", "item_list[i].model_original_price"),
        ("recipient_address.city", "recipient_address.district", "recipient_address.town"),
        ("recipient_address.name", "buyer_username"),
        ("recipient_address.region", "region"),
    ],
    "shopify": [
        ("customer.first_name", "customer.last_name", "shipping_address.name"),
        ("shipping_address.name", "shipping_address.first_name", "shipping_address.last_name"),
        ("email", "customer.email"),
        ("phone", "customer.phone", "shipping_address.phone"),
        ("shipping_address.province_code", "shipping_address.province"),
    ],
    "tiktok": [
        (
            "recipient_address.name",
            "recipient_address.first_name",
            "recipient_address.last_name",
        ),
        (
            "recipient_address.address_line1",
            "recipient_address.address_line2",
            "recipient_address.address_line3",
            "recipient_address.address_line4",
            "recipient_address.address_detail",
        ),
    ],
    "web": [],
}


def stand_ins(channel: str, mutated: str) -> set[str]:
    """The mutated path and the fields it is a fallback for (or that fall back to it)."""
    out = {mutated}
    for group in FALLBACKS[channel]:
        for member in group:
            pattern = re.escape(member).replace(r"\[i\]", r"\[(\d+)\]")
            m = re.fullmatch(pattern, mutated)
            if m:
                index = m.group(1) if m.groups() else ""
                out |= {g.replace("[i]", f"[{index}]") for g in group}
    return out


def within(a: str, b: str) -> bool:
    """a is b or a path inside b."""
    return a == b or a.startswith((b + ".", b + "["))


def names_path(error_paths: list[str], mutated: str) -> bool:
    """Some error names the mutated path, something inside it, or the container it was in."""
    if mutated == "":  # the envelope itself: the whole order is affected
        return True
    for loc in error_paths:
        if loc in ("", "$"):
            continue
        if within(loc, mutated) or within(mutated, loc):
            return True
    return False


def names_field(channel: str, error_paths: list[str], mutated: str) -> bool:
    return any(names_path(error_paths, m) for m in stand_ins(channel, mutated))


# --- mutations ----------------------------------------------------------------------------

HUGE = [2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63), 10**20, 10**30, -(10**12), 1e308, -1e-308]
STRINGS = [
    "",
    "   ",
    "-1",
    "-0.01",
    "1e5",
    "NaN",
    "Infinity",
    "0x1F",
    "١٢٣",  # Arabic-Indic digits
    "12.345",
    "Zoë Ünïcødé 中文 🚚",
    "\u202eRTL\u200b",
    "\x00",
    "a" * 5_000,
]
GARBAGE = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=6,
)
REPLACEMENTS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1_000, 1_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(STRINGS),
    st.text(max_size=12),
    st.just([]),
    st.just({}),
    GARBAGE,
)
# Numbers at the edges, as JSON numbers and as the decimal strings channels send amounts in.
DIGITS = st.integers(1, 40).flatmap(lambda n: st.integers(10 ** (n - 1), 10**n - 1))  # any length
NUMERIC = st.one_of(
    st.sampled_from(HUGE),
    DIGITS,
    st.tuples(st.booleans(), DIGITS).map(lambda t: -t[1] if t[0] else t[1]),
    DIGITS.map(str),
    st.tuples(DIGITS, st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
    st.sampled_from([0, "0", "0.00", -1, "-1"]),
)


def parse_path(text: str) -> Path_:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", text))


def read_paths(channel: str) -> list[Path_]:
    """The fields the mapper reads from the fixture (its source paths), as document paths."""
    mapped = map_payload(channel, fixture(channel))
    out = []
    for native_path in mapped.source_paths.values():
        path = parse_path(native_path)
        if not (channel == "amazon" and path[0] == "OrderItems"):
            path = ENVELOPES[channel] + path
        out.append(path)
    return sorted(set(out), key=render)


READ = {channel: read_paths(channel) for channel in CHANNELS}


def get(doc: Any, path: Path_) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def exists(doc: Any, path: Path_) -> bool:
    try:
        get(doc, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


@st.composite
def mutation(draw: st.DrawFn, channel: str, doc: Any) -> tuple[str, Path_, Any]:
    """Half the time one of the fields the mapper reads, else any path (envelopes, containers,
    fields it ignores); then drop it, or replace it with a wrong type, an edge number, its
    negation or an empty value."""
    read = [p for p in READ[channel] if exists(doc, p)]
    anywhere = list(paths(doc))
    path = draw(st.sampled_from(read if read and draw(st.booleans()) else anywhere))
    original = get(doc, path)
    kind = draw(st.sampled_from(["drop", "replace", "replace", "numeric", "negate", "empty"]))
    if kind == "negate" and isinstance(original, (int, float)) and not isinstance(original, bool):
        return "replace", path, -original if original else -1
    if kind == "negate" and isinstance(original, str):
        return "replace", path, "-" + original
    if kind == "empty":
        return "replace", path, type(original)() if isinstance(original, (dict, list, str)) else ""
    if kind == "drop":
        return "drop", path, None
    return "replace", path, draw(NUMERIC if kind == "numeric" else REPLACEMENTS)


def apply(doc: Any, kind: str, path: Path_, value: Any) -> None:
    parent = get(doc, path[:-1])
    if kind == "drop":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value


@st.composite
def mutated_payloads(draw: st.DrawFn, channel: str, most: int = 3) -> tuple[dict, list[Path_]]:
    doc = fixture(channel)
    done: list[Path_] = []
    for _ in range(draw(st.integers(1, most))):
        if not isinstance(doc, dict) or not doc:
            break
        kind, path, value = draw(mutation(channel, doc))
        note(f"{kind} {render(path)} = {value!r:.80}")
        apply(doc, kind, path, value)
        done.append(path)
    return doc, done


# --- the mappers directly -------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_mappers_raise_only_their_payload_error(channel):
    @settings(REPRODUCIBLE, max_examples=400)
    @given(mutated_payloads(channel))
    def check(case: tuple[dict, list[Path_]]) -> None:
        payload, _ = case
        try:
            mapped = map_payload(channel, payload)
        except PayloadError as exc:
            assert exc.errors and all(e.loc and e.msg for e in exc.errors)
            return
        assert isinstance(mapped, MappedOrder)
        json.dumps(mapped.canonical)  # plain JSON data

    check()


# --- through HTTP -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> Iterator[TestClient]:
    store = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path_factory.mktemp("fuzz") / "events.db"),
    }
    key, entry = new_key("admin", "admin", None)
    svc = build_services(store, KeyStore([entry]))
    seed_reference(svc.app)
    # The dealers of tests/fixtures/dealer_orders.csv (the sample reference data has others).
    for code, currency, region in [("DLR-ROTTERDAM", "EUR", "NL"), ("DLR-AUSTIN", "USD", "US")]:
        svc.app.reference.register_dealer(
            code, code.title(), Decimal("100000.00"), currency, [region], Decimal("0.00")
        )
    for wh, sku, qty in [
        ("LAX", "SKU-TEA-001", 500),
        ("LAX", "SKU-PHONE-CASE", 500),
        ("FRA", "SKU-WINE-RED", 500),
        ("FRA", "SKU-TEA-001", 500),
        ("FRA", "SKU-PHONE-CASE", 500),
        ("LAX", "SKU-WINE-RED", 500),
    ]:
        svc.app.warehouse.receive_stock(wh, sku, qty, "opening")
    # A 500 must come back as a response to assert on, not as the server's exception.
    with TestClient(create_app(svc), raise_server_exceptions=False) as c:
        c.headers.update({"Authorization": f"Bearer {key}"})
        yield c


ORDER_IDS = {
    "amazon": ("Order", "AmazonOrderId"),
    "shopify": ("order", "id"),
    "shopee": ("response", "order_list", 0, "order_sn"),
    "tiktok": ("data", "orders", 0, "id"),
    "web": ("external_id",),
}
_fresh = itertools.count(1)


def fresh_order(channel: str, payload: Any, mutated: list[Path_]) -> Any:
    """The payload under an external id not taken yet, unless a mutation touched the id (or
    what holds it): a payload that maps to an order then goes all the way through intake
    (review, split, reservation) instead of stopping at 409 against the first one."""
    id_path = ORDER_IDS[channel]
    if any(id_path[: len(p)] == p for p in mutated):
        return payload
    try:
        holder = get(payload, id_path[:-1])
    except (KeyError, IndexError, TypeError):
        return payload
    if isinstance(holder, dict) and id_path[-1] in holder:
        n = next(_fresh)
        holder[id_path[-1]] = n if channel == "shopify" else f"FUZZ-{channel}-{n}"
    return payload


# A quarter of the payloads keep the fixture's external id: taken in already, so they meet the
# idempotency check (200 for the same order or an update from the channel, 409 for another
# buyer or marketplace).
KEEP_ID = st.integers(0, 3).map(lambda n: n == 0)


def post(client: TestClient, channel: str, payload: Any):
    return client.post(f"/v1/channels/{channel}/orders", json=payload)


def errors(response) -> list[list[str]]:
    """Per error, the paths it names: its loc and, for a reference check on a mapped order,
    the native source of that canonical field."""
    return [
        [d.get("loc", "")] + ([d["source"]] if d.get("source") else [])
        for d in response.json().get("detail", [])
    ]


def error_paths(response) -> list[str]:
    return [p for named in errors(response) for p in named]


@pytest.mark.parametrize("channel", CHANNELS)
def test_intake_never_answers_5xx_and_a_422_names_the_mutated_field(client, channel):
    assert post(client, channel, fixture(channel)).status_code in (200, 201)
    statuses: Counter[str] = Counter()

    @settings(REPRODUCIBLE, max_examples=200)
    @given(mutated_payloads(channel, most=1), KEEP_ID)
    def one_mutation(case: tuple[dict, list[Path_]], keep_id: bool) -> None:
        payload, (path,) = case
        r = post(client, channel, payload if keep_id else fresh_order(channel, payload, [path]))
        note(f"{r.status_code} {r.text[:400]}")
        statuses[f"one: {r.status_code}"] += 1
        assert r.status_code in ALLOWED
        if r.status_code == 422:
            assert names_field(channel, error_paths(r), native(channel, path)), (
                render(path),
                r.json(),
            )

    @settings(REPRODUCIBLE, max_examples=100)
    @given(mutated_payloads(channel, most=3), KEEP_ID)
    def several_mutations(case: tuple[dict, list[Path_]], keep_id: bool) -> None:
        payload, mutated = case
        r = post(client, channel, payload if keep_id else fresh_order(channel, payload, mutated))
        note(f"{r.status_code} {r.text[:400]}")
        statuses[f"several: {r.status_code}"] += 1
        assert r.status_code in ALLOWED
        if r.status_code == 422:
            # Every error is about something that was mutated: none about a field left alone.
            names = [native(channel, p) for p in mutated]
            for named in errors(r):
                assert any(names_field(channel, named, n) for n in names), (named, names)

    one_mutation()
    several_mutations()
    print(f"{channel}: {dict(sorted(statuses.items()))}")
    # Both kinds of answer are reached: orders taken in, and payloads refused.
    assert statuses["one: 201"] + statuses["one: 200"] >= 10
    assert statuses["one: 422"] >= 10


# --- the dealer CSV upload ----------------------------------------------------------------

DEALER_CSV = (FIXTURES / "dealer_orders.csv").read_text(encoding="utf-8")
CELL_TEXT = st.one_of(
    st.sampled_from(STRINGS[:-1]),  # the 5,000-character string is one cell too many here
    st.text(max_size=12),
    NUMERIC.map(str),
    st.sampled_from(["a,b", 'say "hi"', "two\nlines", ";", "0", "-3", "1.5", "12,50"]),
)


@st.composite
def mutated_dealer_files(draw: st.DrawFn) -> tuple[bytes, int, str]:
    """The fixture with one cell changed (its file line and column returned) or one column
    dropped (line 1, that column); most files get new order numbers."""
    rows = list(csv.reader(io.StringIO(DEALER_CSV)))
    header = rows[0]
    column = draw(st.sampled_from(header))
    at = header.index(column)
    if draw(st.integers(0, 9)) == 0:
        rows = [r[:at] + r[at + 1 :] for r in rows]
        line = 1
    else:
        line = draw(st.integers(2, len(rows)))
        rows[line - 1][at] = draw(CELL_TEXT)
    if column not in ("dealer_id", "order_number") and not draw(KEEP_ID):
        # New order numbers, so a file that maps goes through intake instead of meeting 409.
        suffix, number = f"-F{next(_fresh)}", rows[0].index("order_number")
        for r in rows[1:]:
            r[number] += suffix
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8"), line, column


def names_cell(named: list[str], msg: str, line: int, column: str) -> bool:
    """The error is at that cell; or at the same column of another row of the same order,
    saying which line it differs from (the rows of an order disagree: either may be wrong);
    or, for a dropped column, at the header."""
    if line == 1:
        return "line 1: header" in named
    if f"line {line}: {column}" in named or f"line {line}: row" in named:
        return True
    return any(n.endswith(f": {column}") for n in named) and f"on line {line} " in msg


def test_dealer_csv_upload_never_answers_5xx_and_a_422_names_the_cell(client):
    statuses: Counter[int] = Counter()

    @settings(REPRODUCIBLE, max_examples=150)
    @given(mutated_dealer_files())
    def check(case: tuple[bytes, int, str]) -> None:
        data, line, column = case
        try:
            parse_dealer_csv(data)
        except PayloadError:
            pass
        r = client.post(
            "/v1/channels/dealer/orders:csv", content=data, headers={"Content-Type": "text/csv"}
        )
        note(f"{r.status_code} {r.text[:400]}")
        statuses[r.status_code] += 1
        assert r.status_code in ALLOWED
        if r.status_code == 422:
            details = r.json()["detail"]
            assert any(
                names_cell(named, d.get("msg", ""), line, column)
                for named, d in zip(errors(r), details, strict=True)
            ), (line, column, details)

    check()
    print(f"dealer: {dict(sorted(statuses.items()))}")
    assert statuses[422] >= 10 and statuses[200] + statuses[201] + statuses[409] >= 10


# --- what the properties found (fixed: amounts are refused from a trillion up) ----------------------------------------------------------------

# Found by test_intake_never_answers_5xx_and_a_422_names_the_mutated_field[web] (and by the
# Amazon mapper property, with an int amount), shrunk: the web fixture with lines[1].unit_price
# "100000000000000000000000000" (10^26, 27 digits) is answered 500. 26 digits are taken in.
# Amazon's ItemPrice is the line's total: 10^27 for 2 units is a unit price of 27 digits.
HUGE_PRICE = "1" + "0" * 26


@pytest.mark.parametrize(
    ("channel", "path", "amount"),
    [
        ("web", ("lines", 1, "unit_price"), HUGE_PRICE),
        ("shopify", ("order", "line_items", 0, "price"), HUGE_PRICE),
        (
            "shopee",
            ("response", "order_list", 0, "item_list", 0, "model_discounted_price"),
            HUGE_PRICE,
        ),
        ("amazon", ("OrderItems", 0, "ItemPrice", "Amount"), HUGE_PRICE + "0"),
        ("tiktok", ("data", "orders", 0, "line_items", 2, "sale_price"), HUGE_PRICE),
    ],
    ids=["web", "shopify", "shopee", "amazon", "tiktok"],
)
def test_an_amount_beyond_decimal_precision_is_taken_in_or_refused_naming_it(
    client, channel, path, amount
):
    """Either answer is a fix: the order taken in, or a 422 naming the amount."""
    payload = fixture(channel)
    apply(payload, "replace", path, amount)
    try:
        map_payload(channel, payload)
    except PayloadError as exc:
        assert native(channel, path) in {e.loc for e in exc.errors}
    except Exception as exc:
        raise AssertionError(f"mapper raised {type(exc).__name__}: {exc}") from exc
    r = post(client, channel, fresh_order(channel, payload, [path]))
    assert r.status_code in (201, 422), r.status_code
    if r.status_code == 422:
        assert native(channel, path) in error_paths(r)


def test_a_dealer_amount_beyond_decimal_precision_is_taken_in_or_refused_naming_it(client):
    data = DEALER_CSV.replace(",SKU-WINE-RED,12,9.80", f",SKU-WINE-RED,12,{HUGE_PRICE}")
    data = data.replace("PO-55120", "PO-55120-HUGE").encode()
    try:
        parse_dealer_csv(data)
    except PayloadError as exc:
        assert "line 2: unit_price" in {e.loc for e in exc.errors}
    except Exception as exc:
        raise AssertionError(f"parse_dealer_csv raised {type(exc).__name__}: {exc}") from exc
    r = client.post(
        "/v1/channels/dealer/orders:csv", content=data, headers={"Content-Type": "text/csv"}
    )
    assert r.status_code in (201, 422), r.status_code
