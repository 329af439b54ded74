"""An in-memory carrier behind the `CarrierConnector` port, for tests, demos and development.

It issues waybills in the carrier's real format from its own counter (so runs are repeatable),
renders a real printable label marked as a sandbox label, remembers every label it issued, lets a
label be voided until the parcel is dispatched, and plays back tracking events that a test feeds
in with `feed`. It quotes nothing: rating is our own rate engine's job.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from adapters.transport.carriers import labels, waybills
from adapters.transport.carriers.port import (
    CarrierError,
    CarrierQuote,
    Label,
    LabelRequest,
    QuoteRequest,
    TrackingEvent,
    VoidResult,
)

SANDBOX_BANNER = "SANDBOX - NOT VALID FOR SHIPPING"
TRACKING_URL = "https://tracking.sandbox.invalid/{carrier}/{waybill}"

# Waybill options taken from the request when the constructor did not fix them.
_FROM_SENDER_COUNTRY = {"postal": "country", "jnt_express": "country"}


@dataclass
class _Issued:
    label: Label
    voided: bool = False
    dispatched: bool = False


class SandboxCarrier:
    """`SandboxCarrier("dhl_express")`: a fake carrier that behaves like the real one."""

    def __init__(
        self,
        carrier_code: str,
        *,
        start: int = 1,
        waybill_options: Mapping[str, object] | None = None,
        tracking_url: str = TRACKING_URL,
        banner: str | None = SANDBOX_BANNER,
    ) -> None:
        if carrier_code not in waybills.CARRIERS:
            raise ValueError(
                f"unknown carrier {carrier_code!r}; known: {', '.join(waybills.CARRIERS)}"
            )
        self.carrier = carrier_code
        self._next = start
        self._options = dict(waybill_options or {})
        self._tracking_url = tracking_url
        self._banner = banner
        self._issued: dict[str, _Issued] = {}
        self._events: dict[str, list[TrackingEvent]] = {}
        self._lock = threading.Lock()
        waybills.generate(carrier_code, start, **self._options)  # bad options fail here, not later

    # --- the port -------------------------------------------------------------------------------

    def quote(self, request: QuoteRequest) -> list[CarrierQuote]:
        return []

    def create_label(self, request: LabelRequest) -> Label:
        if request.carrier != self.carrier:
            raise CarrierError(f"{self.carrier} sandbox cannot label a {request.carrier} shipment")
        options = dict(self._options)
        option = _FROM_SENDER_COUNTRY.get(self.carrier)
        if option and option not in options:
            options[option] = request.sender.get("country", "")
        with self._lock:  # reserve the number; render outside the lock
            try:
                waybill = waybills.generate(self.carrier, self._next, **options)
            except ValueError as exc:
                raise CarrierError(f"cannot issue a {self.carrier} waybill: {exc}") from exc
            self._next += 1
        label = Label(
            carrier=self.carrier,
            service=request.service,
            waybill=waybill,
            label_format=request.label_format,
            label_bytes=labels.render(request, waybill, banner=self._banner),
            created_at=request.created_at,
            tracking_url=self._tracking_url.format(carrier=self.carrier, waybill=waybill),
            shipment_id=request.shipment_id,
        )
        with self._lock:
            self._issued[waybill] = _Issued(label)
            self._events[waybill] = []
        return label

    def void_label(self, waybill: str) -> VoidResult:
        with self._lock:
            issued = self._issued.get(waybill)
            if issued is None:
                return VoidResult(False, f"unknown waybill {waybill}")
            if issued.dispatched:
                return VoidResult(
                    False,
                    f"waybill {waybill} is already dispatched; voiding is allowed only until dispatch",
                )
            if issued.voided:
                return VoidResult(True, "already voided")
            issued.voided = True
            return VoidResult(True)

    def track(self, waybill: str) -> list[TrackingEvent]:
        with self._lock:
            events = list(self._events.get(waybill, ()))
        return sorted(events, key=lambda e: e.occurred_at)

    # --- sandbox controls -----------------------------------------------------------------------

    def mark_dispatched(self, waybill: str) -> None:
        """The parcel left with the carrier: from now on the label cannot be voided."""
        with self._lock:
            issued = self._issued.get(waybill)
            if issued is None:
                raise CarrierError(f"unknown waybill {waybill}")
            if issued.voided:
                raise CarrierError(f"waybill {waybill} was voided and cannot be dispatched")
            issued.dispatched = True

    def feed(
        self,
        waybill: str,
        code: str,
        description: str,
        occurred_at: datetime,
        location: str = "",
    ) -> TrackingEvent:
        """Test helper: the carrier reports an event (duplicates and any order are allowed)."""
        event = TrackingEvent(self.carrier, waybill, code, description, occurred_at, location)
        with self._lock:
            if waybill not in self._events:
                raise CarrierError(f"unknown waybill {waybill}")
            self._events[waybill].append(event)
        return event

    def label(self, waybill: str) -> Label | None:
        """The label issued under `waybill`, voided or not."""
        issued = self._issued.get(waybill)
        return issued.label if issued else None

    def state(self, waybill: str) -> str | None:
        """One of issued, voided, dispatched; None for a waybill this sandbox never issued."""
        issued = self._issued.get(waybill)
        if issued is None:
            return None
        return "dispatched" if issued.dispatched else "voided" if issued.voided else "issued"

    @property
    def issued_count(self) -> int:
        return len(self._issued)
