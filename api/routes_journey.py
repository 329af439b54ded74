"""Where is order X: one shipment's journey (the order's page lists them all), and the buyer's
public tracking page (HTML and JSON) found by an unguessable token, in the buyer's language."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Services, as_json, caller, services
from api.tracking_i18n import LANGUAGES, STATUS_WORDS, WORDS, choose_language
from domains.common import ValidationFailed
from domains.journey import for_the_buyer

router = APIRouter(tags=["journey"])
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
NO_SUCH_TOKEN: dict[int | str, dict[str, Any]] = {
    404: {"description": "no parcel has this token (malformed and unknown alike)"}
}
Lang = Query(None, max_length=20, description="the page's language: " + ", ".join(LANGUAGES))


@router.get("/v1/shipments/{shipment_id}")
def get_shipment(
    shipment_id: str, who: Principal = Depends(caller), svc: Services = Depends(services)
) -> dict[str, Any]:
    """One shipment's journey (id `<order id>-S<n>`): warehouse, lines, lots, parcels, carrier,
    waybill, label, declaration, tracking, exceptions, costs, promised and expected dates."""
    return as_json(svc.app.journey.shipment(shipment_id))


def _tracking(svc: Services, token: str) -> dict[str, Any]:
    order, journey = svc.app.journey.by_token(token)
    return for_the_buyer(order, journey)


def _language(lang: str | None, accept_language: str | None, t: dict[str, Any]) -> str:
    if lang is not None and lang not in LANGUAGES:
        raise ValidationFailed([{"loc": "lang", "msg": f"one of {', '.join(LANGUAGES)}"}])
    return choose_language(lang, accept_language, t["destination"]["country"])


@router.get("/v1/track/{token}", responses=NO_SUCH_TOKEN)
async def track_json(
    token: str,
    lang: str | None = Lang,
    accept_language: str | None = Header(None),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """The buyer's tracking by token (no key): statuses and dates, the destination city."""
    t = await run_in_threadpool(_tracking, svc, token)
    language = _language(lang, accept_language, t)
    return as_json({**t, "language": language, "status_text": STATUS_WORDS[language][t["status"]]})


@router.get("/track/{token}", response_class=HTMLResponse, responses=NO_SUCH_TOKEN)
async def track_page(
    token: str,
    lang: str | None = Lang,
    accept_language: str | None = Header(None),
    svc: Services = Depends(services),
) -> HTMLResponse:
    """The buyer's tracking page (HTML) in their language."""
    t = await run_in_threadpool(_tracking, svc, token)
    language = _language(lang, accept_language, t)
    html = TEMPLATES.get_template("track.html").render(
        lang=language,
        w=WORDS[language],
        t=t,
        status_label=STATUS_WORDS[language].get(t["status"], t["status"]),
        dates={k: _day(t[k], language) for k in _DATES},
        events=[
            {
                **e,
                "when": _moment(e["occurred_at"], language),
                "label": STATUS_WORDS[language].get(e["status"], e["status"]),
            }
            for e in reversed(t["events"])
        ],
    )
    return HTMLResponse(
        html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


_DATES = ("dispatched_at", "expected_date", "promised_date", "delivered_at")


def _day(value: str | None, language: str) -> str:
    if not value:
        return ""
    return format_date(date.fromisoformat(value[:10]), format="long", locale=language)


def _moment(value: str, language: str) -> str:
    return format_datetime(
        datetime.fromisoformat(value.replace("Z", "+00:00")), format="medium", locale=language
    )
