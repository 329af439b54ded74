"""The B2B import declaration of an inbound shipment (goods in bulk into one of our warehouses),
drafted by the same rule and tariff as a parcel's (borders.assess_consignment) and reviewed on
the same desk. What differs is the law: a business import pays full duty and import VAT on
the customs value (CIF where the market says so), with no low-value scheme: no IOSS, no
point-of-sale VAT, no de minimis. Inside one customs territory (a transfer FRA -> NL) no
declaration is drafted and the decision says why.

The inbound context calls `draft_inbound_declaration` with plain data (it owns the shipment;
customs knows nothing of it beyond this call).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from domains.customs.assessing import CustomsAssessment, declared_customs_lines
from domains.customs.borders import assess_consignment, crosses_border
from domains.customs.flags import declaration_flags
from domains.customs.model import InboundDeclaration
from domains.customs.tables import TariffTables
from domains.customs.tariff import Money

INBOUND_INCOTERM = "DAP"  # we are the importer of record: duty and import VAT are ours to pay
IMPORTER = {"name": "Crossdock Trading (importer of record)", "eori": None}
NO_LOW_VALUE = "B2B bulk import: no low-value relief (no IOSS, no point-of-sale VAT, no de minimis)"


def without_low_value_reliefs(tables: TariffTables) -> TariffTables:
    """The same tariff with every market's low-value reliefs taken out: a business import pays
    full duty and import VAT whatever its value."""
    return replace(tables, markets=tuple(replace(m, reliefs=()) for m in tables.markets))


class InboundCustoms(CustomsAssessment):
    def inbound_border(self, origin: str, destination: str) -> dict[str, Any] | None:
        """Whether an inbound from `origin` to `destination` (countries) crosses a customs
        border, with the territories; None without customs rules."""
        tariffs = self.latest_tariffs()
        if tariffs is None:
            return None
        return {
            "required": crosses_border(tariffs, origin, destination),
            "origin": origin,
            "destination": destination,
            "origin_territory": tariffs.territory_of(origin),
            "destination_territory": tariffs.territory_of(destination),
            "territories_version": tariffs.territories_version,
        }

    def _assess_inbound(
        self, data: dict[str, Any], freight: Money | None, insurance: Money | None, on: date
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        tables = without_low_value_reliefs(self._tariffs_for(data["destination"], on))
        tables.rules_for(data["destination"], on)  # NoTariffRules when the market has none
        fx = self._declaration_fx(data, freight, on)
        if insurance is not None and insurance.currency not in fx:
            target = self._currency_of(data["destination"], on, data["currency"])
            fx.update(self._fx_into({insurance.currency}, target, on))
        lines = declared_customs_lines(data)
        assessed = assess_consignment(
            lines,
            data["destination"],
            INBOUND_INCOTERM,
            tables,
            fx,
            on,
            origin=data["ship_from"],
            freight=freight,
            insurance=insurance,
            b2c=False,
            registrations={"importer_eori": data.get("importer_eori")},
        )
        duties = assessed.duties.as_dict()
        duties["customs"] = assessed.decision.as_dict()
        duties["low_value"] = NO_LOW_VALUE
        duties["vat"] = str(Decimal(duties["import_vat"]) + Decimal(duties["vat_at_sale"]))
        products = self.reference.current()["products"]
        catalogue = {
            s: {"unit_value": str(p.unit_value), "currency": p.currency}
            for s, p in products.items()
        }
        flags = declaration_flags(data, catalogue, tables, data["gross_weight_g"], fx=fx, on=on)
        return duties, flags

    def draft_inbound_declaration(
        self,
        inbound_id: str,
        warehouse_id: str,
        origin: str,
        lines: list[dict[str, Any]],
        freight: Money | None,
        insurance: Money | None,
        gross_weight_g: int,
    ) -> tuple[InboundDeclaration | None, dict[str, Any]]:
        """The import declaration of an inbound to `warehouse_id` from `origin` (a country), or
        None and why none is needed (one customs territory). `lines`: {sku, quantity,
        unit_value, currency}. Answers the decision the inbound records either way."""
        warehouse = self.reference.warehouse(warehouse_id)
        destination = warehouse.country
        border = self.inbound_border(origin, destination)
        if border is None:
            return None, {"required": False, "reason": "no customs rules in this installation"}
        if not border["required"]:
            reason = (
                f"no customs declaration: {origin} and {destination} both lie in the "
                f"{border['destination_territory']} customs territory"
            )
            return None, {**border, "reason": reason}
        on = self.store.clock.now().date()
        declared = []
        for n, ln in enumerate(lines, 1):
            p = self.reference.product(ln["sku"])
            declared.append(
                {
                    "line_no": n,
                    "sku": ln["sku"],
                    "description": p.name,
                    "hs_code": p.hs_code,
                    "national_code": None,
                    "origin_country": p.origin_country,
                    "quantity": ln["quantity"],
                    "unit": "pcs",
                    "unit_value": str(ln["unit_value"]),
                    "currency": ln["currency"],
                    "total_value": str(
                        (Decimal(ln["unit_value"]) * ln["quantity"]).quantize(Decimal("0.01"))
                    ),
                    "net_weight_g": p.unit_weight_g * ln["quantity"],
                }
            )
        data = {
            "destination": destination,
            "on": on.isoformat(),
            "currency": declared[0]["currency"],
            "b2c": False,
            "ship_from": origin,
            "vat_scheme": None,
            "importer_eori": IMPORTER["eori"],
            "lines": declared,
            "gross_weight_g": gross_weight_g,
        }
        duties, flags = self._assess_inbound(data, freight, insurance, on)
        money = {"amount": "0", "currency": data["currency"]}
        declaration = InboundDeclaration(
            inbound_id=inbound_id,
            warehouse_id=warehouse_id,
            destination=destination,
            origin=origin,
            incoterm=INBOUND_INCOTERM,
            document={
                **data,
                "inbound_id": inbound_id,
                "importer": {**IMPORTER, "warehouse_id": warehouse_id},
                "freight": {"amount": str(freight.amount), "currency": freight.currency}
                if freight
                else money,
                "insurance": {"amount": str(insurance.amount), "currency": insurance.currency}
                if insurance
                else money,
            },
            duties=duties,
            flags=flags,
            versions=self.rules_versions(duties),
        )
        decision = {
            **border,
            "declaration_id": str(declaration.id),
            "reason": duties["customs"]["reason"],
            "vat_scheme": duties["customs"]["vat_scheme"],
            "duty": {"amount": duties["duty"], "currency": duties["currency"]},
            "import_vat": {"amount": duties["import_vat"], "currency": duties["currency"]},
        }
        return declaration, decision

    def amend_inbound(
        self, d: InboundDeclaration, document: dict[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Duties and flags of an amended inbound declaration, by the same B2B rule."""

        def money(m: dict[str, Any] | None) -> Money | None:
            return Money(Decimal(m["amount"]), m["currency"]) if m else None

        on = self.store.clock.now().date()
        return self._assess_inbound(
            document, money(document.get("freight")), money(document.get("insurance")), on
        )
