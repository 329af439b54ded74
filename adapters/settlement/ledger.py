"""The cost ledger grouped, with pandas (domains/settlement/ports.py `CostTotals`)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd


def cost_totals(ledger: list[dict[str, Any]], group_by: str) -> list[dict[str, Any]]:
    """Per value of `group_by`: shipments, orders, cost, order_value (each order's value once),
    cost_per_order and cost_share_of_order_value; amounts as floats in the base currency."""
    df = pd.DataFrame(ledger)
    if df.empty:
        return []
    df["cost"] = df["cost_base"].astype(float)
    orders = df.drop_duplicates("order_id")[["order_id", group_by, "order_value_base"]]
    orders = orders.assign(value=orders["order_value_base"].astype(float))
    g = (
        df.groupby(group_by)
        .agg(
            shipments=("shipment_id", "size"), orders=("order_id", "nunique"), cost=("cost", "sum")
        )
        .reset_index()
    )
    v = orders.groupby(group_by)["value"].sum().rename("order_value").reset_index()
    g = g.merge(v, on=group_by, how="left")
    g["cost_per_order"] = (g["cost"] / g["orders"]).round(2)
    g["cost_share_of_order_value"] = (g["cost"] / g["order_value"]).round(4)
    g["cost"] = g["cost"].round(2)
    g["order_value"] = g["order_value"].round(2)
    return json.loads(g.to_json(orient="records"))
