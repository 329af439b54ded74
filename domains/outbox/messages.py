"""What goes back out after a stored event: to the sales channel, to the buyer, to the customs
team. Decided from the event and the order as it stood at that event (never "now"), so
following the log again derives the same messages with the same ids.

Pure: standard library only. The shapes each channel's fulfilment API takes are in
adapters/outbox/shapes.py; delivery (Kafka, webhooks, e-mail) is in adapters/outbox/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

# Kinds a channel subscription can ask for, and what the buyer is told.
CHANNEL_KINDS = ("shipment_confirmed", "out_for_delivery", "delivered", "delivery_failed")
BUYER_KINDS = ("shipped", "delayed", "out_for_delivery", "delivered", "customs_hold")
CUSTOMS_TEAM_KIND = "customs_hold_48h"

# A scan tells the channel (and the buyer) something only when it became the shipment's latest
# status: a late out-for-delivery scan after delivery says nothing new.
SCAN_TO_CHANNEL = {
    "out_for_delivery": "out_for_delivery",
    "delivered": "delivered",
    "delivery_failed": "delivery_failed",
}
SCAN_TO_BUYER = {"out_for_delivery": "out_for_delivery", "delivered": "delivered"}

# A delay's new date: two days after the later of the promised ETA and the day the delay was
# seen. Recorded with the message so a complaint can be traced to the rule.
ETA_RULE = "eta-revision-v1: later of promised ETA and day seen, plus 2 days"
ETA_SLACK = timedelta(days=2)

LANGUAGES = ("en", "de", "fr", "es")
COUNTRY_LANGUAGE = {
    **dict.fromkeys(("DE", "AT", "LI"), "de"),
    **dict.fromkeys(("FR", "MC", "LU", "BE"), "fr"),
    **dict.fromkeys(("ES", "MX", "AR", "CO", "CL", "PE"), "es"),
}

# A parcel held at customs for over 48 h: what usually causes it, for the customs team.
CUSTOMS_HOLD_CAUSES = (
    "commercial invoice missing, unreadable or not matching the parcel",
    "goods description too vague for the HS code declared",
    "declared value looks low for the goods (valuation query)",
    "importer details missing: tax id, EORI or IOSS number",
    "restricted goods needing a licence or certificate (batteries, food, cosmetics)",
    "duties and import VAT unpaid on a DDU shipment",
    "consignee name or address not matching the declaration",
)


@dataclass(frozen=True)
class Intent:
    """One message to send: to the channel (`audience` "channel"), the buyer or the customs
    team. `data` holds no personal data: the buyer is named by data subject at sending time."""

    audience: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def revised_eta(promised: str | None, seen_at: str) -> date:
    seen = datetime.fromisoformat(seen_at).date()
    base = max(seen, datetime.fromisoformat(promised).date()) if promised else seen
    return base + ETA_SLACK


def language_for(locale: str | None, country: str | None) -> str:
    """The buyer's language: the channel's locale when it sends one we have templates for,
    else the destination country's language, else English."""
    if locale:
        lang = locale.replace("_", "-").split("-")[0].lower()
        if lang in LANGUAGES:
            return lang
    return COUNTRY_LANGUAGE.get((country or "").upper(), "en")


@dataclass(frozen=True)
class Shipped:
    """The order's facts a message needs, at the event's version (no personal data)."""

    order_id: str
    channel: str
    external_id: str
    shipment_no: int
    entry: dict[str, Any]  # the shipment's fulfilment state
    lines: list[dict[str, Any]]  # the shipment's lines (sku, quantity)
    country: str | None
    locale: str | None
    subject_id: str | None

    def base(self) -> dict[str, Any]:
        e = self.entry
        return {
            "order_id": self.order_id,
            "channel": self.channel,
            "external_id": self.external_id,
            "shipment_no": self.shipment_no,
            "carrier": e.get("carrier_code"),
            "service": e.get("service"),
            "tracking_number": e.get("waybill"),
            "dispatched_at": e.get("dispatched_at"),
            "eta": e.get("eta"),
        }


def intents(event_type: str, event: dict[str, Any], order: Shipped) -> list[Intent]:
    """The messages one stored Order event calls for (none for most events)."""
    base = order.base()
    buyer = {"subject_id": order.subject_id, "language": language_for(order.locale, order.country)}
    if event_type == "Dispatched":
        confirmed = {**base, "lines": order.lines, "ship_date": event["dispatched_at"]}
        return [
            Intent("channel", "shipment_confirmed", confirmed),
            Intent("buyer", "shipped", {**confirmed, **buyer}),
        ]
    if event_type == "TrackingRecorded":
        scan = event["event_data"]
        status = scan["status"]
        at = {"occurred_at": scan["occurred_at"], "status": status}
        out: list[Intent] = []
        if event["tracking_status"] == status and status in SCAN_TO_CHANNEL:
            out.append(Intent("channel", SCAN_TO_CHANNEL[status], {**base, **at}))
        if event["tracking_status"] == status and status in SCAN_TO_BUYER:
            out.append(Intent("buyer", SCAN_TO_BUYER[status], {**base, **at, **buyer}))
        if status == "delivery_delayed":
            new = revised_eta(base["eta"], scan["occurred_at"]).isoformat()
            data = {**base, **at, **buyer, "new_eta": new, "eta_rule": ETA_RULE}
            out.append(Intent("buyer", "delayed", data))
        if status == "on_hold" and scan.get("incident") == "customs_delay":
            out.append(Intent("buyer", "customs_hold", {**base, **at, **buyer}))
        return out
    if event_type == "ExceptionRaised":
        if event["kind"] == "eta_passed":
            new = revised_eta(base["eta"], event["detected_at"]).isoformat()
            data = {**base, **buyer, "new_eta": new, "eta_rule": ETA_RULE}
            return [Intent("buyer", "delayed", data)]
        if event["kind"] == CUSTOMS_TEAM_KIND:
            alert = {"detected_at": event["detected_at"], "detail": event["detail"]}
            data = {**base, **alert, "likely_causes": list(CUSTOMS_HOLD_CAUSES)}
            return [Intent("customs_team", CUSTOMS_TEAM_KIND, data)]
    return []
