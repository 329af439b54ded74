"""Returns and carrier claims, from their streams, and the queries that read them: the return
list, the returns analysis (return rates by SKU, reason, channel and carrier), the claim list,
claims per carrier for the scorecards, the ledger entries (return costs, claim credits) and the
quiet shipments a lost-parcel claim looks at."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from projections.db import ViewDB, Where
from projections.runner import Projector

RETURNS = "domains.returns.model:"


class ReturnsView(Projector):
    name = "returns"
    tables = ("view_returns", "view_return_lines", "view_claims", "view_ledger_entries")
    topic_prefixes = (RETURNS,)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_returns (
            return_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL UNIQUE, order_id TEXT NOT NULL,
            shipment_id TEXT NOT NULL,
            channel TEXT NOT NULL, source TEXT NOT NULL, reason TEXT NOT NULL,
            status TEXT NOT NULL, label_payer TEXT NOT NULL, carrier TEXT,
            shipped_from TEXT NOT NULL, warehouse_id TEXT, units INTEGER NOT NULL,
            refund TEXT, refund_currency TEXT, opened_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_returns_order ON view_returns (order_id)",
        """CREATE TABLE IF NOT EXISTS view_return_lines (
            return_id TEXT NOT NULL, sku TEXT NOT NULL, quantity INTEGER NOT NULL,
            reason TEXT NOT NULL, PRIMARY KEY (return_id, sku))""",
        """CREATE TABLE IF NOT EXISTS view_claims (
            claim_id TEXT PRIMARY KEY, stream_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
            order_id TEXT NOT NULL,
            shipment_id TEXT NOT NULL, carrier TEXT NOT NULL, service TEXT,
            warehouse_id TEXT NOT NULL, destination TEXT NOT NULL, status TEXT NOT NULL,
            amount TEXT NOT NULL, currency TEXT NOT NULL, paid_amount TEXT,
            opened_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS view_ledger_entries (
            entry_id TEXT PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL,
            order_id TEXT NOT NULL, carrier TEXT, amount TEXT NOT NULL, currency TEXT NOT NULL,
            day TEXT NOT NULL, why TEXT NOT NULL)""",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__qualname__
        at = event.timestamp.isoformat()
        if kind == "Return.Opened":
            self._opened(db, event, at)
        elif kind == "Claim.Opened":
            s = event.shipment
            db.execute(
                "INSERT INTO view_claims VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, NULL, ?, ?)",
                (event.claim_id, str(event.originator_id), event.kind, event.order_id,
                 f"{event.order_id}-S{event.shipment_no}", event.carrier, s.get("service"),
                 s["warehouse_id"], s["destination"], event.amount, event.currency, at, at),
            )  # fmt: skip
        elif kind.startswith("Return."):
            self._return_step(db, event, kind, at)
        elif kind.startswith("Claim."):
            self._claim_step(db, event, kind, at)

    @staticmethod
    def _opened(db: ViewDB, e: Any, at: str) -> None:
        s = e.shipment
        db.execute(
            "INSERT INTO view_returns VALUES "
            "(?, ?, ?, ?, ?, ?, ?, 'opened', ?, ?, ?, NULL, ?, NULL, NULL, ?, ?)",
            (e.return_id, str(e.originator_id), e.order_id, f"{e.order_id}-S{e.shipment_no}",
             e.channel, e.source, e.lines[0]["reason"] if e.lines else "", e.label_payer,
             s.get("carrier"), s["warehouse_id"], sum(ln["quantity"] for ln in e.lines), at, at),
        )  # fmt: skip
        db.executemany(
            "INSERT INTO view_return_lines VALUES (?, ?, ?, ?)",
            [(e.return_id, ln["sku"], ln["quantity"], ln["reason"]) for ln in e.lines],
        )

    @staticmethod
    def _return_step(db: ViewDB, e: Any, kind: str, at: str) -> None:
        row = db.query(
            "SELECT return_id, order_id, carrier FROM view_returns WHERE stream_id = ?",
            (str(e.originator_id),),
        )
        if not row:
            return
        rid, order_id = row[0]["return_id"], row[0]["order_id"]
        if kind == "Return.LabelBought":
            db.execute(
                "UPDATE view_returns SET status = 'labelled', warehouse_id = ?, updated_at = ? "
                "WHERE return_id = ?",
                (e.decision["warehouse_id"], at, rid),
            )
        elif kind == "Return.Received":
            db.execute(
                "UPDATE view_returns SET status = 'received', updated_at = ? WHERE return_id = ?",
                (at, rid),
            )
        elif kind == "Return.RefundReported":
            db.execute(
                "UPDATE view_returns SET refund = ?, refund_currency = ? WHERE return_id = ?",
                (e.refund["amount"], e.refund["currency"], rid),
            )
        elif kind == "Return.CostsRecorded":
            db.executemany(
                "INSERT INTO view_ledger_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(f"{rid}:{x['kind']}", x["kind"], rid, order_id, row[0]["carrier"],
                  x["amount"], x["currency"], x.get("day") or at[:10], x["why"])
                 for x in e.entries],
            )  # fmt: skip

    @staticmethod
    def _claim_step(db: ViewDB, e: Any, kind: str, at: str) -> None:
        status = {"Claim.Submitted": "submitted", "Claim.Accepted": "accepted",
                  "Claim.Rejected": "rejected", "Claim.Paid": "paid"}.get(kind)  # fmt: skip
        if status is None:
            return
        row = db.query(
            "SELECT claim_id, order_id, carrier, currency FROM view_claims WHERE stream_id = ?",
            (str(e.originator_id),),
        )
        if not row:
            return
        c = row[0]
        db.execute(
            "UPDATE view_claims SET status = ?, updated_at = ?, paid_amount = COALESCE(?, "
            "paid_amount) WHERE claim_id = ?",
            (status, at, getattr(e, "amount", None) if status == "paid" else None, c["claim_id"]),
        )
        if status == "paid":  # the carrier's payment: a credit (negative cost) in the ledger
            db.execute(
                "INSERT INTO view_ledger_entries VALUES (?, 'claim_credit', ?, ?, ?, ?, ?, ?, ?)",
                (f"{c['claim_id']}:paid", c["claim_id"], c["order_id"], c["carrier"],
                 str(-Decimal(e.amount)), c["currency"], e.paid_on[:10],
                 f"claim paid by {c['carrier']}, reference {e.reference}"),
            )  # fmt: skip


# --- queries -----------------------------------------------------------------------------
def returns(db: ViewDB, **filters: Any) -> list[dict[str, Any]]:
    """Returns, newest first, by channel, warehouse (receiving), status or order."""
    where = Where()
    for column in ("channel", "warehouse_id", "status", "order_id"):
        where.equal(column, filters.get(column))
    return db.query(
        f"SELECT * FROM view_returns WHERE {where.sql} "  # noqa: S608 - fixed columns
        "ORDER BY opened_at DESC, return_id",
        where.params,
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def analysis(db: ViewDB) -> dict[str, Any]:
    """Return rates: by SKU, units returned / units dispatched; by channel and by carrier
    (the outbound carrier), returns / shipments dispatched; by reason, units returned with it /
    all units returned."""
    shipped_units: Counter[str] = Counter()
    shipments: dict[str, Counter[str]] = {"channel": Counter(), "carrier": Counter()}
    for s in db.query(
        "SELECT channel, carrier, lines FROM view_shipments WHERE dispatched_at IS NOT NULL"
    ):
        for ln in json.loads(s["lines"]):
            shipped_units[ln["sku"]] += ln["quantity"]
        shipments["channel"][s["channel"]] += 1
        shipments["carrier"][s["carrier"] or "-"] += 1
    lines = db.query("SELECT sku, quantity, reason FROM view_return_lines")
    returned_units: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for ln in lines:
        returned_units[ln["sku"]] += ln["quantity"]
        reasons[ln["reason"]] += ln["quantity"]
    all_units = sum(reasons.values())
    rows = db.query("SELECT channel, carrier FROM view_returns")
    out: dict[str, Any] = {
        "by_sku": [
            {"sku": sku, "shipped_units": shipped_units[sku], "returned_units": n,
             "return_rate": _rate(n, shipped_units[sku])}
            for sku, n in sorted(returned_units.items())
        ],
        "by_reason": [
            {"reason": r, "returned_units": n, "share": _rate(n, all_units)}
            for r, n in sorted(reasons.items())
        ],
    }  # fmt: skip
    for dim in ("channel", "carrier"):
        counted = Counter(r[dim] or "-" for r in rows)
        out[f"by_{dim}"] = [
            {dim: k, "shipments": shipments[dim][k], "returns": n,
             "return_rate": _rate(n, shipments[dim][k])}
            for k, n in sorted(counted.items())
        ]  # fmt: skip
    return out


def claims(db: ViewDB, **filters: Any) -> list[dict[str, Any]]:
    where = Where().equal("carrier", filters.get("carrier")).equal("status", filters.get("status"))
    return db.query(
        f"SELECT * FROM view_claims WHERE {where.sql} ORDER BY opened_at, claim_id",  # noqa: S608
        where.params,
    )


def claim_counts(db: ViewDB) -> list[dict[str, Any]]:
    return db.query(
        "SELECT carrier, service, warehouse_id, destination, COUNT(*) AS claims, "
        "SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS paid FROM view_claims "
        "GROUP BY carrier, service, warehouse_id, destination"
    )


def ledger_entries(db: ViewDB, order_id: str | None = None) -> list[dict[str, Any]]:
    where = Where().equal("order_id", order_id)
    return db.query(
        f"SELECT * FROM view_ledger_entries WHERE {where.sql} ORDER BY day, entry_id",  # noqa: S608
        where.params,
    )


def quiet_shipments(db: ViewDB) -> list[dict[str, Any]]:
    rows = db.query(
        "SELECT shipment_id, order_id, shipment_no, last_scan_at, dispatched_at, alerts "
        "FROM view_shipments WHERE dispatched_at IS NOT NULL AND status <> 'delivered' "
        "AND alerts LIKE ? ORDER BY shipment_id",
        ("%no_scan_24h%",),  # bound: a literal % would be a placeholder on PostgreSQL
    )
    return [dict(r, alerts=json.loads(r["alerts"])) for r in rows]


class ReturnViews:
    """The views as the returns use cases read them (domains/returns/ports.py): each read
    first brings the views up to the log."""

    def __init__(self, db: ViewDB, fresh: Callable[[], None]) -> None:
        self.db = db
        self.fresh = fresh

    def returns(self, **filters: Any) -> list[dict[str, Any]]:
        self.fresh()
        return returns(self.db, **filters)

    def analysis(self) -> dict[str, Any]:
        self.fresh()
        return analysis(self.db)

    def claims(self, **filters: Any) -> list[dict[str, Any]]:
        self.fresh()
        return claims(self.db, **filters)

    def claim_counts(self) -> list[dict[str, Any]]:
        self.fresh()
        return claim_counts(self.db)

    def ledger_entries(self, order_id: str | None = None) -> list[dict[str, Any]]:
        self.fresh()
        return ledger_entries(self.db, order_id)

    def quiet_shipments(self) -> list[dict[str, Any]]:
        self.fresh()
        return quiet_shipments(self.db)
