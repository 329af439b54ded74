"""Per sales channel: the carrier policy and the delivery promise, read by the carrier choice
(domains/transport/application.py) and by the lane offers the split is priced on (rates.py)."""

from __future__ import annotations

from typing import Any

# Per channel: the carrier policy and the delivery promise in days from placing the order.
CHANNEL_SETTINGS: dict[str, dict[str, Any]] = {
    "amazon": {"policy": "best_value", "promise_days": 10},
    "shopee": {"policy": "cheapest", "promise_days": 14},
    "shopify": {"policy": "best_value", "promise_days": 12},
    "tiktok": {"policy": "best_value", "promise_days": 10},
    "web": {"policy": "best_value", "promise_days": 12},
    "dealer": {"policy": "cheapest", "promise_days": 21},
}
