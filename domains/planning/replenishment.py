"""Replenishment figures from a forecast (pure): demand over the lead time, safety stock from
the forecast's error, reorder point and order quantity against the stock position.

- ``z = NormalDist().inv_cdf(service_level)`` (cycle service level, one-sided);
- ``safety_stock = z * rmse_daily * sqrt(lead_time_days)``: the daily forecast error measured on
  the held-back weeks, grown over the lead time as independent daily errors would;
- ``reorder_point = forecast units over the lead time + safety_stock``;
- ``position = on_hand - reserved + inbound - reserved_inbound`` (what is free now plus what is
  on its way and not yet pre-sold);
- below the reorder point (``position <= reorder_point``) the quantity covers the lead time and
  one review period: ``forecast over (lead time + review) + safety_stock - position``, rounded
  up to whole units and then to the pack size; otherwise 0.
Units are whole; the other figures are rounded to 2 decimals for the record.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

REVIEW_DAYS = 7  # suggestions are run weekly: an order covers one more week


def figures(
    daily_forecast: list[float],
    rmse_daily: float,
    lead_time_days: int,
    service_level: float,
    stock: dict[str, int],
    pack_size: int = 1,
    review_days: int = REVIEW_DAYS,
) -> dict[str, Any]:
    if not 0.5 < service_level < 0.9999:
        raise ValueError(f"service_level must be between 0.5 and 0.9999, got {service_level}")
    needed = lead_time_days + review_days
    if len(daily_forecast) < needed:
        raise ValueError(f"the forecast covers {len(daily_forecast)} days; {needed} are needed")
    z = NormalDist().inv_cdf(service_level)
    over_lead_time = sum(daily_forecast[:lead_time_days])
    over_cover = sum(daily_forecast[:needed])
    safety = z * rmse_daily * math.sqrt(lead_time_days)
    reorder_point = over_lead_time + safety
    position = (
        stock.get("on_hand", 0) - stock.get("reserved", 0)
        + stock.get("inbound", 0) - stock.get("reserved_inbound", 0)
    )  # fmt: skip
    below = position <= reorder_point + 1e-9
    units = max(0, math.ceil(over_cover + safety - position - 1e-9)) if below else 0
    quantity = -(-units // pack_size) * pack_size
    return {
        "service_level": service_level,
        "z": round(z, 4),
        "lead_time_days": lead_time_days,
        "review_days": review_days,
        "forecast_over_lead_time": round(over_lead_time, 2),
        "forecast_over_cover": round(over_cover, 2),
        "rmse_daily": round(rmse_daily, 4),
        "safety_stock": round(safety, 2),
        "reorder_point": round(reorder_point, 2),
        "on_hand": stock.get("on_hand", 0),
        "reserved": stock.get("reserved", 0),
        "inbound": stock.get("inbound", 0),
        "reserved_inbound": stock.get("reserved_inbound", 0),
        "position": position,
        "below_reorder_point": below,
        "pack_size": pack_size,
        "order_quantity": quantity,
    }
