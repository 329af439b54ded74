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

from domains.reference.import_profiles import ImportProfile

from . import amazon, shopee, shopify, tiktok, web
from .base import FieldError, MappedOrder, PayloadError
from .dealer_csv import parse_dealer_csv
from .dealer_profile import parse_dealer_export

__all__ = [
    "MAPPERS",
    "FieldError",
    "MappedOrder",
    "PayloadError",
    "map_payload",
    "native_sample",
    "parse_dealer_csv",
    "read_dealer_file",
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


def read_dealer_file(data: bytes, profile: ImportProfile | None = None) -> list[MappedOrder]:
    """A dealer's order file: read through its import profile, or in today's CSV format
    (adapters/orders/channels/dealer_csv.py) when there is none."""
    return parse_dealer_csv(data) if profile is None else parse_dealer_export(data, profile)


# One real-shaped native order per channel (adapters/data/channel_samples/<channel>.json): the
# OpenAPI examples of the intake route and the samples the README's channel sections cite.
SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "channel_samples"


def native_sample(channel: str) -> Any:
    return json.loads((SAMPLES_DIR / f"{channel}.json").read_text(encoding="utf-8"))
