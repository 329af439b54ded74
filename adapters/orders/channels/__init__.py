"""Channel mappers: each sales channel's native order payload -> one canonical order.

Mappers are pure and only check structure and types; existence checks (SKUs,
countries, currencies) belong to the validation layer, which uses
`MappedOrder.source_paths` to point back at the native field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import amazon, shopee, shopify, tiktok, web
from .base import FieldError, MappedOrder, PayloadError
from .dealer_csv import parse_dealer_csv

__all__ = [
    "MAPPERS",
    "FieldError",
    "MappedOrder",
    "PayloadError",
    "map_payload",
    "native_sample",
    "parse_dealer_csv",
]

MAPPERS: dict[str, Callable[[Any], MappedOrder]] = {
    "amazon": amazon.map_order,
    "shopee": shopee.map_order,
    "shopify": shopify.map_order,
    "tiktok": tiktok.map_order,
    "web": web.map_order,
}


def map_payload(channel: str, payload: Any) -> MappedOrder:
    mapper = MAPPERS.get(channel) if isinstance(channel, str) else None
    if mapper is None:
        known = ", ".join(sorted(MAPPERS))
        raise PayloadError(
            [FieldError("channel", f"unknown channel {channel!r}; expected one of {known}")]
        )
    return mapper(payload)


# One real-shaped native order per channel (adapters/data/channel_samples/<channel>.json): the
# OpenAPI examples of the intake route and the samples the README's channel sections cite.
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "channel_samples"


def native_sample(channel: str) -> Any:
    return json.loads((SAMPLES_DIR / f"{channel}.json").read_text(encoding="utf-8"))
