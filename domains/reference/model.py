"""Reference data as versioned event streams: warehouses, products, dealers, prohibited goods.

Each change is an event, so the version a decision was checked against is the stream's version,
and an earlier state can always be read back. A registry stream lists what exists, because the
event store can look streams up by id but cannot enumerate them by kind.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import InvalidTransition, stable_id
from domains.reference.compliance import goods_classes


class Warehouse(Aggregate):
    layout: dict[str, Any] | None = None  # set by a revision; warehouses start without one

    @staticmethod
    def create_id(code: str) -> UUID:
        return stable_id("warehouse", code)

    @event("Registered")
    def __init__(self, code: str, name: str, country: str, city: str, address: str) -> None:
        self.code = code
        self.name = name
        self.country = country
        self.city = city
        self.address = address

    def details(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "country": self.country,
            "city": self.city,
            "address": self.address,
            "layout": self.layout,
            "version": self.version,
        }

    @event("Revised")
    def revise(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)


PRODUCT_FIELDS = (
    "name",
    "unit_weight_g",
    "dimensions_mm",
    "hs_code",
    "origin_country",
    "unit_value",
    "currency",
    "perishable",
)


# Optional product settings with their defaults; products registered before they existed
# read the default (class attributes), so no event shape changed.
PRODUCT_OPTIONAL = {
    "min_shelf_life_days": 0,
    "expiry_thresholds_days": [7, 30, 90],
    "barcode": None,
    "lead_time_days": 7,
    "pack_size": 1,
    "compliance": None,  # domains/reference/compliance.py: dangerous goods, excise, documents
}


class Product(Aggregate):
    min_shelf_life_days = 0
    expiry_thresholds_days = [7, 30, 90]  # noqa: RUF012 - read-only default
    barcode: str | None = None
    lead_time_days = 7
    pack_size = 1
    compliance: dict[str, Any] | None = None

    @staticmethod
    def create_id(sku: str) -> UUID:
        return stable_id("product", sku)

    @event("Registered")
    def __init__(
        self,
        sku: str,
        name: str,
        unit_weight_g: int,
        dimensions_mm: list[int],
        hs_code: str,
        origin_country: str,
        unit_value: Decimal,
        currency: str,
        perishable: bool,
    ) -> None:
        self.sku = sku
        self.name = name
        self.unit_weight_g = unit_weight_g
        self.dimensions_mm = list(dimensions_mm)
        self.hs_code = hs_code
        self.origin_country = origin_country
        self.unit_value = unit_value
        self.currency = currency
        self.perishable = perishable

    @event("Revised")
    def revise(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    def goods_classes(self) -> frozenset[str]:
        """What carriers refuse or restrict about this product (lithium, alcohol, ...)."""
        return goods_classes(self.hs_code, self.perishable, self.compliance)

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sku": self.sku}
        out.update({f: getattr(self, f) for f in PRODUCT_FIELDS})
        out.update({f: getattr(self, f) for f in PRODUCT_OPTIONAL if f != "compliance"})
        if self.compliance is not None:  # answers about products without any stay as they were
            out["compliance"] = self.compliance
        out["version"] = self.version
        return out


class Dealer(Aggregate):
    """A B2B customer. Open orders are committed against its credit in the order's own save,
    so two concurrent orders can never both squeeze under the limit. At dispatch an order's
    credit moves to its invoice (`open_invoices`, what is still unpaid of each), and a payment
    frees it (domains/receivables/): credit in use = unpaid balance brought in + unpaid
    invoices + open orders, all on this one stream, so the order's save still guards it.

    v2 added the invoices and two optional settings, set by a revision like a product's
    (`DEALER_OPTIONAL`): payment terms in days and the bank account (IBAN) payments come from.
    Older snapshots read "nothing invoiced, 30 days, no IBAN" (`upcast_v1_v2`)."""

    class_version = 2
    payment_terms_days = 30
    iban: str | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("open_invoices", {})

    @staticmethod
    def create_id(code: str) -> UUID:
        return stable_id("dealer", code)

    @event("Registered")
    def __init__(
        self,
        code: str,
        name: str,
        credit_limit: Decimal,
        currency: str,
        regions: list[str],
        unpaid_balance: Decimal,
    ) -> None:
        self.code = code
        self.name = name
        self.credit_limit = credit_limit
        self.currency = currency
        self.regions = list(regions)
        self.unpaid_balance = unpaid_balance
        self.open_orders: dict[str, Decimal] = {}
        self.open_invoices: dict[str, Decimal] = {}

    @event("Revised")
    def revise(self, changes: dict[str, Any]) -> None:
        for key, value in changes.items():
            setattr(self, key, value)

    @property
    def open_orders_total(self) -> Decimal:
        return sum(self.open_orders.values(), Decimal("0"))

    @event("CreditCommitted")
    def commit_credit(self, order_id: str, amount: Decimal) -> None:
        if order_id in self.open_orders:
            raise InvalidTransition(f"credit already committed for order {order_id}")
        self.open_orders[order_id] = amount

    def release_credit(self, order_id: str) -> None:
        if order_id in self.open_orders:
            self._release_credit(order_id=order_id)

    @event("CreditReleased")
    def _release_credit(self, order_id: str) -> None:
        del self.open_orders[order_id]

    @property
    def open_invoices_total(self) -> Decimal:
        return sum(self.open_invoices.values(), Decimal("0"))

    @property
    def credit_in_use(self) -> Decimal:
        return self.unpaid_balance + self.open_invoices_total + self.open_orders_total

    def invoice_credit(
        self, order_id: str, invoice_number: str, amount: Decimal, order_done: bool
    ) -> None:
        """A shipment of `order_id` was invoiced: its `amount` moves from the open order to
        the invoice. Once the order has nothing left to dispatch, whatever it still held (a
        short pick, rounding) is freed with it."""
        held = self.open_orders.get(order_id, Decimal("0"))
        released = held if order_done else min(held, amount)
        self._invoiced(
            order_id=order_id, invoice_number=invoice_number, amount=amount, released=released
        )

    @event("CreditInvoiced")
    def _invoiced(
        self, order_id: str, invoice_number: str, amount: Decimal, released: Decimal
    ) -> None:
        _take(self.open_orders, order_id, released)
        if amount > 0:
            self.open_invoices[invoice_number] = amount

    @event("CreditRepaid")
    def repay_credit(self, invoice_number: str, amount: Decimal) -> None:
        """A payment (or credit on account) settled `amount` of an invoice."""
        if amount > self.open_invoices.get(invoice_number, Decimal("0")):
            raise InvalidTransition(f"invoice {invoice_number} has less than {amount} unpaid")
        _take(self.open_invoices, invoice_number, amount)

    def details(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "credit_limit": str(self.credit_limit),
            "currency": self.currency,
            "regions": self.regions,
            "unpaid_balance": str(self.unpaid_balance),
            "open_orders_total": str(self.open_orders_total),
            "open_orders": len(self.open_orders),
            "version": self.version,
        }


# Optional dealer settings with their defaults (class attributes), set by a revision.
DEALER_OPTIONAL = {"payment_terms_days": 30, "iban": None}


def _take(amounts: dict[str, Decimal], key: str, amount: Decimal) -> None:
    left = amounts.get(key, Decimal("0")) - amount
    if left > 0:
        amounts[key] = left
    else:
        amounts.pop(key, None)


class ProhibitedGoodsList(Aggregate):
    """Per destination country, HS-code prefixes that may not be shipped there.

    One stream; every publication is a new version that review events cite."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("prohibited-goods", "all")

    @event("Created")
    def __init__(self) -> None:
        self.rules: dict[str, list[dict[str, str]]] = {}
        self.source = ""

    @event("Published")
    def publish(self, rules: dict[str, list[dict[str, str]]], source: str) -> None:
        self.rules = {country: list(items) for country, items in rules.items()}
        self.source = source

    def matches(self, country: str, hs_code: str) -> list[dict[str, str]]:
        return [r for r in self.rules.get(country, []) if hs_code.startswith(r["hs_prefix"])]


class Registry(Aggregate):
    """Which warehouses, products and dealers exist (the store cannot list streams by kind)."""

    @staticmethod
    def create_id() -> UUID:
        return stable_id("registry", "reference")

    @event("Created")
    def __init__(self) -> None:
        self.entries: dict[str, list[str]] = {"warehouse": [], "product": [], "dealer": []}

    def add(self, kind: str, key: str) -> None:
        if key not in self.entries.get(kind, []):
            self._add(kind=kind, key=key)

    @event("Added")
    def _add(self, kind: str, key: str) -> None:
        self.entries.setdefault(kind, []).append(key)
