"""Carrier-native tracking codes mapped to our normalised statuses and incident reasons.

`normalise(carrier, code, description)` never raises: an unknown carrier or code is
("unknown", None). Exception-type statuses always carry an incident reason ("unknown" when
neither the code nor the description says more); other statuses carry None unless the code
itself implies one (a parcel delivered damaged).

A few codes only say "exception" (UPS status type X, FedEx DE/SE, UPU EMH...); their meaning is
in the free-text description, so for those the description picks the status and the reason.
For other exception codes the description can only fill in a missing reason.

Vocabularies are the carriers' public ones as far as they are documented: DHL Express
checkpoint codes, UPS activity status types (I, P, M, D, X...) plus a few activity and Track API
status codes, FedEx scan event codes, UPU EMSEVT item events. The regional services
(dhl_parcel_de, jnt_express, royal_mail, sf_express) are sandboxed without their own code lists, so they share the plain
GENERIC vocabulary below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

STATUSES: tuple[str, ...] = (
    "pending",
    "picked_up",
    "in_transit",
    "on_hold",
    "out_for_delivery",
    "delivery_delayed",
    "delivery_failed",
    "ready_for_pickup",
    "return_to_sender",
    "delivered",
    "cancelled",
    "unknown",
)
INCIDENT_REASONS: tuple[str, ...] = (
    "customs_delay",
    "customs_prohibited",
    "address_issue",
    "damaged",
    "recipient_unavailable",
    "refused",
    "weather",
    "lost",
    "unknown",
)

# Progress order: a later event with a lower rank is still recorded, but ties on the same
# timestamp go to the higher rank, and nothing moves a shipment out of a final status.
STATUS_RANK: Mapping[str, int] = MappingProxyType(
    {
        "unknown": -1,
        "pending": 0,
        "picked_up": 10,
        "in_transit": 20,
        "on_hold": 20,
        "delivery_delayed": 20,
        "out_for_delivery": 30,
        "delivery_failed": 30,
        "ready_for_pickup": 40,
        "return_to_sender": 50,
        "cancelled": 60,
        "delivered": 100,
    }
)
FINAL_STATUSES = frozenset({"delivered"})
EXCEPTION_STATUSES = frozenset(
    {"on_hold", "delivery_delayed", "delivery_failed", "return_to_sender"}
)

Entry = tuple[str, str | None]

# DHL Express checkpoint codes.
DHL_EXPRESS: Mapping[str, Entry] = MappingProxyType(
    {
        "PU": ("picked_up", None),  # shipment picked up
        "PL": ("in_transit", None),  # processed at location
        "AF": ("in_transit", None),  # arrived at facility
        "DF": ("in_transit", None),  # departed facility
        "AR": ("in_transit", None),  # arrived at delivery facility
        "TR": ("in_transit", None),  # record of transfer
        "TP": ("in_transit", None),  # forwarded to third party
        "CR": ("in_transit", None),  # clearance release
        "CD": ("on_hold", "customs_delay"),  # clearance delay
        "UD": ("on_hold", "customs_delay"),  # uncontrollable clearance delay
        "HP": ("on_hold", "customs_delay"),  # held for payment (duties and taxes)
        "OH": ("on_hold", None),  # on hold; why is in the description
        "SS": ("on_hold", None),  # shipment stopped
        "DM": ("on_hold", "damaged"),  # damaged
        "MS": ("delivery_delayed", None),  # mis-sort
        "MD": ("delivery_delayed", None),  # missed delivery cycle
        "TD": ("delivery_delayed", None),  # transport delay
        "WC": ("out_for_delivery", None),  # with delivery courier
        "BA": ("delivery_failed", "address_issue"),  # bad address
        "CM": ("delivery_failed", "address_issue"),  # customer moved
        "NH": ("delivery_failed", "recipient_unavailable"),  # not home
        "CA": ("delivery_failed", "recipient_unavailable"),  # closed on arrival
        "RD": ("delivery_failed", "refused"),  # refused delivery
        "ND": ("delivery_failed", None),  # not delivered
        "CC": ("ready_for_pickup", None),  # awaiting collection by consignee
        "RT": ("return_to_sender", None),  # returned to consignor
        "OK": ("delivered", None),  # delivered
    }
)

# UPS: activity status types, some two-letter activity codes, some Track API status codes.
UPS: Mapping[str, Entry] = MappingProxyType(
    {
        "M": ("pending", None),  # manifest / billing information received
        "MV": ("cancelled", None),  # billing information voided
        "P": ("picked_up", None),  # pickup
        "I": ("in_transit", None),  # in transit
        "O": ("out_for_delivery", None),  # out for delivery
        "D": ("delivered", None),  # delivered
        "X": ("on_hold", None),  # exception; the description says which
        "RS": ("return_to_sender", None),  # returned to shipper
        "MP": ("pending", None),  # order processed: ready for UPS
        "OR": ("picked_up", None),  # origin scan
        "AR": ("in_transit", None),  # arrival scan
        "DP": ("in_transit", None),  # departure scan
        "OT": ("out_for_delivery", None),  # out for delivery today
        "003": ("pending", None),  # order processed
        "005": ("in_transit", None),  # in transit
        "011": ("delivered", None),  # delivered
        "012": ("in_transit", None),  # clearance in progress
        "013": ("on_hold", None),  # exception
        "014": ("in_transit", None),  # clearance completed
        "021": ("out_for_delivery", None),  # out for delivery
        "038": ("picked_up", None),  # picked up
    }
)

# FedEx scan event codes.
FEDEX: Mapping[str, Entry] = MappingProxyType(
    {
        "OC": ("pending", None),  # shipment information sent to FedEx
        "EP": ("pending", None),  # enroute to pickup
        "PU": ("picked_up", None),  # picked up
        "PX": ("picked_up", None),  # picked up (see details)
        "OF": ("in_transit", None),  # at FedEx origin facility
        "LO": ("in_transit", None),  # left FedEx origin facility
        "AR": ("in_transit", None),  # arrived at FedEx location
        "AF": ("in_transit", None),  # at local FedEx facility
        "DP": ("in_transit", None),  # departed FedEx location
        "IT": ("in_transit", None),  # in transit
        "AA": ("in_transit", None),  # at airport
        "SF": ("in_transit", None),  # at sort facility
        "FD": ("in_transit", None),  # at FedEx destination facility
        "TR": ("in_transit", None),  # transfer
        "CP": ("in_transit", None),  # clearance in progress
        "CC": ("in_transit", None),  # cleared customs
        "CD": ("on_hold", "customs_delay"),  # clearance delay
        "SE": ("on_hold", None),  # shipment exception; the description says which
        "DY": ("delivery_delayed", None),  # delay
        "DD": ("delivery_delayed", None),  # delivery delay
        "PD": ("delivery_delayed", None),  # pickup delay
        "OD": ("out_for_delivery", None),  # on FedEx vehicle for delivery
        "DE": ("delivery_failed", None),  # delivery exception; the description says which
        "HL": ("ready_for_pickup", None),  # hold at location
        "HP": ("ready_for_pickup", None),  # ready for recipient pickup
        "RS": ("return_to_sender", None),  # return to shipper
        "CA": ("cancelled", None),  # shipment cancelled
        "DL": ("delivered", None),  # delivered
    }
)

# UPU EMSEVT item events (postal services, S10 items).
POSTAL: Mapping[str, Entry] = MappingProxyType(
    {
        "EMA": ("picked_up", None),  # posting / collection
        "EMB": ("in_transit", None),  # arrival at outward office of exchange
        "EXA": ("in_transit", None),  # item presented to export customs
        "EXB": ("on_hold", "customs_delay"),  # item held by export customs
        "EXC": ("in_transit", None),  # item returned from export customs
        "EXD": ("on_hold", None),  # item held at outward office of exchange
        "EXX": ("cancelled", None),  # export cancellation
        "EMC": ("in_transit", None),  # departure from outward office of exchange
        "EMJ": ("in_transit", None),  # arrival at transit office of exchange
        "EMK": ("in_transit", None),  # departure from transit office of exchange
        "EMD": ("in_transit", None),  # arrival at inward office of exchange
        "EME": ("on_hold", "customs_delay"),  # held at inward office of exchange (customs)
        "EDA": ("on_hold", None),  # held at inward office of exchange
        "EDB": ("in_transit", None),  # item presented to import customs
        "EDC": ("in_transit", None),  # item returned from import customs
        "EMF": ("in_transit", None),  # departure from inward office of exchange
        "EDD": ("in_transit", None),  # item into sorting centre
        "EDE": ("in_transit", None),  # item out of sorting centre
        "EMG": ("in_transit", None),  # arrival at delivery office
        "EDF": ("on_hold", None),  # item held at delivery depot / office
        "EDG": ("out_for_delivery", None),  # item out for delivery
        "EMH": ("delivery_failed", None),  # attempted / unsuccessful delivery
        "EDH": ("ready_for_pickup", None),  # arrival at collection point for pick-up
        "EMI": ("delivered", None),  # final delivery
    }
)

# Our own vocabulary for the regional sandboxes (no public code list to follow).
GENERIC: Mapping[str, Entry] = MappingProxyType(
    {
        "INFO_RECEIVED": ("pending", None),
        "LABEL_CREATED": ("pending", None),
        "PICKED_UP": ("picked_up", None),
        "IN_TRANSIT": ("in_transit", None),
        "ARRIVED_HUB": ("in_transit", None),
        "DEPARTED_HUB": ("in_transit", None),
        "CUSTOMS_CLEARED": ("in_transit", None),
        "CUSTOMS_HOLD": ("on_hold", "customs_delay"),
        "CUSTOMS_REFUSED": ("on_hold", "customs_prohibited"),
        "EXCEPTION": ("on_hold", None),
        "DAMAGED": ("on_hold", "damaged"),
        "LOST": ("on_hold", "lost"),
        "DELAYED": ("delivery_delayed", None),
        "WEATHER_DELAY": ("delivery_delayed", "weather"),
        "OUT_FOR_DELIVERY": ("out_for_delivery", None),
        "DELIVERY_ATTEMPTED": ("delivery_failed", None),
        "ADDRESS_ISSUE": ("delivery_failed", "address_issue"),
        "RECIPIENT_UNAVAILABLE": ("delivery_failed", "recipient_unavailable"),
        "REFUSED": ("delivery_failed", "refused"),
        "READY_FOR_PICKUP": ("ready_for_pickup", None),
        "RETURNED": ("return_to_sender", None),
        "CANCELLED": ("cancelled", None),
        "DELIVERED": ("delivered", None),
    }
)

CODE_TABLES: Mapping[str, Mapping[str, Entry]] = MappingProxyType(
    {
        "dhl_express": DHL_EXPRESS,
        "ups": UPS,
        "fedex": FEDEX,
        "postal": POSTAL,
        "dhl_parcel_de": GENERIC,
        "jnt_express": GENERIC,
        "royal_mail": GENERIC,
        "sf_express": GENERIC,
    }
)

# Codes that only say "something happened": the description decides status and reason.
DESCRIPTIVE_CODES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "dhl_express": frozenset({"OH", "ND"}),
        "ups": frozenset({"X", "013"}),
        "fedex": frozenset({"SE", "DE", "DY"}),
        "postal": frozenset({"EMH", "EDA", "EDF", "EXD"}),
        "dhl_parcel_de": frozenset({"EXCEPTION", "DELIVERY_ATTEMPTED", "DELAYED"}),
        "jnt_express": frozenset({"EXCEPTION", "DELIVERY_ATTEMPTED", "DELAYED"}),
        "royal_mail": frozenset({"EXCEPTION", "DELIVERY_ATTEMPTED", "DELAYED"}),
        "sf_express": frozenset({"EXCEPTION", "DELIVERY_ATTEMPTED", "DELAYED"}),
    }
)

# First match wins, so the narrower wording comes first ("customs" before "delay").
_KEYWORDS: tuple[tuple[re.Pattern[str], str, str | None], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), status, reason)
    for pattern, status, reason in (
        (
            r"prohibit|restricted (?:item|good|commodit)|seiz|confiscat|inadmissible",
            "on_hold",
            "customs_prohibited",
        ),
        (r"\bcustoms\b|clearance|\bdut(?:y|ies)\b|import tax|broker", "on_hold", "customs_delay"),
        (
            r"weather|storm|typhoon|hurricane|snow|flood|natural disaster",
            "delivery_delayed",
            "weather",
        ),
        (r"damage|broken|leak", "on_hold", "damaged"),
        (
            r"\blost\b|missing (?:parcel|package|shipment|item)|unable to locate|cannot be located",
            "on_hold",
            "lost",
        ),
        (r"refus|declined by|rejected by", "delivery_failed", "refused"),
        (
            r"\baddress\b|\bmoved\b|relocated|wrong street|unknown street",
            "delivery_failed",
            "address_issue",
        ),
        (
            r"not home|not (?:be )?available|unavailable|no one|nobody|absent|closed",
            "delivery_failed",
            "recipient_unavailable",
        ),
        (r"\bdelay", "delivery_delayed", None),
        (
            r"out for delivery|with delivery courier|on (?:\w+ )?vehicle for delivery",
            "out_for_delivery",
            None,
        ),
    )
)


def _from_description(description: str) -> Entry | None:
    for pattern, status, reason in _KEYWORDS:
        if pattern.search(description):
            return status, reason
    return None


def normalise(carrier: str, code: str, description: str = "") -> tuple[str, str | None]:
    """(normalised status, incident reason or None) for one carrier-native event."""
    table = CODE_TABLES.get(carrier) if isinstance(carrier, str) else None
    if table is None or not isinstance(code, str):
        return "unknown", None
    key = code.strip().upper()
    entry = table.get(key)
    if entry is None:
        return "unknown", None
    status, reason = entry
    text = description if isinstance(description, str) else ""
    hint = _from_description(text) if text else None
    if hint is not None and key in DESCRIPTIVE_CODES.get(carrier, frozenset()):
        status, reason = hint
    elif hint is not None and reason is None and status in EXCEPTION_STATUSES:
        reason = hint[1]
    if reason is None and status in EXCEPTION_STATUSES:
        reason = "unknown"
    return status, reason


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def rank(status: str) -> int:
    """STATUS_RANK with unknown statuses ranked lowest."""
    return STATUS_RANK.get(status, -1)
