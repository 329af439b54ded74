"""SLA alerts from MISSING events: what should have happened by now and did not.

Pure: a shipment's facts and "now" in, alerts out. Run periodically; each alert is recorded once
per shipment and kind (the caller skips kinds already raised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

NO_SCAN_AFTER = timedelta(hours=24)
CUSTOMS_HOLD_OVER = timedelta(hours=48)

ACTIONS = {
    "no_scan_24h": "ask the carrier for a trace; re-ship if the parcel is not found within 48 h",
    "customs_hold_48h": "call the broker, send the commercial invoice and importer details again",
    "eta_passed": "tell the customer about the delay; open a carrier claim if it is lost",
    "pick_not_started": "release the shipment to a wave now or move it to a later carrier cut-off",
}


@dataclass(frozen=True)
class ShipmentFacts:
    shipment_id: str
    status: str  # allocated, waved, picked, packed, labelled, dispatched, or a tracking status
    cutoff: datetime | None = None
    dispatched_at: datetime | None = None
    last_scan_at: datetime | None = None
    on_hold_since: datetime | None = None
    hold_reason: str | None = None
    eta: datetime | None = None
    delivered: bool = False

    @classmethod
    def from_view_row(cls, row: dict[str, Any]) -> ShipmentFacts:
        """From a row of the shipments view (ISO timestamps as text)."""

        def ts(v: str | None) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        return cls(
            shipment_id=row["shipment_id"],
            status=row["status"],
            cutoff=ts(row["cutoff"]),
            dispatched_at=ts(row["dispatched_at"]),
            last_scan_at=ts(row["last_scan_at"]),
            on_hold_since=ts(row["on_hold_since"]),
            hold_reason=row["hold_reason"],
            eta=ts(row["eta"]),
            delivered=row["status"] == "delivered",
        )


def alerts(f: ShipmentFacts, now: datetime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def alert(kind: str, since: datetime, detail: str) -> None:
        out.append(
            {
                "kind": kind,
                "since": since.isoformat(),
                "detail": detail,
                "suggested_action": ACTIONS[kind],
            }
        )

    if f.delivered:
        return out
    if f.status in ("allocated",) and f.cutoff is not None and now > f.cutoff:
        alert(
            "pick_not_started",
            f.cutoff,
            f"not picked by the carrier cut-off {f.cutoff:%Y-%m-%d %H:%M} UTC",
        )
    if f.dispatched_at is not None:
        last = max(t for t in (f.dispatched_at, f.last_scan_at) if t is not None)
        if now - last > NO_SCAN_AFTER:
            alert("no_scan_24h", last, f"no carrier scan since {last:%Y-%m-%d %H:%M} UTC")
        if f.eta is not None and now > f.eta:
            alert("eta_passed", f.eta, f"estimated delivery {f.eta:%Y-%m-%d} passed")
    if (
        f.on_hold_since is not None
        and f.hold_reason == "customs_delay"
        and now - f.on_hold_since > CUSTOMS_HOLD_OVER
    ):
        alert(
            "customs_hold_48h",
            f.on_hold_since,
            f"held by customs since {f.on_hold_since:%Y-%m-%d %H:%M} UTC",
        )
    return out
