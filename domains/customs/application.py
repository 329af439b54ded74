"""Customs use cases: draft a declaration when a cross-border shipment is packed (or record
why none was needed), the review desk (approve, reject, amend with recomputed duties),
clearance updates, the dispatch gate and documents. The rules in force, the assessment of a
consignment and landed-cost quotes come from `CustomsAssessment` (domains/customs/assessing.py).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.borders import Assessment, crosses_border
from domains.customs.documents import document_data
from domains.customs.drafting import (
    CUSTOMS_SETTINGS,
    amended,
    declaration_data,
    declared_lines,
    parties,
)
from domains.customs.inbound import InboundCustoms
from domains.customs.model import APPROVED, CustomsNotRequired, Declaration, InboundDeclaration
from domains.customs.tariff import Money
from domains.orders.model import Order


def not_required_decision(assessed: Assessment, on: date) -> dict[str, Any]:
    """Why a shipment inside one customs territory needs no declaration: the border decision
    (territories, VAT scheme, rules versions) with the sale's VAT figures."""
    d = assessed.duties
    return {
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
    }


class CustomsUseCases(InboundCustoms):
    # ------------------------------------------------------------------ drafting
    def draft_declaration(self, order: Order, shipment_no: int) -> Declaration | None:
        """Called when a shipment is packed. A shipment that stays inside one customs territory
        (borders.assess_consignment) needs no declaration: None, and the decision (territories,
        VAT scheme, rules versions) is recorded on the order as `CustomsNotRequired`, saved with
        the packing. Without customs rules nothing is decided or recorded. Decided on the
        rules in the log now (a packing is no hot path): one look at it."""
        if self.latest_tariffs() is None:
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
            order.trigger_event(
                CustomsNotRequired,
                shipment_no=shipment_no,
                decision=not_required_decision(assessed, on),
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
                **self.rules_versions(duties),
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

    def readable_document(self, d: Declaration) -> dict[str, Any]:
        """The declaration's document with the importer's personal data opened (the
        pseudonym once the person was erased)."""
        importer = d.document.get("importer")
        if not isinstance(importer, dict) or isinstance(d, InboundDeclaration):
            return d.document
        return {**d.document, "importer": self.orders.personal.party(importer)}

    def declaration_with_history(self, declaration_id: UUID) -> tuple[Declaration, list[Any]]:
        """A declaration and its order's events, oldest first (what the reviewer weighs)."""
        d = self.get_declaration(declaration_id)
        if isinstance(d, InboundDeclaration):  # no order: its own events
            return d, list(self.store.events.get(d.id))
        return d, self.orders.order_events(UUID(d.order_id))

    def declaration_document(self, declaration_id: UUID, kind: str) -> bytes | str:
        """A declaration's commercial invoice or packing list (`documents` prints the PDF), or
        the declaration itself as JSON, all from the same data."""
        d = self.get_declaration(declaration_id)
        if isinstance(d, InboundDeclaration):
            if kind != "declaration.json":
                raise InvalidTransition("an inbound declaration is shown as declaration.json")
            return json.dumps({**d.document, "duties": d.duties, "flags": d.flags}, default=str)
        order = self.orders.get_order(UUID(d.order_id))
        data = document_data(d, order.fulfilment.get(str(d.shipment_no), {}))
        data["importer"] = self.orders.personal.party(data["importer"])
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
        d, document, duties, flags = self.preview_amendment(declaration_id, changes)
        d.amend(
            by=by, reason=reason, changes=changes, document=document, duties=duties, flags=flags
        )
        return d, self.store.commit(d)

    def preview_amendment(
        self, declaration_id: UUID, changes: list[dict[str, Any]]
    ) -> tuple[Declaration, dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        """What amending would record, nothing saved: the declaration, the changed document and
        its duties and flags recomputed (the desk shows them while the reviewer types)."""
        d = self.get_declaration(declaration_id)
        products = self.reference.current()["products"]
        weights = {sku: p.unit_weight_g for sku, p in products.items()}
        document, errors = amended(d.document, changes, weights)
        if errors:
            raise ValidationFailed(errors)
        if isinstance(d, InboundDeclaration):  # a B2B import: the same rule, no low-value relief
            duties, flags = self.amend_inbound(d, document)
            return d, document, duties, flags
        on = self.store.clock.now().date()
        freight = None
        if document.get("freight"):
            freight = Money(Decimal(document["freight"]["amount"]), document["freight"]["currency"])
        marketplace = CUSTOMS_SETTINGS.get(d.channel, CUSTOMS_SETTINGS["web"]).get("marketplace")
        duties, flags = self._assess(
            document, d.incoterm, freight, document.get("packed_weight_g"), on, marketplace
        )
        duties["freight_basis"] = d.duties.get("freight_basis")
        return d, document, duties, flags

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
        tariffs = self.latest_tariffs()
        if tariffs is None or not crosses_border(tariffs, warehouse.country, destination):
            return
        d = self.declaration_for(order.id, shipment_no)
        if d is None or d.status != APPROVED:
            state = "missing" if d is None else d.status
            raise InvalidTransition(
                f"the customs declaration is {state}; a shipment leaves only "
                "with an approved declaration"
            )
