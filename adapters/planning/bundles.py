"""Association rules over order lines (pandas; it is counting): for every pair of SKUs bought
in the same order, each direction A -> B with

- support = orders holding A and B / all orders,
- confidence = orders holding A and B / orders holding A,
- lift = confidence / (orders holding B / all orders): how much more often B comes with A than
  on its own (1 = independent).

A SKU listed twice in one order counts once. Rules below `min_support` (and pairs seen in fewer
than `min_orders` orders) are left out; sorted by lift, then confidence."""

from __future__ import annotations

from typing import Any

import pandas as pd

COLUMNS = ["antecedent", "consequent", "orders", "support", "confidence", "lift"]


def association_rules(
    lines: list[dict[str, Any]] | pd.DataFrame, min_support: float = 0.005, min_orders: int = 5
) -> list[dict[str, Any]]:
    frame = pd.DataFrame(lines, columns=["order_id", "sku"]).drop_duplicates()
    total = frame["order_id"].nunique()
    if total == 0:
        return []
    item_orders = frame.groupby("sku")["order_id"].nunique()
    pairs = frame.merge(frame, on="order_id", suffixes=("_a", "_b"))
    pairs = pairs[pairs["sku_a"] != pairs["sku_b"]]
    both = pairs.groupby(["sku_a", "sku_b"])["order_id"].nunique().rename("orders").reset_index()
    both = both[(both["orders"] >= min_orders) & (both["orders"] / total >= min_support)]
    if both.empty:
        return []
    rules = pd.DataFrame(
        {
            "antecedent": both["sku_a"],
            "consequent": both["sku_b"],
            "orders": both["orders"].astype(int),
            "support": both["orders"] / total,
            "confidence": both["orders"] / both["sku_a"].map(item_orders),
        }
    )
    rules["lift"] = rules["confidence"] / (rules["consequent"].map(item_orders) / total)
    rules = rules.sort_values(["lift", "confidence", "antecedent", "consequent"],
                              ascending=[False, False, True, True])  # fmt: skip
    for column in ("support", "confidence", "lift"):
        rules[column] = rules[column].round(4)
    return [{**r, "orders_total": total} for r in rules[COLUMNS].to_dict(orient="records")]
