"""Inbound shipments and their landed costs, from the inbound streams, and the queries that
read them: the inbound list (per warehouse, stage), the landed cost per unit of each lot
received, and the costs settlement reads (per lot, and the weighted average per warehouse and
SKU)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from domains.warehouse.lots import UNLOTTED
from projections.db import ViewDB, Where
from projections.runner import Projector

INBOUND = "domains.inbound.model:InboundShipment."


class InboundView(Projector):
    name = "inbound"
    tables = ("view_inbound", "view_landed_costs")
    topic_prefixes = (INBOUND,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_inbound (
            inbound_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL UNIQUE, warehouse_id TEXT NOT NULL, origin_kind TEXT NOT NULL,
            origin TEXT NOT NULL, origin_country TEXT NOT NULL, mode TEXT NOT NULL,
            carrier TEXT NOT NULL, reference TEXT NOT NULL, expected_arrival TEXT NOT NULL,
            stage TEXT NOT NULL, units INTEGER NOT NULL, cartons INTEGER NOT NULL,
            discrepancies INTEGER NOT NULL, declaration_id TEXT,
            booked_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_inbound_wh ON view_inbound (warehouse_id, booked_at)",
        """CREATE TABLE IF NOT EXISTS view_landed_costs (
            inbound_id TEXT NOT NULL, warehouse_id TEXT NOT NULL, sku TEXT NOT NULL,
            lot TEXT NOT NULL, units INTEGER NOT NULL, unit_value TEXT NOT NULL,
            overhead_per_unit TEXT NOT NULL, landed_unit_cost TEXT NOT NULL,
            currency TEXT NOT NULL, basis TEXT NOT NULL, decided_at TEXT NOT NULL,
            PRIMARY KEY (inbound_id, sku, lot))""",
        "CREATE INDEX IF NOT EXISTS view_landed_wh ON view_landed_costs (warehouse_id, sku)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        at = event.timestamp.isoformat()
        if kind == "Booked":
            origin = event.origin
            db.execute(
                "INSERT INTO view_inbound VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?, 0, NULL, ?, ?)",
                (
                    event.inbound_id,
                    str(event.originator_id),
                    event.warehouse_id,
                    origin["kind"],
                    origin.get("warehouse_id") or origin.get("name") or "",
                    origin.get("country") or "",
                    event.mode,
                    event.carrier,
                    event.reference,
                    event.expected_arrival,
                    sum(ln["quantity"] for c in event.cartons for ln in c["lines"]),
                    len(event.cartons),
                    at,
                    at,
                ),
            )
            return
        row = db.query(
            "SELECT inbound_id, warehouse_id FROM view_inbound WHERE stream_id = ?",
            (str(event.originator_id),),
        )
        if not row:
            return
        inbound_id, warehouse_id = row[0]["inbound_id"], row[0]["warehouse_id"]
        if kind in ("StageReached", "CustomsDecided"):
            declaration = (getattr(event, "decision", None) or {}).get("declaration_id")
            db.execute(
                "UPDATE view_inbound SET stage = ?, updated_at = ?, "
                "declaration_id = COALESCE(?, declaration_id) WHERE inbound_id = ?",
                (event.stage, at, declaration, inbound_id),
            )
        elif kind == "ArrivalRescheduled":
            db.execute(
                "UPDATE view_inbound SET expected_arrival = ?, updated_at = ? WHERE inbound_id = ?",
                (event.after, at, inbound_id),
            )
        elif kind == "Received":
            db.execute(
                "UPDATE view_inbound SET stage = 'received', discrepancies = ?, updated_at = ? "
                "WHERE inbound_id = ?",
                (len(event.discrepancies), at, inbound_id),
            )
        elif kind == "LandedCostDecided":
            d = event.decision
            db.executemany(
                "INSERT INTO view_landed_costs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (inbound_id, warehouse_id, ln["sku"], ln["lot"] or UNLOTTED, ln["units"],
                     ln["unit_value"], ln["overhead_per_unit"], ln["landed_unit_cost"],
                     d["currency"], d["basis"], at)
                    for ln in d["lines"]
                ],
            )  # fmt: skip


# --- queries -----------------------------------------------------------------------------
def inbound_list(
    db: ViewDB,
    *,
    limit: int,
    offset: int,
    warehouse_id: str | None = None,
    stage: str | None = None,
    transfer: bool | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page of inbound shipments, oldest booking first, and how many match."""
    kind = None if transfer is None else ("warehouse" if transfer else "supplier")
    where = (
        Where().equal("warehouse_id", warehouse_id).equal("stage", stage).equal("origin_kind", kind)
    )
    rows, total = db.page("view_inbound", where, "booked_at, inbound_id", limit, offset)
    for r in rows:
        r.pop("stream_id", None)
    return rows, total


def landed_costs(
    db: ViewDB, *, warehouse_id: str | None = None, sku: str | None = None
) -> list[dict[str, Any]]:
    """The landed cost per unit of every lot received from an inbound."""
    where = Where().equal("warehouse_id", warehouse_id).equal("sku", sku)
    return db.query(
        f"SELECT * FROM view_landed_costs WHERE {where.sql} "  # noqa: S608 - fixed SQL
        "ORDER BY warehouse_id, sku, decided_at, lot",
        where.params,
    )


def unit_costs(
    rows: list[dict[str, Any]], wanted: Iterable[tuple[str, str, str | None]]
) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    """For each (warehouse, SKU, lot) wanted: the landed cost per unit of that lot when it came
    from an inbound to that warehouse, else the weighted average of the SKU's inbound lots
    there (units x cost / units), with how it was found; none known: left out."""
    by_lot: dict[tuple[str, str, str], dict[str, Any]] = {}
    totals: dict[tuple[str, str], list[Decimal]] = {}
    currency: dict[tuple[str, str], str] = {}
    for r in rows:
        by_lot[(r["warehouse_id"], r["sku"], r["lot"])] = r
        t = totals.setdefault((r["warehouse_id"], r["sku"]), [Decimal(0), Decimal(0)])
        t[0] += Decimal(r["landed_unit_cost"]) * r["units"]
        t[1] += r["units"]
        currency[(r["warehouse_id"], r["sku"])] = r["currency"]
    out: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for wh, sku, lot in wanted:
        hit = by_lot.get((wh, sku, lot or UNLOTTED))
        if hit is not None:
            out[(wh, sku, lot)] = {"unit_cost": hit["landed_unit_cost"],
                                   "currency": hit["currency"], "source": "lot",
                                   "inbound_id": hit["inbound_id"]}  # fmt: skip
        elif (wh, sku) in totals and totals[(wh, sku)][1]:
            value, units = totals[(wh, sku)]
            out[(wh, sku, lot)] = {
                "unit_cost": str((value / units).quantize(Decimal("0.0001"))),
                "currency": currency[(wh, sku)],
                "source": "weighted_average",
                "inbound_id": None,
            }
    return out


class LandedCostViews:
    """The landed costs as settlement reads them (domains/settlement/ports.py: LandedCosts)."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def unit_costs(
        self, wanted: Iterable[tuple[str, str, str | None]]
    ) -> dict[tuple[str, str, str | None], dict[str, Any]]:
        wanted = list(wanted)
        self.fresh()
        rows = []
        for wh, sku in sorted({(w, s) for w, s, _ in wanted}):
            rows += landed_costs(self.db, warehouse_id=wh, sku=sku)
        return unit_costs(rows, wanted)


__all__ = ["InboundView", "LandedCostViews", "inbound_list", "landed_costs", "unit_costs"]
