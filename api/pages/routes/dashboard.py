"""The logistics health dashboard page: one card per metric (definition, value, target met or
missed, trend chart) for the period and filters of the form; an admin sets a target from the
card. The numbers are GET /v1/metrics/health's, by the same function (api/routes_metrics.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from api.auth import Principal
from api.deps import Services, caller, services
from api.pages.charts import line_chart
from api.pages.i18n import Formatter, Translator
from api.pages.render import language, page
from api.pages.routes.shared import safe_next
from api.pages.session import csrf_protect
from api.routes_metrics import Filters, HealthQuery, health_for, health_query
from domains.common import DomainError

router = APIRouter(
    prefix="/pages/dashboard", include_in_schema=False, dependencies=[Depends(csrf_protect)]
)
DOMAIN = "dashboard"
UNIT_LABELS = {
    "hours": "hours",
    "days": "days",
    "ratio": "share (%)",
    "times": "times",
    "money": "amount",
}


def display(metric: dict[str, Any], value: Any, fmt: Formatter, _: Translator) -> str:
    """A metric's value (or target) as the page shows it, in the page's locale."""
    if value is None:
        return _("No data")
    unit = metric["unit"]
    if unit == "ratio":
        return fmt.percent(value, 1)
    if unit == "money":
        return fmt.money(value, metric["currency"])
    if unit == "hours":
        return _("%(n)s h", n=fmt.number(value, 1))
    if unit == "days":
        return _("%(n)s days", n=fmt.number(value, 2))
    return _("%(n)s times", n=fmt.number(value, 2))


def chart(metric: dict[str, Any], _: Translator) -> Markup | None:
    """The trend as a line chart (ratios in per cent), with the target as a dashed line."""
    scale = Decimal(100) if metric["unit"] == "ratio" else Decimal(1)
    points = [
        (p["period"], Decimal(p["value"]) * scale)
        for p in metric["trend"]
        if p["value"] is not None
    ]
    if not points:
        return None
    target = metric["target"]
    name = _(metric["name"])
    return line_chart(
        points,
        title=_("%(name)s by period", name=name),
        desc=_("%(n)s periods with data", n=len(points)),
        x_label=_("Period"),
        y_label=_(UNIT_LABELS[metric["unit"]]),
        target=Decimal(target["value"]) * scale if target else None,
        label=f"chart-{metric['key']}",
    )


def _render(
    request: Request,
    svc: Services,
    who: Principal,
    q: HealthQuery,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    fmt, _ = Formatter(lang), Translator(lang, DOMAIN)
    try:
        health = health_for(svc, q)
    except DomainError as exc:  # a period that ends before it starts: the default one
        error, status_code = str(exc), 422
        health = health_for(svc, HealthQuery(q.filters, trend=q.trend))
    cards = [
        {
            **m,
            "shown": display(m, m["value"], fmt, _),
            "target_shown": display(m, m["target"]["value"], fmt, _) if m["target"] else None,
            "p90_shown": display(m, m["stats"].get("p90"), fmt, _) if "p90" in m["stats"] else None,
            "chart": chart(m, _),
            "trend_rows": [(p["period"], display(m, p["value"], fmt, _)) for p in m["trend"]],
        }
        for m in health["metrics"]
    ]
    values = {
        "health": health,
        "cards": cards,
        "choices": svc.app.metrics.filter_choices(),
        "can_set": who.role == "admin",
        "here": request.url.path + ("?" + request.url.query if request.url.query else ""),
        "error": error,
    }
    return page(request, "dashboard/index.html", DOMAIN, values, status_code)


@router.get("", response_class=HTMLResponse)
def dashboard(
    request: Request,
    q: HealthQuery = Depends(health_query),
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    return _render(request, svc, who, q)


@router.post("/targets")
def set_target(
    request: Request,
    metric: Annotated[str, Form(max_length=60)],
    value: Annotated[str, Form(max_length=30)],
    next: Annotated[str, Form(max_length=1000)] = "/pages/dashboard",
    who: Principal = Depends(caller),
    svc: Services = Depends(services),
) -> Response:
    """Sets the metric's target (an event with who and when) and goes back to the same view."""
    try:
        svc.app.metrics.set_target(metric, value.strip(), who.name, "set on the dashboard")
    except DomainError as exc:
        _ = Translator(language(request), DOMAIN)
        problem = _("The target for %(metric)s was not set: %(why)s", metric=metric, why=str(exc))
        return _render(request, svc, who, HealthQuery(Filters()), problem, 422)
    target = safe_next(next) if next.startswith("/pages/dashboard") else "/pages/dashboard"
    return RedirectResponse(f"{target}#metric-{metric}", status_code=303)
