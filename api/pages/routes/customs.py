"""The customs desk: the review queue, a declaration's page, approve / amend / reject, the
documents. Thin: each handler calls the customs use cases the API calls (domains/customs/
application.py, projections/customs_views.py) and renders what they answer."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.deps import Services, caller, services
from api.errors import answer_for
from api.pages.customs_desk import (
    AGES,
    FLAG_WORDS,
    HOLD_CAUSES,
    STATUS_WORDS,
    STATUSES,
    AmendForm,
    drafted_before,
    held_over,
    hold_of,
)
from api.pages.render import PageCall, page, page_call
from api.pages.session import csrf_protect
from api.routes_orders import CHANNELS
from domains.common import DomainError
from projections.customs_views import customs_queue

router = APIRouter(
    prefix="/pages/customs", include_in_schema=False, dependencies=[Depends(csrf_protect)]
)
DOMAIN = "customs"
PAGE_SIZE = 50
Status = Literal["", "pending_review", "approved", "rejected"]
Age = Literal["", "4", "24", "48", "168"]


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    status: Status = "pending_review",
    flag: str = Query("", max_length=40),
    destination: str = Query("", pattern=r"^([A-Za-z]{2})?$"),
    channel: str = Query("", max_length=40),
    age: Age = "",
    offset: int = Query(0, ge=0, le=100_000),
    done: str = Query("", max_length=80),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """The review queue, oldest draft first, filtered; holds over 48 h in red."""
    svc.fresh_views()
    now = svc.app.store.clock.now()
    filters = {
        "status": status,
        "flag": flag,
        "destination": destination.upper(),
        "channel": channel,
        "age": age,
    }
    rows, total = customs_queue(
        svc.db,
        limit=PAGE_SIZE,
        offset=offset,
        status=status or None,
        flag=flag or None,
        destination=filters["destination"] or None,
        channel=channel or None,
        drafted_before=drafted_before(age, now),
    )
    for r in rows:
        r["held_over"] = held_over(r.get("clearance_status"), r.get("held_at"), now)
    values = {
        "rows": rows,
        "total": total,
        "offset": offset,
        "page_size": PAGE_SIZE,
        "filters": filters,
        "flag_words": FLAG_WORDS,
        "statuses": STATUSES,
        "status_words": STATUS_WORDS,
        "ages": AGES,
        "channels": [*CHANNELS, "inbound"],  # inbound: a B2B import's declaration
        "done": done,
    }
    return page(request, "customs/queue.html", DOMAIN, values)


def _declaration_page(
    request: Request,
    svc: Services,
    declaration_id: UUID,
    *,
    error: str | None = None,
    form: AmendForm | None = None,
    status_code: int = 200,
) -> Response:
    d, events = svc.app.customs.declaration_with_history(declaration_id)
    now = svc.app.store.clock.now()
    svc.fresh_views()
    pending, _ = customs_queue(svc.db, limit=500, offset=0, status="pending_review")
    ids = [r["declaration_id"] for r in pending]
    here = ids.index(str(d.id)) if str(d.id) in ids else None
    values: dict[str, Any] = {
        "d": d,
        "document": svc.app.customs.readable_document(d),
        "history": [(e.originator_version, type(e).__name__, e.timestamp) for e in events],
        "hold": hold_of(d.clearance, now),
        "hold_causes": HOLD_CAUSES,
        "flag_words": FLAG_WORDS,
        "status_words": STATUS_WORDS,
        "error": error,
        "form": form,
        "previous_id": ids[here - 1] if here else None,
        "next_id": ids[here + 1] if here is not None and here + 1 < len(ids) else None,
        "is_parcel": hasattr(d, "order_id"),
    }
    return page(request, "customs/declaration.html", DOMAIN, values, status_code)


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration(declaration_id: UUID, call: PageCall = Depends(page_call)) -> Response:
    return _declaration_page(call.request, call.svc, declaration_id)


def _refused(request: Request, svc: Services, did: UUID, exc: Exception, **kw: Any) -> Response:
    """A use case's refusal (a domain error) shown on the declaration's page, with its status."""
    found = answer_for(exc)
    if found is None:
        raise exc
    status, body = found
    detail = body.get("detail")
    if isinstance(detail, list):
        detail = "; ".join(f"{e.get('loc')}: {e.get('msg')}" for e in detail)
    return _declaration_page(request, svc, did, error=str(detail), status_code=status, **kw)


def _back_to_queue(done: str) -> Response:
    return RedirectResponse(f"/pages/customs?done={done}", status_code=303)


@router.post("/declarations/{declaration_id}/approve")
async def approve(declaration_id: UUID, call: PageCall = Depends(page_call)) -> Response:
    request, who, svc = call.request, call.who, call.svc
    note = str((await request.form()).get("note") or "")[:2000]
    try:
        svc.app.customs.approve_declaration(declaration_id, who.name, note)
    except DomainError as exc:
        return _refused(request, svc, declaration_id, exc)
    return _back_to_queue("approved")


@router.post("/declarations/{declaration_id}/reject")
async def reject(declaration_id: UUID, call: PageCall = Depends(page_call)) -> Response:
    request, who, svc = call.request, call.who, call.svc
    reason = str((await request.form()).get("reason") or "").strip()[:2000]
    if not reason:
        error = "A rejection needs a reason."
        return _declaration_page(request, svc, declaration_id, error=error, status_code=422)
    try:
        svc.app.customs.reject_declaration(declaration_id, who.name, reason)
    except DomainError as exc:
        return _refused(request, svc, declaration_id, exc)
    return _back_to_queue("rejected")


async def _amend_form(request: Request, svc: Services, declaration_id: UUID) -> AmendForm:
    d = svc.app.customs.get_declaration(declaration_id)
    return AmendForm(await request.form(), d.document["lines"])


@router.post("/declarations/{declaration_id}/amend/preview", response_class=HTMLResponse)
async def amend_preview(declaration_id: UUID, call: PageCall = Depends(page_call)) -> Response:
    """Duties and flags as the amendment would record them (htmx, while the reviewer types)."""
    request, svc = call.request, call.svc
    form = await _amend_form(request, svc, declaration_id)
    values: dict[str, Any] = {"form": form, "flag_words": FLAG_WORDS}
    if form.errors:
        return page(request, "customs/_preview.html", DOMAIN, values, 422)
    if form.changes:
        try:
            d, _, duties, flags = svc.app.customs.preview_amendment(declaration_id, form.changes)
        except DomainError as exc:
            found = answer_for(exc)
            values["problem"] = found[1].get("detail") if found else str(exc)
            return page(request, "customs/_preview.html", DOMAIN, values, 422)
        values.update({"before": d.duties, "duties": duties, "flags": flags})
    return page(request, "customs/_preview.html", DOMAIN, values)


@router.post("/declarations/{declaration_id}/amend")
async def amend(declaration_id: UUID, call: PageCall = Depends(page_call)) -> Response:
    request, who, svc = call.request, call.who, call.svc
    form = await _amend_form(request, svc, declaration_id)
    problem = None
    if form.errors:
        problem = "; ".join(f"{e['loc']}: {e['msg']}" for e in form.errors)
    elif not form.changes:
        problem = "Nothing was changed."
    elif not form.reason:
        problem = "An amendment needs a reason."
    if problem:
        return _declaration_page(
            request, svc, declaration_id, error=problem, form=form, status_code=422
        )
    try:
        svc.app.customs.amend_declaration(declaration_id, who.name, form.reason, form.changes)
    except DomainError as exc:
        return _refused(request, svc, declaration_id, exc, form=form)
    return RedirectResponse(
        f"/pages/customs/declarations/{declaration_id}?amended=1", status_code=303
    )


@router.get("/declarations/{declaration_id}/documents/{kind}")
def document(
    declaration_id: UUID,
    kind: Literal["commercial-invoice.pdf", "packing-list.pdf"],
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """The PDF the API serves, shown in the browser (inline) rather than downloaded."""
    content = svc.app.customs.declaration_document(declaration_id, kind)
    headers = {"Content-Disposition": f'inline; filename="{kind}"'}
    return Response(content, media_type="application/pdf", headers=headers)
