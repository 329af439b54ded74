"""Reference-data use cases: warehouses, products, dealers and the prohibited-goods list.

Every other context reads reference data through `ReferenceUseCases.current()`, a cache that is
rebuilt only when the notification log shows a change (domains/log_cache.py): reloading
everything every few seconds stalled intake.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.log_cache import LogCached
from domains.reference.compliance import compliance_errors
from domains.reference.import_profiles_app import ImportProfileUseCases
from domains.reference.model import (
    DEALER_OPTIONAL,
    PRODUCT_FIELDS,
    PRODUCT_OPTIONAL,
    Dealer,
    Product,
    ProhibitedGoodsList,
    Warehouse,
)
from domains.store import Store
from domains.warehouse.layout import Layout

REFERENCE_TOPICS = [
    f"domains.reference.model:{aggregate}.{name}"
    for aggregate, names in (
        ("Registry", ("Created", "Added")),
        ("Warehouse", ("Registered", "Revised")),
        ("Product", ("Registered", "Revised")),
        ("ProhibitedGoodsList", ("Created", "Published")),
    )
    for name in names
]


class ReferenceUseCases:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: LogCached[dict[str, Any]] = LogCached(store, REFERENCE_TOPICS, self._load)
        self.import_profiles = ImportProfileUseCases(store, self.get_dealer)

    # ------------------------------------------------------------------ reads
    def current(self) -> dict[str, Any]:
        """`warehouses` (code -> Warehouse), `products` (SKU -> Product), `origins`
        (warehouse -> country), `weights` (SKU -> unit grams), `goods` (SKU -> the goods classes
        carriers screen), `lengths` (SKU -> longest side, mm), `dealers` (codes) and `prohibited` (the list in force,
        or None), cached."""
        return self._cache.get()

    def latest(self) -> dict[str, Any]:
        """`current()` as of everything recorded by now, by any process (one look at the log;
        a reload only when reference data changed since the cache was built). Ask it before
        answering that a SKU, warehouse or dealer is unknown: another process may have
        acknowledged it a moment ago. Never per request: `current()` is the fast path."""
        return self._cache.latest()

    def _load(self) -> dict[str, Any]:
        registry = self.store.registry()
        get = self.store.repository.get
        products: dict[str, Product] = {
            sku: get(Product.create_id(sku)) for sku in registry.entries["product"]
        }
        warehouses: dict[str, Warehouse] = {
            code: get(Warehouse.create_id(code)) for code in registry.entries["warehouse"]
        }
        return {
            "warehouses": warehouses,
            "products": products,
            # what the intake's lane screen reads per order, kept beside the aggregates
            "origins": {code: w.country for code, w in warehouses.items()},
            "weights": {sku: p.unit_weight_g for sku, p in products.items()},
            "goods": {sku: p.goods_classes() for sku, p in products.items()},
            "lengths": {sku: max(p.dimensions_mm or [0]) for sku, p in products.items()},
            "dealers": list(registry.entries["dealer"]),
            "prohibited": self.store.get_or_none(ProhibitedGoodsList.create_id()),
        }

    def invalidate(self) -> None:
        self._cache.invalidate()

    def product(self, sku: str) -> Product:
        product = self.current()["products"].get(sku)
        if product is None:
            product = self.latest()["products"].get(sku)
        if product is None:
            raise NotFound("product", sku)
        return product  # type: ignore[no-any-return]

    def warehouse(self, code: str) -> Warehouse:
        warehouse = self.current()["warehouses"].get(code)
        if warehouse is None:
            warehouse = self.latest()["warehouses"].get(code)
        if warehouse is None:
            raise NotFound("warehouse", code)
        return warehouse  # type: ignore[no-any-return]

    def layout_of(self, warehouse_id: str) -> Layout:
        warehouse = self.warehouse(warehouse_id)
        if not warehouse.layout:
            raise InvalidTransition(f"warehouse {warehouse_id} has no layout yet")
        return Layout.from_dict(warehouse.layout)

    def get_dealer(self, code: str) -> Dealer:
        dealer = self.store.get_or_none(Dealer.create_id(code))
        if dealer is None:
            raise NotFound("dealer", code)
        return dealer  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ commands
    def _upsert(self, kind: str, cls: Any, key: str, values: dict[str, Any]) -> tuple[Any, bool]:
        registry = self.store.registry()
        current = self.store.get_or_none(cls.create_id(key))
        if current is None:
            aggregate = cls(key, **values)
            registry.add(kind, key)
            self.store.commit(aggregate, registry)
            self.invalidate()
            return aggregate, True
        changes = {k: v for k, v in values.items() if getattr(current, k) != v}
        if not changes:
            return current, False
        current.revise(changes)
        registry.add(kind, key)
        self.store.commit(current, registry)
        self.invalidate()
        return current, True

    def register_warehouse(
        self,
        code: str,
        name: str,
        country: str,
        city: str,
        address: str,
        layout: dict[str, Any] | None = None,
    ) -> tuple[Warehouse, bool]:
        values = {"name": name, "country": country, "city": city, "address": address}
        warehouse, changed = self._upsert("warehouse", Warehouse, code, values)
        if layout is not None and warehouse.layout != layout:
            warehouse.revise({"layout": layout})
            self.store.commit(warehouse)
            self.invalidate()
            changed = True
        return warehouse, changed

    def register_product(self, sku: str, **values: Any) -> tuple[Product, bool]:
        missing = [f for f in PRODUCT_FIELDS if f not in values]
        if missing:
            raise ValidationFailed([{"loc": f, "msg": "field required"} for f in missing])
        bad = compliance_errors(values.get("compliance"))
        if bad:
            raise ValidationFailed(bad)
        product, changed = self._upsert(
            "product", Product, sku, {f: values[f] for f in PRODUCT_FIELDS}
        )
        return product, self._revise_optional(product, PRODUCT_OPTIONAL, values) or changed

    def _revise_optional(self, aggregate: Any, fields: dict[str, Any], values: dict) -> bool:
        """Optional settings travel as a revision, so the Registered event keeps its shape;
        None leaves a setting as it is. Answers whether anything changed."""
        extra = {
            f: values[f]
            for f in fields
            if f in values and values[f] is not None and getattr(aggregate, f) != values[f]
        }
        if extra:
            aggregate.revise(extra)
            self.store.commit(aggregate)
            self.invalidate()
        return bool(extra)

    def register_dealer(
        self,
        code: str,
        name: str,
        credit_limit: Decimal,
        currency: str,
        regions: list[str],
        unpaid_balance: Decimal,
        **optional: Any,
    ) -> tuple[Dealer, bool]:
        """`optional`: DEALER_OPTIONAL settings (payment terms, IBAN)."""
        values = {
            "name": name,
            "credit_limit": credit_limit,
            "currency": currency,
            "regions": list(regions),
            "unpaid_balance": unpaid_balance,
        }
        dealer, changed = self._upsert("dealer", Dealer, code, values)
        return dealer, self._revise_optional(dealer, DEALER_OPTIONAL, optional) or changed

    def publish_prohibited(
        self, rules: dict[str, list[dict[str, str]]], source: str
    ) -> tuple[ProhibitedGoodsList, bool]:
        current = self.store.get_or_none(ProhibitedGoodsList.create_id())
        if current is None:
            current = ProhibitedGoodsList()
        elif current.rules == rules:
            return current, False
        current.publish(rules=rules, source=source)
        self.store.commit(current)
        self.invalidate()
        return current, True
