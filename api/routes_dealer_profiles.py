"""Dealer import profiles (admin): how a dealer's own purchase-order export is read.

Thin: parse, call domains/reference/import_profiles_app.py, answer. A file is uploaded with its
profile through the dealer CSV route (api/routes_orders.py: `?dealer=...&profile=...`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from domains.reference.import_profiles import DealerImportProfile

router = APIRouter(prefix="/v1", tags=["dealer import profiles"])

EXAMPLE: dict[str, Any] = {
    "id": "erp-export",
    "default": True,
    "name": "Rheinland Trade ERP purchase orders",
    "columns": {
        "order_number": "Bestellnummer",
        "placed_at": "Bestelldatum",
        "sku": "Artikelnummer",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "customer_name": "Empfänger",
        "ship_name": "Empfänger",
        "ship_line1": "Straße",
        "ship_postcode": "PLZ",
        "ship_city": "Ort",
        "ship_country": "Land",
        "customer_email": "E-Mail",
        "customer_phone": "Telefon",
    },
    "defaults": {"ship_country": "DE"},
    "constants": {"currency": "EUR"},
    "date_formats": ["%d.%m.%Y %H:%M", "%d.%m.%Y"],
    "time_zone": "Europe/Berlin",
    "decimal_separator": ",",
    "thousands_separator": ".",
    "delimiter": ";",
    "encoding": "cp1252",
    "header_row": 1,
    "tax_included": False,
}


class ProfileIn(BaseModel):
    """One version of a profile. Checked again in the domain, so every 422 names the field
    (unknown canonical fields, bad strptime patterns, unknown time zone or encoding)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    default: bool = Field(
        False, description="make it the profile a file of this dealer is read with"
    )
    name: str = Field("", max_length=200)
    columns: dict[str, str] = Field(
        default_factory=dict, max_length=100, description="canonical field -> dealer's column"
    )
    defaults: dict[str, str] = Field(
        default_factory=dict, max_length=100, description="when the column is absent or blank"
    )
    constants: dict[str, str] = Field(
        default_factory=dict, max_length=100, description="always this value; no column"
    )
    date_formats: list[str] = Field(
        default_factory=list, description="strptime patterns, tried in order; none: ISO 8601"
    )
    time_zone: str = Field(description="IANA zone of dates written without an offset")
    decimal_separator: str = "."
    thousands_separator: str = ""
    delimiter: str | None = Field(None, description="none: sniffed from the header line")
    encoding: str = "utf-8"
    header_row: int = Field(1, description="the file line holding the column names")
    tax_included: bool = False

    def spec(self) -> dict[str, Any]:
        return self.model_dump(exclude={"default", "id"})


class NewProfileIn(ProfileIn):
    id: str = Field(description="the profile's id within the dealer: a-z, 0-9 and '-'")


def _answer(profile: DealerImportProfile, nid: int) -> dict[str, Any]:
    return as_json({**profile.details(with_versions=True), "notification_id": nid})


@router.post("/dealers/{dealer_id}/import-profiles", status_code=201)
def create_profile(
    dealer_id: str,
    body: NewProfileIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """A new import profile at version 1 (a dealer's first profile becomes its default)."""
    profile, nid = svc.app.reference.import_profiles.create(
        dealer_id, body.id, body.spec(), who.name, default=body.default
    )
    return _answer(profile, nid)


@router.put("/dealers/{dealer_id}/import-profiles/{profile_id}")
def revise_profile(
    dealer_id: str,
    profile_id: str,
    body: ProfileIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The profile's next version (the same profile again records nothing: 200, same version).
    Orders already taken in keep the version that mapped them."""
    profile, nid = svc.app.reference.import_profiles.revise(
        dealer_id, profile_id, body.spec(), who.name, default=body.default
    )
    return _answer(profile, nid)


@router.get("/dealers/{dealer_id}/import-profiles")
def list_profiles(
    dealer_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return as_json(svc.app.reference.import_profiles.listing(dealer_id))


@router.get("/dealers/{dealer_id}/import-profiles/{profile_id}")
def get_profile(
    dealer_id: str,
    profile_id: str,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The profile as it stands and every version it had (who saved it, when)."""
    profile = svc.app.reference.import_profiles.get(dealer_id, profile_id)
    return as_json(profile.details(with_versions=True))
