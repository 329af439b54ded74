"""Dealer order files as intake items, and dealer orders stored before the dealer's own order
number became the external id.

What an order from a dealer file records: its canonical form; as raw payload, the rows read
from the file (line and cells by the dealer's column names) and which import profile version
mapped them (`import_profile`: {dealer_id, id, version}, or None for today's CSV format). The
profile is kept out of the canonical form and out of what identifies a repeat, so the same order
sent again under a revised profile is still the same order.

Until then the external id was "<dealer>:<number>" and the raw payload was the canonical form.
Such orders keep their stream ids (Order.create_id keys dealer orders by that same string) and a
resend of an old file is recognised: the old form is one of the intake item's fingerprints.
"""

from __future__ import annotations

from typing import Any

from domains.orders.intake import Intake
from domains.orders.model import Order
from domains.ports import MappedOrder


def dealer_intake(mapped: MappedOrder, profile: dict[str, Any] | None) -> Intake:
    canonical = mapped.canonical
    raw = {"import_profile": profile, **(mapped.raw or {})}
    return Intake(
        "dealer", raw, canonical, mapped.source_paths, (canonical, legacy_form(canonical))
    )


def legacy_form(canonical: dict[str, Any]) -> dict[str, Any]:
    """The order as older code recorded it (and hashed it as its raw payload)."""
    prefixed = f"{canonical.get('dealer_id')}:{canonical.get('external_id')}"
    return {**canonical, "external_id": prefixed}


def comparable(order: Order, canonical: dict[str, Any]) -> dict[str, Any]:
    """A stored order's canonical form as a new dealer order would read (the dealer's own
    number), so a conflict lists real differences only."""
    dealer_id = canonical.get("dealer_id")
    external_id = canonical.get("external_id")
    prefix = f"{dealer_id}:"
    if order.channel == "dealer" and dealer_id and str(external_id).startswith(prefix):
        return {**canonical, "external_id": str(external_id).removeprefix(prefix)}
    return canonical
