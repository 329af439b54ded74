"""The customs rules in force and what they say of a consignment: the rules stream (shipped,
then each published version), THE customs rule on a declaration's data (borders:
whether it crosses a border, its VAT scheme, duty and taxes, with its flags), the freight in
the customs value, and landed-cost quotes by the same rule. `CustomsUseCases`
(domains/customs/application.py) adds drafting, the review desk and clearance on top.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from domains.common import InvalidTransition, ValidationFailed
from domains.customs.borders import Assessment, assess_consignment
from domains.customs.drafting import SELLER_OVER_EU_DISTANCE_THRESHOLD, SELLER_REGISTRATIONS
from domains.customs.flags import declaration_flags
from domains.customs.landed import Goods, customs_lines
from domains.customs.model import CustomsRules
from domains.customs.tariff import CustomsLine, Money, landed_cost
from domains.log_cache import LogCached
from domains.orders.application import OrderUseCases
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
RenderDocument = Callable[
    [dict[str, Any]], bytes
]  # document data -> PDF (adapters/customs/documents.py)


def declared_customs_lines(data: dict[str, Any]) -> list[CustomsLine]:
    """A declaration's lines as the customs rule takes them (value = unit value x quantity)."""
    return [
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


class CustomsAssessment:
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

    def latest_tariffs(self) -> Any:
        """`tariffs` as of everything recorded by now, by any process (one look at the log):
        for a decision recorded on them, a declaration drafted or a shipment let go without
        one, never on rules another worker replaced a moment ago."""
        if self.tariff_loader is None:
            return None
        return self._tariffs.latest()

    def _tariffs_for(self, destination: str, on: date) -> Any:
        """The rules in force, looked up in the log first when they hold no market for
        `destination` on `on`: a version another process published a moment ago may."""
        tariffs = self.tariffs
        if tariffs is not None and not tariffs.has_rules_for(destination, on):
            tariffs = self._tariffs.latest()
        return tariffs

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

    # ------------------------------------------------------------------ assessment
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
        tariffs = self._tariffs_for(destination, on)
        if tariffs.has_rules_for(destination, on):
            return str(tariffs.rules_for(destination, on).currency)
        return fallback

    def rules_versions(self, duties: dict[str, Any]) -> dict[str, Any]:
        """The versions of the rules a declaration was drafted under (tariff, territories,
        restrictions, VAT table), recorded on it."""
        return {
            "tariff": self.tariffs.version,
            "territories": self.tariffs.territories_version,
            "restrictions": getattr(self.tariffs, "restrictions_version", None),
            "vat": duties.get("tariff_version"),
        }

    def _declaration_fx(
        self, data: dict[str, Any], freight: Money | None, on: date
    ) -> dict[str, Decimal]:
        """ECB rates into the destination market's currency for every currency a declaration
        may show: its lines', its freight's, the catalogue prices' and the common ones."""
        products = self.reference.current()["products"]
        currencies = {ln["currency"] for ln in data["lines"]} | set(COMMON_CURRENCIES)
        currencies |= {
            products[ln["sku"]].currency for ln in data["lines"] if ln["sku"] in products
        }
        if freight is not None:
            currencies.add(freight.currency)
        target = self._currency_of(data["destination"], on, data["lines"][0]["currency"])
        return self._fx_into(currencies, target, on)

    def _consignment(
        self,
        data: dict[str, Any],
        incoterm: str,
        freight: Money | None,
        on: date,
        marketplace: str | None,
        fx: dict[str, Decimal] | None = None,
    ) -> Assessment:
        """THE customs rule (borders.assess_consignment) on a declaration's data: whether it
        crosses a customs border, its VAT scheme, its duty and taxes."""
        destination = data["destination"]
        fx = fx if fx is not None else self._declaration_fx(data, freight, on)
        lines = declared_customs_lines(data)
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
        self._tariffs_for(data["destination"], on).rules_for(data["destination"], on)  # has rules
        fx = self._declaration_fx(data, freight, on)
        assessed = self._consignment(data, incoterm, freight, on, marketplace, fx)
        duties = assessed.duties.as_dict()
        duties["customs"] = assessed.decision.as_dict()
        products = self.reference.current()["products"]
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

    # ------------------------------------------------------------------ landed cost
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
        if any(g.sku and g.sku not in reference["products"] for g in goods) or (
            warehouse_id and warehouse_id not in reference["warehouses"]
        ):
            reference = self.reference.latest()  # registered a moment ago by another process?
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
