"""`crossdock risk-fit`: fits the risk rules' anomaly model (adapters/orders/risk_model.py) on
the features every order's review recorded, and writes it where the servers load it from
(var/risk-model.json, or CROSSDOCK_RISK_MODEL). Run it offline or on a schedule (nightly);
servers load the model when they start, so restart them (or roll them) afterwards. Each
review names the model version it was scored with."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

REVIEWED = "domains.orders.model:Order.Reviewed"
MIN_ROWS = 200


def recorded_features(app: Any, limit: int) -> list[list[float]]:
    """The anomaly features of the latest `limit` reviews that were screened for risk."""
    rows: list[list[float]] = []
    start = 0
    while True:
        batch = app.recorder.select_notifications(
            start=start, limit=1000, topics=[REVIEWED], inclusive_of_start=False
        )
        for n in batch:
            event = app.mapper.to_domain_event(n)
            for r in event.rules:
                if r["rule"] == "risk" and r["inputs"].get("anomaly", {}).get("features"):
                    rows.append(r["inputs"]["anomaly"]["features"])
        if len(batch) < 1000:
            return rows[-limit:]
        start = batch[-1].id


def register(cli: typer.Typer) -> None:
    @cli.command("risk-fit")
    def risk_fit(
        limit: int = typer.Option(20_000, help="fit on at most this many latest reviews"),
        out: Path = typer.Option(None, help="model file (default CROSSDOCK_RISK_MODEL)"),
    ) -> None:
        """Fit the isolation forest on recorded risk features and write the model file."""
        from adapters.bootstrap import build_app
        from adapters.orders import risk_model

        app = build_app()
        try:
            rows = recorded_features(app, limit)
        finally:
            app.close()
        if len(rows) < MIN_ROWS:
            typer.echo(f"only {len(rows)} screened reviews; at least {MIN_ROWS} are needed")
            raise typer.Exit(1)
        version = f"if-{datetime.now(UTC):%Y%m%dT%H%M%S}-{len(rows)}"
        model = risk_model.fit(rows, version)
        path = out or Path(os.environ.get("CROSSDOCK_RISK_MODEL", risk_model.DEFAULT_MODEL_FILE))
        risk_model.save(model, path)
        typer.echo(f"model {version} fitted on {len(rows)} reviews, written to {path}")
