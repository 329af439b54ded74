"""Finance's pages: carrier bills uploaded and reconciled (drag and drop or a plain file input,
htmx shows the upload's progress and then the result), a bill's discrepancies worked per row or
as a selection with a reason, its downloads, and the cost views with charts.

Each handler calls the same settlement use cases as api/routes_settlement.py and renders; what a
page shows of a bill comes from domains/settlement/summary.py. Without JavaScript every form
still posts and answers with a redirect to the page it changed.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from adapters.uploads import UploadTooLarge
from api.deps import Services
from api.pages.charts import bar_chart
from api.pages.finance_costs import GroupBy, cost_view
from api.pages.render import PageCall, page, page_call
from api.pages.session import PageRefused, csrf_protect
from api.routes_settlement import report_download
from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.settlement.summary import worklist

router = APIRouter(
    prefix="/pages/finance", include_in_schema=False, dependencies=[Depends(csrf_protect)]
)
DOMAIN = "finance"
LAYOUTS = ("generic", "dhl", "ups", "fedex")
PAGE_ROWS = 200  # discrepancies on one page of a bill


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _bill(svc: Services, bill_id: UUID) -> Any:
    try:
        return svc.app.settlement.get_bill(bill_id, to_read=True)
    except NotFound:
        raise PageRefused("There is no such carrier bill.", 404) from None


@router.get("")
def bills(call: PageCall = Depends(page_call)) -> Response:
    listed = call.svc.app.settlement.bill_list()
    values = {
        "bills": listed,
        "carriers": sorted({b["carrier"] for b in listed}),
        "layouts": LAYOUTS,
    }
    return page(call.request, "finance/bills.html", DOMAIN, values)


@router.post("/bills")
async def upload(
    file: Annotated[UploadFile, File()],
    carrier: Annotated[str, Form(min_length=2, max_length=40)],
    layout: Annotated[Literal["generic", "dhl", "ups", "fedex"], Form()] = "generic",
    call: PageCall = Depends(page_call),
) -> Response:
    """Reconciled in a worker thread, as the API's upload; the same checks refuse a bad file
    (422 with its bad rows) or one too costly to read (413), and store nothing."""
    request, svc = call.request, call.svc
    data = await file.read()
    name = file.filename or "bill.csv"
    values: dict[str, Any] = {"filename": name}
    try:
        bill, created, _ = await run_in_threadpool(
            svc.app.settlement.upload_bill, data, name, layout, carrier.strip(), call.who.name
        )
    except ValidationFailed as bad:
        values["errors"] = bad.errors
        return page(request, "finance/_uploaded.html", DOMAIN, values, 422)
    except UploadTooLarge as big:
        values["errors"] = [{"loc": "file", "msg": big.detail}]
        return page(request, "finance/_uploaded.html", DOMAIN, values, 413)
    if not _htmx(request):
        return RedirectResponse(f"/pages/finance/bills/{bill.id}", status_code=303)
    values.update(bill=bill, created=created, summary=svc.app.settlement.summary(bill))
    return page(request, "finance/_uploaded.html", DOMAIN, values, 201 if created else 200)


def _bill_page(
    call: PageCall, bill: Any, status: int = 200, offset: int = 0, **notes: Any
) -> Response:
    """A page of PAGE_ROWS discrepancies from `offset` (a large bill's are downloaded whole)."""
    found = len(bill.discrepancies)
    offset = max(0, min(offset, found - 1 if found else 0))
    values = {
        "bill": bill,
        "summary": call.svc.app.settlement.summary(bill),
        # As objects: Jinja looks `d.number` up as an attribute first (a dict's costs a miss).
        "rows": [
            SimpleNamespace(**row)
            for row in worklist(bill.discrepancies[offset : offset + PAGE_ROWS])
        ],
        "offset": offset,
        "page_rows": PAGE_ROWS,
        "found": found,
        **notes,
    }
    return page(call.request, "finance/bill.html", DOMAIN, values, status)


@router.get("/bills/{bill_id}")
def bill_page(
    bill_id: UUID,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    call: PageCall = Depends(page_call),
) -> Response:
    return _bill_page(call, _bill(call.svc, bill_id), offset=offset)


@router.post("/bills/{bill_id}/resolve")
def resolve(
    bill_id: UUID,
    reason: Annotated[str, Form(max_length=500)] = "",
    numbers: Annotated[list[int], Form()] = [],  # noqa: B006 - FastAPI copies form defaults
    resolution: Annotated[str, Form(max_length=20)] = "",
    row: Annotated[str, Form(max_length=40)] = "",
    offset: Annotated[int, Form(ge=0, le=10_000_000)] = 0,
    call: PageCall = Depends(page_call),
) -> Response:
    """One row's button ("<number>:<resolution>") or the selection's (`resolution` for the
    ticked `numbers`), with the reason typed once; all or none, as the API's."""
    bill = _bill(call.svc, bill_id)
    if row:
        number, _, resolution = row.partition(":")
        numbers = [int(number)] if number.isdigit() else []
    try:
        bill, _ = call.svc.app.settlement.resolve_selection(
            bill_id, numbers, resolution, call.who.name, reason.strip()
        )
    except ValidationFailed as bad:
        error = "; ".join(e["msg"] for e in bad.errors)
        return _bill_page(call, bill, 422, offset, error=error, reason=reason)
    except InvalidTransition as refused:
        return _bill_page(call, bill, 409, offset, error=str(refused), reason=reason)
    if not _htmx(call.request):
        back = f"/pages/finance/bills/{bill_id}" + (f"?offset={offset}" if offset else "")
        return RedirectResponse(back, status_code=303)
    done = {"resolution": resolution, "count": len(numbers)}
    return _bill_page(call, bill, offset=offset, done=done)


@router.get("/bills/{bill_id}/report.{fmt}")
def report(
    bill_id: UUID,
    fmt: Literal["xlsx", "csv"],
    table: Literal["lines", "discrepancies", "summary"] = "lines",
    call: PageCall = Depends(page_call),
) -> Response:
    bill = _bill(call.svc, bill_id)
    name = f"bill-{bill.carrier}-{str(bill.id)[:8]}" + (f"-{table}" if fmt == "csv" else "")
    return report_download(call.svc, bill.id, fmt, table, name)


@router.get("/disputes/{carrier}.csv")
def disputes(carrier: str, call: PageCall = Depends(page_call)) -> Response:
    safe = "".join(ch for ch in carrier if ch.isalnum() or ch in "-_") or "carrier"
    return Response(
        call.svc.app.settlement.dispute_file(carrier),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="disputes-{safe}.csv"'},
    )


@router.get("/costs")
def costs(group_by: GroupBy = "carrier", call: PageCall = Depends(page_call)) -> Response:
    settlement = call.svc.app.settlement
    values = cost_view(settlement.cost_totals(group_by), group_by, settlement.base_currency)
    values["bar_chart"] = bar_chart
    return page(call.request, "finance/costs.html", DOMAIN, values)
