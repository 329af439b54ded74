"""The data a declaration's documents are printed from (commercial invoice, packing list, the
declaration as JSON): one dict, so every document shows the same figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domains.customs.model import Declaration


def document_data(d: Declaration, fulfilment: dict[str, Any]) -> dict[str, Any]:
    """`fulfilment`: the shipment's fulfilment entry on its order (carrier and waybill once
    labelled)."""
    doc, duties = d.document, d.duties
    freight = doc.get("freight") or {"amount": "0.00"}
    return {
        "declaration_id": str(d.id),
        "shipment_id": d.shipment_id,
        "order_id": d.order_id,
        "external_id": doc.get("external_id", ""),
        "status": d.status,
        "incoterm": d.incoterm,
        "currency": doc["currency"],
        "destination_currency": duties["currency"],
        "exporter": doc["exporter"],
        "importer": doc["importer"],
        "ioss_number": doc.get("ioss_number") if doc.get("vat_scheme") == "IOSS" else None,
        "importer_id": doc.get("importer_eori"),
        "invoice_number": f"CI-{d.shipment_id[:8].upper()}-{d.shipment_no}",
        "invoice_date": doc["on"],
        "lines": [{**ln, "gross_weight_g": ln["net_weight_g"]} for ln in doc["lines"]],
        "parcels": [
            dict(p, parcel_no=p.get("parcel_no", i + 1)) for i, p in enumerate(doc["parcels"])
        ],
        "totals": {
            "goods_value": str(sum(Decimal(ln["total_value"]) for ln in doc["lines"])),
            "freight": freight["amount"],
            "insurance": "0.00",
            "duty": duties["duty"],
            "vat": duties["vat"],
            "total_taxes": duties["total_taxes"],
            "net_weight_g": sum(ln["net_weight_g"] for ln in doc["lines"]),
            "gross_weight_g": doc.get("packed_weight_g"),
            "packages": len(doc["parcels"]),
        },
        "carrier": (
            {
                "carrier": fulfilment.get("carrier_code"),
                "service": fulfilment.get("service"),
                "waybill": fulfilment.get("waybill"),
            }
            if fulfilment.get("waybill")
            else None
        ),
        "tariff_version": str(d.versions.get("tariff")),
        "vat_version": str(d.versions.get("vat")),
        "prohibited_list_version": d.versions.get("prohibited_list") or 0,
    }
