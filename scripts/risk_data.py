"""Web-shop orders from a population of returning customers, with planted risky orders
(labelled), for the risk bench (scripts/bench_risk.py) and the demo (scripts/demo_risk.py).

Normal traffic carries the noise a real shop has, so a single factor is not a verdict: a few
honest customers use a package forwarder, some pay with a card billed elsewhere (a gift), some
order again within the hour, households share an address, new customers sometimes buy big.

Planted risky orders, five patterns seen in card-not-present fraud:
- reshipper: a new customer, a big basket, a forwarder's address, billed in another country;
- burst: a new customer places four orders within forty minutes (card testing, then cash-out);
- drop: four new customers ship to one address within two days;
- takeover: a returning customer suddenly orders eight times their usual to a new address,
  billed at their old postcode;
- reseller: a returning customer orders 20-40 units of one SKU.
Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.reference.seed import load
from scripts.demo_data import NAMES, PLACES, _basket

COUNTRIES = ["US", "US", "US", "GB", "GB", "DE", "FR"]
START = datetime(2026, 9, 1, tzinfo=UTC)
FORWARDER = "c/o Shipito, Suite {n}"
PATTERNS = ("reshipper", "burst", "drop", "takeover", "reseller")


@dataclass
class Customer:
    n: int
    name: str
    country: str
    city: str
    region: str | None
    postcode: str
    line1: str
    scale: float  # how big this customer's baskets usually are

    @property
    def email(self) -> str:
        return f"buyer{self.n}@example.org"


def _prices() -> dict[str, Decimal]:
    return {p["sku"]: Decimal(p["unit_value"]) for p in load("products.json")}


def customer(n: int, rng: random.Random) -> Customer:
    country = rng.choice(COUNTRIES)
    city, region, postcode = rng.choice(PLACES[country][1])
    street = f"{rng.randint(1, 400)} {rng.choice(['Station', 'Mill', 'Park', 'Oak'])} Road"
    return Customer(n, rng.choice(NAMES), country, city, region, postcode, street,
                    rng.choice([1.0, 1.0, 1.0, 1.5, 2.0]))  # fmt: skip


def payload(c: Customer, ext: str, at: datetime, lines: list[tuple[str, int, Decimal]],
            line1: str | None = None, billing: dict[str, Any] | None = None,
            country: str | None = None) -> dict[str, Any]:  # fmt: skip
    where = country or c.country
    if country and country != c.country:
        city, region, postcode = PLACES[where][1][0]
    else:
        city, region, postcode = c.city, c.region, c.postcode
    body: dict[str, Any] = {
        "external_id": ext,
        "placed_at": at.isoformat(),
        "currency": PLACES[where][0],
        "customer": {"name": c.name, "email": c.email, "phone": None},
        "ship_to": {"name": c.name, "line1": line1 or c.line1, "line2": None, "city": city,
                    "region": region, "postcode": postcode, "country": where},
        "lines": [{"sku": s, "quantity": q, "unit_price": str(p)} for s, q, p in lines],
    }  # fmt: skip
    if billing:
        body["billing"] = billing
    return body


def basket(rng: random.Random, c: Customer, prices: dict[str, Decimal], times: float = 1.0):
    lines = _basket(rng, c.country, prices)
    k = max(1, round(c.scale * times))
    return [(s, min(q * k, 6 * k), p) for s, q, p in lines]


def normal_orders(rng: random.Random, people: list[Customer], start: datetime, days: int,
                  per_day: int, prefix: str) -> list[dict[str, Any]]:  # fmt: skip
    """Ordinary traffic over `days` days, with its honest noise."""
    prices = _prices()
    out = []
    weights = [1.0 / (1 + i % 40) for i in range(len(people))]  # some customers order often
    for i in range(days * per_day):
        at = start + timedelta(seconds=rng.randint(0, days * 86400 - 1))
        if rng.random() < 0.04:  # a new customer (the population grows)
            people.append(customer(len(people), rng))
            weights.append(1.0)
            c = people[-1]
        else:
            c = rng.choices(people, weights)[0]
        lines = basket(rng, c, prices, rng.choice([1, 1, 1, 1, 2]) if rng.random() < 0.1 else 1)
        line1 = FORWARDER.format(n=c.n) if rng.random() < 0.01 else None
        billing = None
        if rng.random() < 0.03:  # a gift: paid by someone at another postcode
            billing = {"country": c.country, "postcode": "00000", "line1": "elsewhere"}
        out.append(payload(c, f"{prefix}-{i}", at, lines, line1, billing))
        if rng.random() < 0.02:  # forgot something: a second order within the hour
            later = at + timedelta(minutes=rng.randint(5, 50))
            out.append(payload(c, f"{prefix}-{i}-again", later, basket(rng, c, prices)))
        if rng.random() < 0.01:  # a household: another person at the same address
            other = customer(len(people), rng)
            other.country, other.city, other.region = c.country, c.city, c.region
            other.postcode, other.line1 = c.postcode, c.line1
            people.append(other)
            weights.append(1.0)
    return sorted(out, key=lambda p: p["placed_at"])


def planted(rng: random.Random, people: list[Customer], start: datetime, days: int,
            count: int, prefix: str, history: list[dict[str, Any]],
            patterns: tuple[str, ...] = PATTERNS) -> list[dict[str, Any]]:  # fmt: skip
    """About `count` risky orders (whole patterns), each marked `_risk` with its pattern; a
    takeover or reseller is a customer with at least three orders in `history`."""
    prices = _prices()
    seen = Counter(p["customer"]["email"] for p in history)
    regulars = [c for c in people if seen[c.email] >= 3]
    out: list[dict[str, Any]] = []
    k = 0
    while len(out) < count:
        pattern = patterns[k % len(patterns)]
        at = start + timedelta(seconds=rng.randint(0, days * 86400 - 7200))
        tag = f"{prefix}-{k}"
        k += 1
        if pattern == "reshipper":
            c = customer(10_000 + k, rng)
            c.country = "US"
            other = rng.choice(["NG", "RU", "BR", "VN"])
            out.append(payload(c, tag, at, basket(rng, c, prices, 6), FORWARDER.format(n=k),
                               {"country": other, "postcode": "1000"}, "US") | {"_risk": pattern})  # fmt: skip
        elif pattern == "burst":
            c = customer(10_000 + k, rng)
            for j in range(4):
                when = at + timedelta(minutes=j * rng.randint(5, 13))
                out.append(payload(c, f"{tag}-{j}", when, basket(rng, c, prices, 2))
                           | {"_risk": pattern})  # fmt: skip
        elif pattern == "drop":
            drop = customer(10_000 + k, rng)
            for j in range(4):
                c = customer(20_000 + 10 * k + j, rng)
                c.country, c.city, c.region = drop.country, drop.city, drop.region
                c.postcode, c.line1 = drop.postcode, drop.line1
                when = at + timedelta(hours=j * rng.randint(3, 12))
                out.append(payload(c, f"{tag}-{j}", when, basket(rng, c, prices, 3))
                           | {"_risk": pattern})  # fmt: skip
        elif pattern == "takeover":
            c = rng.choice(regulars)
            billing = {"country": c.country, "postcode": c.postcode}
            elsewhere = rng.choice([x for x in ("US", "GB", "DE", "FR") if x != c.country])
            out.append(payload(c, tag, at, basket(rng, c, prices, 8), "99 Unknown Lane",
                               billing, elsewhere) | {"_risk": pattern})  # fmt: skip
        else:  # reseller
            c = rng.choice(regulars)
            sku = rng.choice(["SKU-PHONE-CASE", "SKU-CHARGER-65W", "SKU-EARBUDS-TWS"])
            out.append(payload(c, tag, at, [(sku, rng.randint(20, 40), prices[sku])])
                       | {"_risk": pattern})  # fmt: skip
    return out


def population(rng: random.Random, n: int = 600) -> list[Customer]:
    return [customer(i, rng) for i in range(n)]
