"""Pre-sale: selling units of an inbound shipment before they land, per channel and SKU.

`PresaleSettings` is versioned reference data (one stream; an order's pre-sale cites the
version it was decided under): which channel may pre-sell which SKU, optionally up to a cap of
units pre-sold at once, and each warehouse's handling time (days from an inbound's arrival to
the promised dispatch). `find_presale` is the decision, pure over what intake already loaded:
asked only for a line the stock on hand cannot cover.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domains.common import stable_id
from domains.warehouse.model import Inventory

DEFAULT_HANDLING_DAYS = 2


class PresaleSettings(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return stable_id("presale-settings")

    @event("Created")
    def __init__(self) -> None:
        # channel -> sku -> {"cap": units or None}
        self.rules: dict[str, dict[str, dict[str, Any]]] = {}
        self.handling_days: dict[str, int] = {}

    @event("Published")
    def publish(
        self,
        rules: dict[str, dict[str, dict[str, Any]]],
        handling_days: dict[str, int],
        published_by: str,
        note: str,
    ) -> None:
        self.rules = rules
        self.handling_days = handling_days

    @property
    def published_version(self) -> int:
        """The stream's version; 0 for the defaults when nothing was ever published."""
        return 0 if self.pending_events and self.version == 1 else self.version

    def rule(self, channel: str, sku: str) -> dict[str, Any] | None:
        return self.rules.get(channel, {}).get(sku)

    def handling(self, warehouse_id: str) -> int:
        return self.handling_days.get(warehouse_id, DEFAULT_HANDLING_DAYS)

    def details(self) -> dict[str, Any]:
        return {
            "version": self.published_version,
            "rules": [
                {"channel": channel, "sku": sku, "cap": rule.get("cap")}
                for channel, skus in sorted(self.rules.items())
                for sku, rule in sorted(skus.items())
            ],
            "handling_days": dict(sorted(self.handling_days.items())),
            "default_handling_days": DEFAULT_HANDLING_DAYS,
        }


PRESALE_TOPICS = [
    f"domains.orders.presale:PresaleSettings.{name}" for name in ("Created", "Published")
]


def find_presale(
    settings: PresaleSettings,
    channel: str,
    sku: str,
    quantity: int,
    inventories: dict[str, Inventory | None],
    servable: Callable[[list[str]], list[str]],
) -> dict[str, Any] | None:
    """The inbound a line of `quantity` units is pre-sold against, or None: the channel must
    pre-sell the SKU, the cap (units pre-sold to the channel across warehouses) must hold it,
    and an inbound to a warehouse `servable` keeps (the lane screen) must have that many units
    not yet pre-sold. The earliest promised date (arrival + handling) wins, then the earliest
    arrival, then the warehouse code. Answers {warehouse_id,
    inbound_id, arrival, handling_days, promised_date, settings_version, cap}."""
    rule = settings.rule(channel, sku)
    if rule is None:
        return None
    cap = rule.get("cap")
    if cap is not None:
        presold = sum(inv.presold_to(channel) for inv in inventories.values() if inv)
        if presold + quantity > cap:
            return None
    candidates = sorted(
        (promised(entry["arrival"], settings.handling(code)), entry["arrival"], code, inbound_id)
        for code, inv in inventories.items()
        if inv is not None
        for inbound_id, entry in inv.inbound.items()
        if inv.presale_free(inbound_id) >= quantity
    )
    if not candidates:
        return None
    keep = set(servable(sorted({c[2] for c in candidates})))
    for promised_date, arrival, code, inbound_id in candidates:
        if code in keep:
            return {
                "warehouse_id": code,
                "inbound_id": inbound_id,
                "arrival": arrival,
                "handling_days": settings.handling(code),
                "promised_date": promised_date,
                "settings_version": settings.published_version,
                "cap": cap,
            }
    return None


def promised(arrival: str, handling_days: int) -> str:
    """When a pre-sold shipment is promised to leave: the inbound's arrival plus the
    warehouse's handling time."""
    return (date.fromisoformat(arrival) + timedelta(days=handling_days)).isoformat()
