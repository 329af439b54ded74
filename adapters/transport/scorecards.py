"""Carrier scorecards from our own shipment history, with pandas: on-time rate, exception rate
and mean transit per carrier service and lane, quoted against actual transit days; and the
rows of the carrier record (domains/transport/record.py) with its versioned settings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from domains.metrics.calc import TROUBLE
from domains.transport.record import RecordSettings

DATA = Path(__file__).resolve().parent.parent / "data"


def _frame(
    shipments: list[dict[str, Any]], warehouse_countries: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The shipments with their lane, whether delivered and the transit days; and the
    delivery times and ETAs parsed."""
    df = pd.DataFrame(shipments)
    df["lane"] = (
        df["warehouse_id"].map(lambda w: warehouse_countries.get(w, w)) + "-" + df["destination"]
    )
    dispatched = pd.to_datetime(df["dispatched_at"], utc=True, format="ISO8601")
    delivered = pd.to_datetime(df["delivered_at"], utc=True, format="ISO8601")
    eta = pd.to_datetime(df["eta"], utc=True, format="ISO8601")
    df["delivered"] = delivered.notna()
    df["transit_days"] = (delivered - dispatched).dt.total_seconds() / 86400
    return df, delivered, eta


def carrier_scorecards(
    shipments: list[dict[str, Any]], warehouse_countries: Mapping[str, str]
) -> list[dict[str, Any]]:
    """`shipments`: rows of dispatched shipments (carrier, service, warehouse_id, destination,
    dispatched_at, delivered_at, eta, quoted_days_max, alerts as JSON text, tracking_status,
    hold_reason). The lane is the warehouse's country (else its code) and the destination."""
    if not shipments:
        return []
    df, delivered, eta = _frame(shipments, warehouse_countries)
    df["on_time"] = df["delivered"] & (delivered <= eta)
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


def carrier_record_rows(
    shipments: list[dict[str, Any]], warehouse_countries: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Per carrier service and lane (domains/transport/record.py): shipments, delivered, late
    (delivered after the ETA given at dispatch), transit days p50/p90 of the delivered ones,
    kg shipped (chargeable weight, else the parcel's) and the quoted cost per kg."""
    if not shipments:
        return []
    df, delivered, eta = _frame(shipments, warehouse_countries)
    df["late"] = df["delivered"] & (delivered > eta)
    df["kg"] = pd.to_numeric(df["chargeable_weight_kg"]).fillna(df["weight_g"] / 1000)
    df["cost"] = pd.to_numeric(df["quoted_total_cents"]) / 100
    priced = df["cost"].notna()
    df["priced_kg"] = df["kg"].where(priced, 0.0)
    grouped = df.groupby(["carrier", "service", "lane"], dropna=False)
    out = grouped.agg(
        shipments=("lane", "size"),
        delivered=("delivered", "sum"),
        late=("late", "sum"),
        transit_p50_days=("transit_days", lambda x: x.quantile(0.5)),
        transit_p90_days=("transit_days", lambda x: x.quantile(0.9)),
        kg=("kg", "sum"),
        cost=("cost", "sum"),
        priced_kg=("priced_kg", "sum"),
        currency=("currency", "first"),
    ).reset_index()
    out["cost_per_kg"] = (out["cost"] / out["priced_kg"].where(out["priced_kg"] > 0)).round(2)
    for col in ("transit_p50_days", "transit_p90_days", "kg"):
        out[col] = out[col].round(2)
    out = out.drop(columns=["cost", "priced_kg"])
    return json.loads(out.to_json(orient="records"))


def load_record_settings(path: Path = DATA / "carrier_record.json") -> RecordSettings:
    data = json.loads(path.read_text())
    return RecordSettings(
        version=data["version"],
        cost_of_lateness=Decimal(data["cost_of_lateness"]),
        kappa=float(data["kappa"]),
        default_p_late=float(data["default_p_late"]),
        default_p_loss=float(data["default_p_loss"]),
        reference_kg=float(data["reference_kg"]),
        reference_value=Decimal(data["reference_value"]),
    )
