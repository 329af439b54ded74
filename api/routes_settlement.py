"""Settlement: the logistics cost ledger (per shipment, order and line) and carrier bills with
three-way reconciliation and the dispute workflow. Finance role only; the URLs stay under
/v1/finance and the OpenAPI tag stays "finance" (the HTTP contract)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Services, caller, encode_json, services

router = APIRouter(prefix="/v1/finance", tags=["finance"])


@router.get("/costs")
def costs(
    group_by: Literal["carrier", "lane", "month", "channel", "warehouse"] = "carrier",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Logistics cost totals grouped by carrier, lane, month, channel or warehouse: cost per
    order and logistics cost as a share of order value, in the base currency."""
    settlement = svc.app.settlement
    items = settlement.cost_totals(group_by)
    return {"group_by": group_by, "base_currency": settlement.base_currency, "items": items}


@router.get("/ledger-entries")
def ledger_entries(
    order_id: UUID | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The ledger's entries beyond shipments: return labels and handling (costs) and carrier
    claims paid (credits, negative), in their currencies and the base currency."""
    return svc.app.settlement.ledger_entries(str(order_id) if order_id else None)


@router.get("/orders/{order_id}/costs")
def order_costs(
    order_id: UUID,
    allocate: Literal["weight", "value"] = "weight",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """An order's cost is the sum of its shipments', allocated back to its lines by weight or
    by value, so a split order's cost is right per line."""
    costs = svc.app.settlement.order_costs(order_id, allocate)
    return {
        "order_id": str(order_id),
        "allocate": allocate,
        "base_currency": svc.app.settlement.base_currency,
        **costs,
    }


# ---------------------------------------------------------------------------- carrier bills
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _bill_head(bill: Any, settlement: Any) -> dict[str, Any]:
    return {
        "id": str(bill.id),
        "carrier": bill.carrier,
        "layout": bill.layout,
        "filename": bill.filename,
        "uploaded_by": bill.uploaded_by,
        "uploaded_at": bill.created_on.isoformat(),
        "summary": settlement.summary(bill),
        "version": bill.version,
    }


def _bill_out(bill: Any, settlement: Any) -> dict[str, Any]:
    return {
        **_bill_head(bill, settlement),
        "totals": bill.totals,
        "discrepancies": bill.discrepancies,
    }


@router.get("/carrier-bills")
def list_bills(
    carrier: str | None = None,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The recorded bills, newest first (all or one carrier's), each with its summary: billed,
    expected, over and under per currency and its discrepancies by state."""
    return {"items": svc.app.settlement.bill_list(carrier)}


@router.post(
    "/carrier-bills",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
async def upload_bill(
    request: Request,
    carrier: Annotated[str, Query(min_length=2)],
    layout: Literal["dhl", "ups", "fedex", "generic"] = "generic",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """Upload a carrier bill (CSV or XLSX; DHL-, UPS-, FedEx-like or generic columns). Every line
    is matched to our labels and quotes; each discrepancy is recorded with expected and billed
    amounts. A bad file answers 422 listing the bad rows by line number and stores nothing."""
    data = await request.body()  # at most CROSSDOCK_MAX_BILL_BYTES (api/limits.py)
    filename = request.headers.get("X-Filename", "bill.csv")

    def work() -> tuple[bool, bytes]:  # parsing, matching and encoding: off the event loop
        bill, created, nid = svc.app.settlement.upload_bill(
            data, filename, layout, carrier, who.name
        )
        out = _bill_out(bill, svc.app.settlement)
        return created, encode_json({**out, "created": created, "notification_id": nid})

    created, content = await run_in_threadpool(work)
    return Response(content, status_code=201 if created else 200, media_type="application/json")


@router.get("/carrier-bills/{bill_id}")
def get_bill(
    bill_id: UUID, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    return _bill_out(svc.app.settlement.get_bill(bill_id), svc.app.settlement)


class ResolveIn(BaseModel):
    resolution: Literal["accepted", "disputed", "credited"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ResolveSelectionIn(ResolveIn):
    numbers: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=10_000)]


@router.post("/carrier-bills/{bill_id}/discrepancies")
def resolve_selection(
    bill_id: UUID,
    body: ResolveSelectionIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Accept, dispute or credit a selection of discrepancies with one reason (who and why
    recorded on each), all or none: one that cannot be resolved refuses the whole selection."""
    settlement = svc.app.settlement
    bill, nid = settlement.resolve_selection(
        bill_id, body.numbers, body.resolution, who.name, body.reason
    )
    chosen = set(body.numbers)
    return {
        "resolved": [d for d in bill.discrepancies if d["number"] in chosen],
        "summary": settlement.summary(bill),
        "notification_id": nid,
    }


@router.post("/carrier-bills/{bill_id}/discrepancies/{number}")
def resolve(
    bill_id: UUID,
    number: int,
    body: ResolveIn,
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Accept, dispute or record a credit for one discrepancy (who and why are recorded)."""
    bill, nid = svc.app.settlement.resolve_discrepancy(
        bill_id, number, body.resolution, who.name, body.reason
    )
    return {**bill.discrepancies[number - 1], "notification_id": nid}


@router.get(
    "/carrier-bills/{bill_id}/report.{fmt}",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}}}},
)
def report(
    bill_id: UUID,
    fmt: Literal["xlsx", "csv"],
    table: Literal["lines", "discrepancies", "summary"] = "lines",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """Every line (discrepancy rows highlighted red in XLSX), the discrepancies (with where
    each stands) and a summary; CSV is one `table` of them. Cells a spreadsheet would run as
    formulas are neutralised."""
    name = f"bill-{bill_id}" + (f"-{table}" if fmt == "csv" and table != "lines" else "")
    return report_download(svc, bill_id, fmt, table, name)


def report_download(svc: Services, bill_id: UUID, fmt: str, table: str, name: str) -> Response:
    """A bill's report as a download named `name`.`fmt` (the API's route and finance's page)."""
    return Response(
        svc.app.settlement.bill_report(bill_id, fmt, table),
        media_type="text/csv" if fmt == "csv" else XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@router.get(
    "/disputes/{carrier}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def disputes(
    carrier: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> Response:
    """The dispute file for one carrier: every discrepancy marked disputed, across bills."""
    return Response(svc.app.settlement.dispute_file(carrier), media_type="text/csv")
