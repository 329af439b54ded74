"""What the duty calculation answers: per line and for the whole consignment.

Pure: standard library only. All amounts are in the destination currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class DutyLine:
    index: int
    hs_code: str
    quantity: int
    value: Decimal  # the goods, destination currency
    freight_share: Decimal  # freight + insurance allocated to the line
    dutiable_value: Decimal  # value (+ freight_share where duty is on CIF)
    duty_rate: Decimal | None  # the ad valorem rate charged; None: relieved or flat
    rate_source: str  # the matched HS prefix, "default", or the relief's code
    duty: Decimal
    duty_treatment: str  # ad_valorem | relieved | flat_per_subheading | flat_counted
    tax_treatment: str  # border | at_sale | relieved | none
    vat_base: Decimal  # what this line adds to the border or at-sale VAT base

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "hs_code": self.hs_code,
            "quantity": self.quantity,
            "value": str(self.value),
            "freight_share": str(self.freight_share),
            "dutiable_value": str(self.dutiable_value),
            "duty_rate": None if self.duty_rate is None else str(self.duty_rate),
            "rate_source": self.rate_source,
            "duty": str(self.duty),
            "duty_treatment": self.duty_treatment,
            "tax_treatment": self.tax_treatment,
            "vat_base": str(self.vat_base),
        }


@dataclass(frozen=True, kw_only=True)
class DutyResult:
    """Duties and taxes on one consignment, all amounts in `currency` (the destination's)."""

    destination: str
    currency: str
    on: date
    incoterm: str
    payer: str  # who pays the border duty and import tax: seller (DDP) or buyer (DAP)
    lines: tuple[DutyLine, ...]
    goods_value: Decimal
    freight: Decimal
    insurance: Decimal
    customs_value: Decimal  # goods, plus freight and insurance where duty is on CIF
    duty: Decimal
    vat_name: str
    vat_rate: Decimal
    import_vat_base: Decimal
    import_vat: Decimal  # at the border
    vat_at_sale_base: Decimal
    vat_at_sale: Decimal  # in the price, collected by the seller
    total_border: Decimal  # duty + import VAT: what `payer` pays on import
    total_taxes: Decimal  # duty + import VAT + VAT at sale
    scheme: str
    schemes: tuple[str, ...]  # every relief that applied, in the market's order
    formal_entry: bool
    tariff_version: str
    notes: tuple[str, ...]
    inputs: dict[str, Any]

    @property
    def vat(self) -> Decimal:
        """VAT/GST the consignment bears, wherever it is collected."""
        return self.import_vat + self.vat_at_sale

    def as_dict(self) -> dict[str, Any]:
        return {
            "destination": self.destination,
            "currency": self.currency,
            "on": self.on.isoformat(),
            "incoterm": self.incoterm,
            "payer": self.payer,
            "lines": [ln.as_dict() for ln in self.lines],
            "goods_value": str(self.goods_value),
            "freight": str(self.freight),
            "insurance": str(self.insurance),
            "customs_value": str(self.customs_value),
            "duty": str(self.duty),
            "vat_name": self.vat_name,
            "vat_rate": str(self.vat_rate),
            "import_vat_base": str(self.import_vat_base),
            "import_vat": str(self.import_vat),
            "vat_at_sale_base": str(self.vat_at_sale_base),
            "vat_at_sale": str(self.vat_at_sale),
            "total_border": str(self.total_border),
            "total_taxes": str(self.total_taxes),
            "scheme": self.scheme,
            "schemes": list(self.schemes),
            "formal_entry": self.formal_entry,
            "tariff_version": self.tariff_version,
            "notes": list(self.notes),
            "inputs": self.inputs,
        }


@dataclass(frozen=True, slots=True)
class LineDuty:
    dutiable: Decimal  # the line's value at the market's duty basis
    rate: Decimal | None  # the ad valorem rate charged; None: relieved or flat
    source: str  # the matched HS prefix, "default", or the relief's code
    duty: Decimal
    treatment: str  # ad_valorem | relieved | flat_per_subheading | flat_counted
