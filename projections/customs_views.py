"""The customs review queue and clearance history, from declaration streams, and the queries
that read them."""

from __future__ import annotations

from typing import Any

from projections.db import ViewDB, Where
from projections.runner import Projector

DECL = "domains.customs.model:Declaration."
INBOUND_DECL = "domains.customs.model:InboundDeclaration."  # an inbound's B2B import


class DeclarationsView(Projector):
    name = "declarations"
    tables = ("view_declarations",)
    topic_prefixes = (DECL, INBOUND_DECL)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_declarations (
            declaration_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, shipment_no INTEGER NOT NULL,
            channel TEXT NOT NULL, origin TEXT NOT NULL, destination TEXT NOT NULL,
            incoterm TEXT NOT NULL, status TEXT NOT NULL, flag_codes TEXT NOT NULL,
            goods_value TEXT, currency TEXT, duty TEXT, vat TEXT, scheme TEXT,
            carrier TEXT, clearance_status TEXT, submitted_at TEXT, held_at TEXT,
            drafted_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_declarations_status ON view_declarations (status, drafted_at)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        did = str(event.originator_id)
        at = event.timestamp.isoformat()
        if kind in ("Drafted", "InboundDrafted"):
            d = event.duties
            inbound = kind == "InboundDrafted"
            db.execute(
                "INSERT INTO view_declarations VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?)",
                (
                    did,
                    "" if inbound else event.order_id,
                    0 if inbound else event.shipment_no,
                    "inbound" if inbound else event.channel,
                    event.origin,
                    event.destination,
                    event.incoterm,
                    "approved" if not inbound and event.auto_approved else "pending_review",
                    ",".join(f["code"] for f in event.flags),
                    d.get("goods_value"),
                    d.get("currency"),
                    d.get("duty"),
                    d.get("vat"),
                    d.get("scheme"),
                    at,
                    at,
                ),
            )
        elif kind in ("Approved", "Rejected"):
            db.execute(
                "UPDATE view_declarations SET status = ?, updated_at = ? WHERE declaration_id = ?",
                ("approved" if kind == "Approved" else "rejected", at, did),
            )
        elif kind == "Amended":
            d = event.duties
            db.execute(
                "UPDATE view_declarations SET status = 'pending_review', flag_codes = ?, "
                "goods_value = ?, duty = ?, vat = ?, scheme = ?, updated_at = ? "
                "WHERE declaration_id = ?",
                (
                    ",".join(f["code"] for f in event.flags),
                    d.get("goods_value"),
                    d.get("duty"),
                    d.get("vat"),
                    d.get("scheme"),
                    at,
                    did,
                ),
            )
        elif kind == "ClearanceUpdated":
            db.execute(
                "UPDATE view_declarations SET clearance_status = ?, "
                "submitted_at = COALESCE(submitted_at, CASE WHEN ? = 'submitted' THEN ? END), "
                "held_at = COALESCE(held_at, CASE WHEN ? = 'held' THEN ? END), updated_at = ? "
                "WHERE declaration_id = ?",
                (event.status, event.status, event.at, event.status, event.at, at, did),
            )


def flags_of(row: dict[str, Any]) -> list[str]:
    return [c for c in row["flag_codes"].split(",") if c]


# --- queries -----------------------------------------------------------------------------
def customs_queue(
    db: ViewDB,
    *,
    limit: int,
    offset: int,
    status: str | None = None,
    flag: str | None = None,
    destination: str | None = None,
    channel: str | None = None,
    drafted_before: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of declarations, oldest draft first, and how many match. A filter left None is
    no filter; `flag` matches one of the declaration's flag codes; `drafted_before` (an ISO
    time) keeps those drafted earlier (the desk's age filter). Each row carries its flags
    as a list (`flags`) instead of `flag_codes`."""
    where = (
        Where()
        .equal("status", status)
        .equal("destination", destination)
        .equal("channel", channel)
        .listed("flag_codes", flag)
        .compare("drafted_at", "<", drafted_before)
    )
    rows, total = db.page("view_declarations", where, "drafted_at, declaration_id", limit, offset)
    for r in rows:
        r["flags"] = flags_of(r)
        r.pop("flag_codes")
    # A parcel's carrier is chosen on the order's stream, which this view does not read (its
    # own `carrier` column stays empty, kept so the view need not be rebuilt): it comes from
    # the transport shipment view; an inbound's import declaration names its inbound
    # (projections/inbound_views.py).
    parcels = {f"{r['order_id']}-S{r['shipment_no']}": r for r in rows if r["channel"] != "inbound"}
    carriers = db.lookup("view_shipments", "shipment_id", "carrier", list(parcels))
    for sid, r in parcels.items():
        r["carrier"] = carriers.get(sid)
    inbound = [r["declaration_id"] for r in rows if r["channel"] == "inbound"]
    by_declaration = db.lookup("view_inbound", "declaration_id", "inbound_id", inbound)
    for r in rows:
        if r["channel"] == "inbound":
            r["inbound_id"] = by_declaration.get(r["declaration_id"])
    return rows, total


def clearance_delay_rates(db: ViewDB) -> list[dict[str, Any]]:
    """Submitted declarations and how many of them customs held, per destination and carrier
    (the carrier from the transport shipment view; None when unknown), with the share held."""
    rows = db.query(
        "SELECT d.destination, s.carrier, COUNT(*) AS submitted, "
        "SUM(CASE WHEN d.held_at IS NOT NULL THEN 1 ELSE 0 END) AS held "
        "FROM view_declarations d LEFT JOIN view_shipments s "
        "ON s.shipment_id = d.order_id || '-S' || d.shipment_no "
        "WHERE d.submitted_at IS NOT NULL GROUP BY d.destination, s.carrier ORDER BY d.destination"
    )
    for r in rows:
        r["delay_rate"] = round(r["held"] / r["submitted"], 3) if r["submitted"] else None
    return rows
