"""Loads the shipped reference data (warehouses, products, dealers, prohibited goods).

Idempotent: unchanged data records no new events, so seeding twice is safe."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from adapters.reference.facts import DATA
from domains.crossdock import Crossdock


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def seed_reference(app: Crossdock) -> dict[str, int]:
    changed = {"warehouses": 0, "products": 0, "dealers": 0, "prohibited_goods": 0}
    for w in load("warehouses.json"):
        changed["warehouses"] += app.reference.register_warehouse(
            w["id"], w["name"], w["country"], w["city"], w["address"], w.get("layout")
        )[1]
    for p in load("products.json"):
        values = dict(p)
        sku = values.pop("sku")
        values["unit_value"] = Decimal(values["unit_value"])
        changed["products"] += app.reference.register_product(sku, **values)[1]
    for d in load("dealers.json"):
        changed["dealers"] += app.reference.register_dealer(
            d["id"],
            d["name"],
            Decimal(d["credit_limit"]),
            d["currency"],
            d["regions"],
            Decimal(d["unpaid_balance"]),
        )[1]
    for path in sorted((DATA / "rate_cards").glob("*.csv")):
        changed.setdefault("rate_cards", 0)
        changed["rate_cards"] += app.rates.publish_rate_card(path.read_text(), path.name, "seed")[0][
            "changed"
        ]
    from adapters.customs.rules import shipped_files

    changed["customs_rules"] = int(
        app.customs.publish_customs_rules(shipped_files(), "seed", "shipped rules")[0]["changed"]
    )
    prohibited = load("prohibited_goods.json")
    changed["prohibited_goods"] += app.reference.publish_prohibited(
        prohibited["rules"], prohibited["source"]
    )[1]
    return changed
