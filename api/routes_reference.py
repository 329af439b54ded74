"""Reference data (admin) and stock reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from api.limits import MAX_OFFSET
from api.routes_hs import suggestions_or_none
from domains.common import ValidationFailed
from projections.orders_views import stock_page

router = APIRouter(prefix="/v1", tags=["reference data and stock"])
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class WarehouseIn(BaseModel):
    name: str = Field(min_length=1)
    country: Country
    city: str = Field(min_length=1)
    address: str = Field(min_length=1)


class DangerousGoodsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    un_number: str = Field(pattern=r"^UN\d{4}$", description="UN3480, UN3481, UN3090, UN3091...")
    hazard_class: str = Field(
        alias="class",
        pattern=r"^(1\.[1-6]|2\.[1-3]|3|4\.[1-3]|5\.[12]|6\.[12]|7|8|9)$",
        description="UN hazard class or division (lithium batteries: 9)",
    )
    packing_section: Literal["IA", "IB", "I", "II"] | None = None


class TemperatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float = Field(ge=-80, le=60)
    max: float = Field(ge=-80, le=60)


class ComplianceIn(BaseModel):
    """domains/reference/compliance.py: checked again there (lithium is class 9 with a
    packing section; min <= max), so a 422 names the field whichever way it came in."""

    model_config = ConfigDict(extra="forbid")

    dangerous_goods: DangerousGoodsIn | None = None
    excise: Literal["alcohol", "tobacco"] | None = None
    temperature_c: TemperatureIn | None = None
    documents_required: dict[Country, list[Annotated[str, Field(min_length=1)]]] | None = None
    documents_held: list[Annotated[str, Field(min_length=1)]] | None = None

    def as_data(self) -> dict[str, Any]:
        out = self.model_dump(by_alias=True, exclude_none=True)
        if "temperature_c" in out:  # whole degrees stay ints, so a re-PUT is no change
            out["temperature_c"] = {
                k: int(v) if float(v).is_integer() else v for k, v in out["temperature_c"].items()
            }
        return out


class ProductIn(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    unit_weight_g: int = Field(gt=0, le=1_000_000, description="grams, at most a tonne")
    dimensions_mm: list[Annotated[int, Field(gt=0, le=20_000)]] = Field(
        min_length=3, max_length=3, description="mm, at most 20 m a side"
    )
    hs_code: str | None = Field(
        None,
        pattern=r"^\d{4}(\.?\d{2})?(\.?\d{2,4})?$",
        description="required; left out, the answer is 422 with `hs_suggestions` to choose from",
    )
    origin_country: Country
    unit_value: Decimal = Field(ge=0, le=1_000_000_000, decimal_places=4)
    currency: CurrencyCode
    perishable: bool = False
    min_shelf_life_days: int | None = Field(None, ge=0, le=3650)
    expiry_thresholds_days: list[Annotated[int, Field(ge=0, le=3650)]] | None = Field(
        None, min_length=3, max_length=3, description="red, yellow, blue (days before expiry)"
    )
    barcode: str | None = Field(None, min_length=4, max_length=64)
    lead_time_days: int | None = Field(None, ge=0, le=365)
    pack_size: int | None = Field(None, ge=1, le=1_000_000)
    compliance: ComplianceIn | None = None


class DealerIn(BaseModel):
    name: str = Field(min_length=1, max_length=300)
    credit_limit: Decimal = Field(ge=0, le=1_000_000_000_000)
    currency: CurrencyCode
    regions: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]] = (
        Field(min_length=1)
    )
    unpaid_balance: Decimal = Field(ge=0, le=1_000_000_000_000, default=Decimal("0"))
    payment_terms_days: int | None = Field(
        default=None, ge=0, le=365, description="days to pay an invoice; 30 when never set"
    )
    iban: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$",
        description="the account the dealer pays from (matches bank-statement lines)",
    )


class ProhibitedRule(BaseModel):
    hs_prefix: str = Field(pattern=r"^\d{2,4}(\.\d{1,6})?$")
    category: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class ProhibitedIn(BaseModel):
    source: str = Field(min_length=1)
    rules: dict[Country, list[ProhibitedRule]]


class ReceiptIn(BaseModel):
    warehouse_id: str
    sku: str
    quantity: int = Field(gt=0, le=1_000_000)
    receipt_ref: str = Field(
        min_length=1, description="idempotency key: a repeat is not counted twice"
    )


def _answer(response: Response, changed: bool, body: dict) -> dict:
    response.status_code = 200
    return {"changed": changed, **body}


@router.put("/admin/warehouses/{code}")
def put_warehouse(
    code: str,
    body: WarehouseIn,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Register or revise a warehouse; each change is a new version of its stream."""
    _check_country(svc, "country", body.country)
    w, changed = svc.app.reference.register_warehouse(code, **body.model_dump())
    return _answer(response, changed, w.details())


def _hs_code_needed(name: str) -> JSONResponse:
    """A product is never registered without an HS code, nor with one picked for the user: the
    422 names the missing field and carries the five subheadings that best fit the product's
    name, to choose from and PUT again (nothing was saved)."""
    msg = "required: choose one (hs_suggestions lists the best fits for the name)"
    return JSONResponse(
        status_code=422,
        content={
            "error": "invalid",
            "detail": [{"loc": "body.hs_code", "msg": msg}],
            "hs_suggestions": suggestions_or_none(name),
        },
    )


@router.put(
    "/admin/products/{sku}",
    response_model=None,
    responses={422: {"description": "invalid; without `hs_code`, with `hs_suggestions`"}},
)
def put_product(
    sku: str,
    body: ProductIn,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any] | JSONResponse:
    """Register or revise a product. Without an HS code: 422 with `hs_suggestions`."""
    _check_country(svc, "origin_country", body.origin_country)
    if body.hs_code is None:
        return _hs_code_needed(body.name)
    values = body.model_dump(exclude={"compliance"})
    values["compliance"] = body.compliance.as_data() if body.compliance else None
    p, changed = svc.app.reference.register_product(sku, **values)
    return _answer(response, changed, as_json(p.details()))


@router.put("/admin/dealers/{code}")
def put_dealer(
    code: str,
    body: DealerIn,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    for i, region in enumerate(body.regions):
        _check_country(svc, f"regions[{i}]", region[:2])
    d, changed = svc.app.reference.register_dealer(code, **body.model_dump())
    return _answer(response, changed, d.details())


@router.put("/admin/prohibited-goods")
def put_prohibited(
    body: ProhibitedIn,
    response: Response,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Publish a new version of the prohibited-goods list (HS prefixes per destination)."""
    for country in body.rules:
        _check_country(svc, f"rules.{country}", country)
    rules = {c: [r.model_dump() for r in items] for c, items in body.rules.items()}
    lst, changed = svc.app.reference.publish_prohibited(rules, body.source)
    return _answer(response, changed, {"version": lst.version, "countries": sorted(lst.rules)})


@router.post("/admin/stock-receipts")
def receive_stock(
    body: ReceiptIn, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    nid = svc.app.warehouse.receive_stock(
        body.warehouse_id, body.sku, body.quantity, body.receipt_ref
    )
    return {"applied": nid > 0, "notification_id": nid}


@router.get("/reference")
def reference(
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Warehouses, products and the prohibited-goods list version: as of the log, so what
    another worker acknowledged a moment ago is listed (one look at the log per request)."""
    ref = svc.app.reference.latest()
    prohibited = ref["prohibited"]
    return {
        "warehouses": [w.details() for w in ref["warehouses"].values()],
        "products": [as_json(p.details()) for p in ref["products"].values()],
        "dealers": ref["dealers"],
        "prohibited_goods": {
            "version": prohibited.version if prohibited else 0,
            "rules": prohibited.rules if prohibited else {},
        },
    }


@router.get("/admin/dealers/{code}")
def get_dealer(
    code: str,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    return svc.app.reference.get_dealer(code).details()


@router.get("/stock")
def stock(
    sku: str | None = None,
    warehouse: str | None = None,
    limit: int = Query(500, ge=1, le=5000),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """On hand, reserved and available per warehouse and SKU. A warehouse key sees its own."""
    if who.role == "warehouse":
        if warehouse not in (None, who.scope):
            return {"items": [], "total": 0}
        warehouse = who.scope
    svc.fresh_views()
    rows, total = stock_page(svc.db, limit=limit, offset=offset, sku=sku, warehouse=warehouse)
    return {"items": rows, "total": total}


def _check_country(svc: Services, loc: str, code: str) -> None:
    if not svc.app.orders.countries.is_country(code):
        raise ValidationFailed([{"loc": loc, "msg": f"{code!r} is not an ISO 3166-1 country"}])
