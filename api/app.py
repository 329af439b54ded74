"""The FastAPI application: routers per user group, error mapping, and the services it runs on.

`create_app()` builds everything from the environment (adapters/bootstrap.py); tests pass their
own services. Views are refreshed inline before reads (read-your-writes) unless
CROSSDOCK_INLINE_PROJECTION=0, when separate `crossdock project` workers keep them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.bootstrap import build_app_with_views
from adapters.outbox.worker import build_outbox
from adapters.runtime import tune_gc
from api import (
    error_docs,
    errors,
    limits,
    routes_channel_updates,
    routes_customs,
    routes_dealer_profiles,
    routes_hs,
    routes_inbound,
    routes_journey,
    routes_metrics,
    routes_orders,
    routes_outbox,
    routes_planning,
    routes_presale,
    routes_privacy,
    routes_receivables,
    routes_reference,
    routes_returns,
    routes_risk,
    routes_settlement,
    routes_transport,
    routes_warehouse,
)
from api.auth import KeyStore
from api.batcher import IntakeBatcher
from api.deps import Services
from api.fast_intake import CrossdockAPI
from api.pages import install as install_pages
from api.pages.session import Sessions
from domains.ports import Clock

log = logging.getLogger("uvicorn.error")  # the server's own log: shown at its level


def build_services(
    overrides: dict[str, str] | None = None,
    keys: KeyStore | None = None,
    clock: Clock | None = None,
) -> Services:
    app, views = build_app_with_views(overrides, clock)
    batcher = IntakeBatcher(
        app,
        max_batch=int(os.environ.get("CROSSDOCK_INTAKE_BATCH", "100")),
        max_wait_s=float(os.environ.get("CROSSDOCK_INTAKE_WAIT_MS", "2")) / 1000,
    )
    keys = keys or KeyStore.from_env()
    outbox = build_outbox(app, views.db)
    sessions = Sessions()
    return Services(app, views.db, views.runner, keys, views.inline, batcher, outbox, sessions)


def create_app(svc: Services | None = None, *, fast_intake: bool = True) -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        if not hasattr(api.state, "services"):
            api.state.services = build_services()
            # A serving process: load what the first orders would wait for, then keep the
            # start-up objects out of the collector's way.
            log.info("warmed up: %s", api.state.services.app.warm_up())
            tune_gc()
        yield
        api.state.services.keys.close()  # writes the keys' last use (api/auth.py)
        if api.state.services.batcher is not None:
            api.state.services.batcher.close()
        if api.state.services.outbox is not None:
            api.state.services.outbox.close()
        api.state.services.db.close()
        api.state.services.app.close()

    api = CrossdockAPI(
        fast_intake=fast_intake,
        title="Crossdock",
        docs_url=None,  # served from local assets by api/pages/docs.py
        redoc_url=None,
        version="0.1.0",
        description="Event-sourced backend for cross-border e-commerce logistics. "
        "Authenticate with 'Authorization: Bearer <API key>'.",
        lifespan=lifespan,
    )
    if svc is not None:
        api.state.services = svc
    errors.install(api)
    limits.install(api)
    api.include_router(routes_channel_updates.router)  # before /v1/orders/{order_id}
    api.include_router(routes_orders.router)
    api.include_router(routes_presale.router)
    api.include_router(routes_risk.router)
    api.include_router(routes_reference.router)
    api.include_router(routes_dealer_profiles.router)
    api.include_router(routes_warehouse.router)
    api.include_router(routes_transport.router)
    api.include_router(routes_customs.router)
    api.include_router(routes_hs.router)
    api.include_router(routes_settlement.router)
    api.include_router(routes_privacy.router)
    api.include_router(routes_inbound.router)
    api.include_router(routes_outbox.router)
    api.include_router(routes_receivables.router)
    api.include_router(routes_journey.router)
    api.include_router(routes_returns.router)
    api.include_router(routes_planning.router)
    api.include_router(routes_metrics.router)

    @api.get("/healthz", tags=["ops"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    install_pages(api)
    error_docs.install(api)
    return api
