"""Customs use cases: draft a declaration when a cross-border shipment is packed, the review
desk (approve, reject, amend with recomputed duties), clearance updates, documents' data and
landed cost. Tariff tables arrive through a port (`TariffLoader`); freight for the customs
value comes from transport's price list (domains/transport/rates.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.borders import Assessment, assess_consignment, crosses_border
from domains.customs.documents import document_data
from domains.customs.drafting import (
    CUSTOMS_SETTINGS,
    SELLER_OVER_EU_DISTANCE_THRESHOLD,
    SELLER_REGISTRATIONS,
    amended,
    declaration_data,
    declared_lines,
    parties,
)
from domains.customs.flags import declaration_flags
from domains.customs.landed import Goods, customs_lines
from domains.customs.model import APPROVED, CustomsNotRequired, CustomsRules, Declaration
from domains.customs.tariff import CustomsLine, Money, landed_cost
from domains.log_cache import LogCached
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.ports import Countries, FxRates
from domains.reference.application import ReferenceUseCases
from domains.store import Store
from domains.transport.rates import RateBook
from domains.transport.rating import Parcel, QuoteRequest

COMMON_CURRENCIES = ("EUR", "GBP", "USD", "AUD", "CAD", "MYR", "SGD", "IDR", "JPY")


CUSTOMS_RULES_TOPICS = [
    f"domains.customs.model:CustomsRules.{name}" for name in ("Created", "Published")
]


TariffLoader = Callable[[dict[str, str]], Any]  # rule files -> TariffTables (adapters/)
RenderDocument = Callable[[dict[str, Any]], bytes]  # document data -> PDF (adapters/customs/documents.py)


class CustomsUseCases:
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        rates: RateBook,
        orders: OrderUseCases,
        *,
        fx: FxRates,
        countries: Countries,
        documents: Mapping[str, RenderDocument],
        tariff_loader: TariffLoader | None = None,
        shipped_tariffs: Any = None,
        shipped_files: dict[str, str] | None = None,
    ) -> None:
        """Without a `tariff_loader` no market has customs rules: every shipment is treated
        as needing no declaration. `shipped_tariffs` (from `shipped_files`) are in force until
        a version is published. `documents` prints each kind of document (PDF) from its data."""
        self.store = store
        self.reference = reference
        self.rates = rates
        self.orders = orders
        self.fx = fx
        self.countries = countries
        self.documents = documents
        self.tariff_loader = tariff_loader
        self.shipped_tariffs = shipped_tariffs
        self.shipped_files = shipped_files
        self._tariffs: LogCached[Any] = LogCached(store, CUSTOMS_RULES_TOPICS, self._load_tariffs)

    @property
    def tariffs(self) -> Any:
        """The rules in force: the latest published version of the rules stream, kept until
        a new one is published (domains/log_cache.py)."""
        if self.tariff_loader is None:
            return None
        return self._tariffs.get()

    def _load_tariffs(self) -> Any:
        stream = self.store.get_or_none(CustomsRules.create_id())
        if self.tariff_loader is None or not (stream and stream.files):
            return self.shipped_tariffs
        return self.tariff_loader(stream.files)

    def publish_customs_rules(
        self, files: dict[str, str], by: str, note: str
    ) -> tuple[dict[str, Any], int]:
        """A new version of the rules (any of the three files; the rest carry over). Rules
        that do not load are refused whole (422) and nothing changes."""
        stream = self.store.get_or_none(CustomsRules.create_id()) or CustomsRules()
        current = dict(stream.files) if stream.files else dict(self.shipped_files or {})
        merged = {**current, **files}
        if self.tariff_loader is None:
            raise InvalidTransition("this installation has no customs rules to publish")
        try:
            tables = self.tariff_loader(merged)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationFailed([{"loc": "rules", "msg": str(exc)}]) from None
        if merged == stream.files:
            return {"changed": False, "version": tables.version}, 0
        stream.publish(files=merged, tables_version=tables.version, published_by=by, note=note)
        nid = self.store.commit(stream)
        self._tariffs.invalidate()
        return {"changed": True, "version": tables.version, "stream_version": stream.version}, nid

    # ------------------------------------------------------------------ helpers
    def _fx_into(self, currencies: set[str], target: str, on: date) -> dict[str, Decimal]:
        out = {}
        for c in currencies | {target}:
            try:
                out[c] = self.fx.rate(c, target, on)[0]
            except (ValueError, KeyError):
                continue  # a currency with no reference rate: checks needing it say so
        return out

    def _currency_of(self, destination: str, on: date, fallback: str) -> str:
        """The destination market's currency; `fallback` where the rules hold no market for it
        (a domestic sale in a country without import rules: nothing is converted)."""
        if self.tariffs.has_rules_for(destination, on):
            return str(self.tariffs.rules_for(destination, on).currency)
        return fallback

    def _consignment(
        self,
        data: dict[str, Any],
        incoterm: str,
        freight: Money | None,
        on: date,
        marketplace: str | None,
    ) -> Assessment:
        """THE customs rule (borders.assess_consignment) on a declaration's data: whether it
        crosses a customs border, its VAT scheme, its duty and taxes."""
        destination = data["destination"]
        currencies = {ln["currency"] for ln in data["lines"]} | set(COMMON_CURRENCIES)
        if freight is not None:
            currencies.add(freight.currency)
        products = self.reference.current()["products"]
        currencies |= {
            products[ln["sku"]].currency for ln in data["lines"] if ln["sku"] in products
        }
        target = self._currency_of(destination, on, data["lines"][0]["currency"])
        fx = self._fx_into(currencies, target, on)
        lines = [
            CustomsLine(
                hs_code=ln["hs_code"],
                value=Decimal(ln["unit_value"]) * ln["quantity"],
                currency=ln["currency"],
                quantity=ln["quantity"],
                description=ln["description"],
                origin=ln["origin_country"],
            )
            for ln in data["lines"]
        ]
        registrations = {k: data.get(k) for k in (*SELLER_REGISTRATIONS, "importer_eori")}
        return assess_consignment(
            lines,
            destination,
            incoterm,
            self.tariffs,
            fx,
            on,
            origin=data["ship_from"],
            freight=freight,
            b2c=data["b2c"],
            registrations=registrations,
            marketplace=marketplace,
            over_eu_distance_threshold=SELLER_OVER_EU_DISTANCE_THRESHOLD,
        )

    def _assess(
        self,
        data: dict[str, Any],
        incoterm: str,
        freight: Money | None,
        packed_weight_g: int | None,
        on: date,
        marketplace: str | None = None,
    ) -> tuple[dict[str, Any], list[dict]]:
        """Duties and flags for a declaration's data: computed before any event. The duties
        carry the border decision (`customs`: territories, VAT scheme, deemed supplier)."""
        assessed = self._consignment(data, incoterm, freight, on, marketplace)
        duties = assessed.duties.as_dict()
        duties["customs"] = assessed.decision.as_dict()
        products = self.reference.current()["products"]
        market = self.tariffs.rules_for(data["destination"], on)
        currencies = {ln["currency"] for ln in data["lines"]} | set(COMMON_CURRENCIES)
        currencies |= {
            products[ln["sku"]].currency for ln in data["lines"] if ln["sku"] in products
        }
        if freight is not None:
            currencies.add(freight.currency)
        fx = self._fx_into(currencies, market.currency, on)
        catalogue = {
            s: {"unit_value": str(p.unit_value), "currency": p.currency}
            for s, p in products.items()
        }
        flags = declaration_flags(data, catalogue, self.tariffs, packed_weight_g, fx=fx, on=on)
        duties["vat"] = str(Decimal(duties["import_vat"]) + Decimal(duties["vat_at_sale"]))
        return duties, flags

    def _freight_estimate(
        self, origin: str, destination: str, parcels: list[dict], on: date
    ) -> Money | None:
        try:
            quoted = self.rates.quote(
                QuoteRequest(
                    origin_country=origin,
                    destination_country=destination,
                    ship_date=on,
                    parcels=[Parcel(p["weight_g"], tuple(p["dimensions_mm"])) for p in parcels],
                )
            )
        except ValueError:
            return None
        if not quoted["rates"]:
            return None
        cheapest = quoted["rates"][0]
        return Money(Decimal(cheapest["total"]), cheapest["currency"])

    # ------------------------------------------------------------------ drafting
    def draft_declaration(self, order: Order, shipment_no: int) -> Declaration | None:
        """Called when a shipment is packed. A shipment that stays inside one customs territory
        (borders.assess_consignment) needs no declaration: None, and the decision (territories,
        VAT scheme, rules versions) is recorded on the order as `CustomsNotRequired`, saved with
        the packing. Without customs rules nothing is decided or recorded."""
        if self.tariffs is None:
            return None
        shipment = order.shipment(shipment_no)
        warehouse = self.reference.current()["warehouses"][shipment["warehouse_id"]]
        destination = order.canonical["ship_to"]["country"]
        on = self.store.clock.now().date()
        entry = order.fulfilment[str(shipment_no)]
        lines = declared_lines(order, shipment_no, self.reference.product)
        packed_g = sum(p["weight_g"] for p in entry["parcels"])
        declared_g = sum(ln["net_weight_g"] for ln in lines)
        data = declaration_data(order, lines, declared_g, warehouse.country, on)
        settings = CUSTOMS_SETTINGS.get(order.channel, CUSTOMS_SETTINGS["web"])
        marketplace = settings.get("marketplace")
        if not crosses_border(self.tariffs, warehouse.country, destination):
            assessed = self._consignment(data, settings["incoterm"], None, on, marketplace)
            d = assessed.duties
            order.trigger_event(
                CustomsNotRequired,
                shipment_no=shipment_no,
                decision={
                    **assessed.decision.as_dict(),
                    "currency": d.currency,
                    "goods_value": str(d.goods_value),
                    "vat_name": d.vat_name,
                    "vat_rate": str(d.vat_rate),
                    "vat_in_price": d.inputs["vat_in_price"],
                    "duty": str(d.duty),
                    "import_vat": str(d.import_vat),
                    "notes": list(d.notes),
                    "on": on.isoformat(),
                },
            )
            return None
        freight = self._freight_estimate(warehouse.country, destination, entry["parcels"], on)
        duties, flags = self._assess(data, settings["incoterm"], freight, packed_g, on, marketplace)
        duties["freight_basis"] = "cheapest quote at packing" if freight else "no quote: zero"
        prohibited = self.reference.current()["prohibited"]
        return Declaration(
            order_id=str(order.id),
            shipment_no=shipment_no,
            channel=order.channel,
            destination=destination,
            origin=warehouse.country,
            incoterm=settings["incoterm"],
            document={
                **data,
                "parcels": entry["parcels"],
                "packed_weight_g": packed_g,
                **parties(order, warehouse),
                "freight": {"amount": str(freight.amount), "currency": freight.currency}
                if freight
                else None,
            },
            duties=duties,
            flags=flags,
            versions={
                "tariff": self.tariffs.version,
                "territories": self.tariffs.territories_version,
                "restrictions": getattr(self.tariffs, "restrictions_version", None),
                "vat": duties.get("tariff_version"),
                "prohibited_list": prohibited.version if prohibited else 0,
            },
            auto_approved=settings["auto_approve"] and not flags,
        )

    # ------------------------------------------------------------------ review desk
    def get_declaration(self, declaration_id: UUID) -> Declaration:
        d = self.store.get_or_none(declaration_id)
        if not isinstance(d, Declaration):
            raise NotFound("declaration", str(declaration_id))
        return d

    def declaration_with_history(self, declaration_id: UUID) -> tuple[Declaration, list[Any]]:
        """A declaration and its order's events, oldest first (what the reviewer weighs)."""
        d = self.get_declaration(declaration_id)
        return d, self.orders.order_events(UUID(d.order_id))

    def declaration_document(self, declaration_id: UUID, kind: str) -> bytes | str:
        """A declaration's commercial invoice or packing list (`documents` prints the PDF), or
        the declaration itself as JSON, all from the same data."""
        d = self.get_declaration(declaration_id)
        order = self.orders.get_order(UUID(d.order_id))
        data = document_data(d, order.fulfilment.get(str(d.shipment_no), {}))
        if kind == "declaration.json":
            return json.dumps(data, default=str)
        return self.documents[kind](data)

    def approve_declaration(
        self, declaration_id: UUID, by: str, note: str
    ) -> tuple[Declaration, int]:
        d = self.get_declaration(declaration_id)
        d.approve(by=by, note=note)
        return d, self.store.commit(d)

    def reject_declaration(
        self, declaration_id: UUID, by: str, reason: str
    ) -> tuple[Declaration, int]:
        d = self.get_declaration(declaration_id)
        d.reject(by=by, reason=reason)
        return d, self.store.commit(d)

    def amend_declaration(
        self, declaration_id: UUID, by: str, reason: str, changes: list[dict[str, Any]]
    ) -> tuple[Declaration, int]:
        """Line changes (description, hs_code, unit_value, quantity, origin_country): duties and
        flags are recomputed before the amendment is recorded."""
        d = self.get_declaration(declaration_id)
        products = self.reference.current()["products"]
        weights = {sku: p.unit_weight_g for sku, p in products.items()}
        document, errors = amended(d.document, changes, weights)
        if errors:
            raise ValidationFailed(errors)
        on = self.store.clock.now().date()
        freight = None
        if document.get("freight"):
            freight = Money(Decimal(document["freight"]["amount"]), document["freight"]["currency"])
        marketplace = CUSTOMS_SETTINGS.get(d.channel, CUSTOMS_SETTINGS["web"]).get("marketplace")
        duties, flags = self._assess(
            document, d.incoterm, freight, document.get("packed_weight_g"), on, marketplace
        )
        duties["freight_basis"] = d.duties.get("freight_basis")
        d.amend(
            by=by, reason=reason, changes=changes, document=document, duties=duties, flags=flags
        )
        return d, self.store.commit(d)

    def update_clearance(
        self, declaration_id: UUID, status: str, reason: str | None, source: str
    ) -> tuple[Declaration, int]:
        d = self.get_declaration(declaration_id)
        d.update_clearance(
            status=status, reason=reason, at=self.store.clock.now().isoformat(), source=source
        )
        return d, self.store.commit(d)

    def declaration_for(self, order_id: UUID, shipment_no: int) -> Declaration | None:
        return self.store.get_or_none(Declaration.create_id(str(order_id), shipment_no))

    def require_cleared_for_dispatch(self, order: Order, shipment_no: int) -> None:
        """A shipment crossing a customs border leaves only with an approved declaration; one
        inside a customs territory (the same rule as drafting) never waits for one."""
        shipment = order.shipment(shipment_no)
        warehouse = self.reference.current()["warehouses"][shipment["warehouse_id"]]
        destination = order.canonical["ship_to"]["country"]
        if self.tariffs is None or not crosses_border(self.tariffs, warehouse.country, destination):
            return
        d = self.declaration_for(order.id, shipment_no)
        if d is None or d.status != APPROVED:
            state = "missing" if d is None else d.status
            raise InvalidTransition(
                f"the customs declaration is {state}; a shipment leaves only "
                "with an approved declaration"
            )

    def quote_landed_cost(
        self,
        goods: Sequence[Goods],
        destination: str,
        warehouse_id: str | None = None,
        incoterm: str = "DDP",
        currency: str = "EUR",
    ) -> dict[str, Any] | None:
        """Goods value, freight (the cheapest quote from the warehouse), duty, VAT/GST and the
        total, each itemised, in `currency`; from the warehouse whose total is lowest unless one
        is named. None when no carrier service reaches the destination."""
        reference = self.reference.current()
        lines, grams, errors = customs_lines(goods, reference["products"])
        if not self.countries.is_country(destination):
            errors.append({"loc": "destination", "msg": f"{destination!r} is not an ISO country"})
        if errors:
            raise ValidationFailed(errors)
        today = self.store.clock.now().date()
        warehouses = reference["warehouses"]
        if warehouse_id and warehouse_id not in warehouses:
            msg = f"unknown warehouse {warehouse_id!r}"
            raise ValidationFailed([{"loc": "warehouse_id", "msg": msg}])
        best = None
        for wh in [warehouse_id] if warehouse_id else list(warehouses):
            parcel = Parcel(max(grams, 1))
            rates = self.rates.quote(
                QuoteRequest(
                    origin_country=warehouses[wh].country,
                    destination_country=destination,
                    parcels=[parcel],
                    ship_date=today,
                )
            )["rates"]
            if not rates:
                continue
            freight = Money(Decimal(rates[0]["total"]), rates[0]["currency"])
            result = self.landed_cost_quote(
                lines, freight, destination, incoterm, currency, today,
                origin=warehouses[wh].country,
            )  # fmt: skip
            total = Decimal(str(result.get("total")))
            if best is None or total < best[0]:
                best = (total, wh, rates[0], result)
        if best is None:
            return None
        _, wh, rate, result = best
        chosen = {"warehouse_id": wh, "carrier": rate["carrier"], "service": rate["service"]}
        return {**chosen, "ship_date": today.isoformat(), **result}

    def landed_cost_quote(
        self,
        lines: list[CustomsLine],
        freight: Money,
        destination: str,
        incoterm: str,
        currency: str,
        on: date,
        *,
        origin: str | None = None,
        marketplace: str | None = None,
    ) -> dict[str, Any]:
        """The landed cost of goods shipped from `origin` (a country; None: taken to be an
        import), by the same rule as the declaration (borders.assess_consignment): inside one
        customs territory no duty or import VAT, the VAT in the price."""
        target = self._currency_of(destination, on, lines[0].currency if lines else currency)
        currencies = (
            {ln.currency for ln in lines} | {freight.currency, currency} | set(COMMON_CURRENCIES)
        )
        fx = self._fx_into(currencies, target, on)
        result = landed_cost(
            lines,
            freight,
            destination,
            incoterm,
            currency,
            rules=self.tariffs,
            fx=fx,
            on=on,
            registrations={**SELLER_REGISTRATIONS},
            ship_from=origin,
            marketplace=marketplace,
        )
        return result.as_dict() if hasattr(result, "as_dict") else result.__dict__
