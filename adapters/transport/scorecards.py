"""Carrier scorecards from our own shipment history, with pandas: on-time rate, exception rate
and mean transit per carrier service and lane, quoted against actual transit days."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from domains.metrics.calc import TROUBLE


def carrier_scorecards(
    shipments: list[dict[str, Any]], warehouse_countries: Mapping[str, str]
) -> list[dict[str, Any]]:
    """`shipments`: rows of dispatched shipments (carrier, service, warehouse_id, destination,
    dispatched_at, delivered_at, eta, quoted_days_max, alerts as JSON text, tracking_status,
    hold_reason). The lane is the warehouse's country (else its code) and the destination."""
    if not shipments:
        return []
    df = pd.DataFrame(shipments)
    df["lane"] = (
        df["warehouse_id"].map(lambda w: warehouse_countries.get(w, w)) + "-" + df["destination"]
    )
    dispatched = pd.to_datetime(df["dispatched_at"], utc=True, format="ISO8601")
    delivered = pd.to_datetime(df["delivered_at"], utc=True, format="ISO8601")
    eta = pd.to_datetime(df["eta"], utc=True, format="ISO8601")
    df["delivered"] = delivered.notna()
    df["on_time"] = df["delivered"] & (delivered <= eta)
    df["transit_days"] = (delivered - dispatched).dt.total_seconds() / 86400
    df["exception"] = (
        (df["alerts"] != "[]") | df["hold_reason"].notna() | df["tracking_status"].isin(list(TROUBLE))
    )
    grouped = df.groupby(["carrier", "service", "lane"], dropna=False)
    out = grouped.agg(
        shipments=("lane", "size"),
        delivered=("delivered", "sum"),
        on_time=("on_time", "sum"),
        exceptions=("exception", "sum"),
        mean_transit_days=("transit_days", "mean"),
        quoted_days_max=("quoted_days_max", "mean"),
    ).reset_index()
    out["on_time_rate"] = (out["on_time"] / out["delivered"].where(out["delivered"] > 0)).round(3)
    out["exception_rate"] = (out["exceptions"] / out["shipments"]).round(3)
    out["mean_transit_days"] = out["mean_transit_days"].round(2)
    return json.loads(out.to_json(orient="records"))
