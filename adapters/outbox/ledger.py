"""The outbox's tables, beside the events (SQLite file or PostgreSQL schema): the processor's
position in the notification log, the messages, every delivery attempt, and the channels'
webhook subscriptions.

Why tables and not events: delivery state is operational bookkeeping about I/O (queued, tried,
failed, dead, requeued), high in volume and mutable, like the relay's and the projections'
positions, which are tables too. What matters is that a message is queued in the SAME
transaction that moves the processor's position, so a crash loses nothing and derives nothing
twice; that needs the message rows in the events' database, which a table gives. Subscriptions
hold a secret that must be rotatable and deletable, which an immutable event is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from projections.db import ViewDB

DDL = (
    """CREATE TABLE IF NOT EXISTS outbox_tracking (
        name TEXT PRIMARY KEY, position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS outbox_messages (
        id TEXT PRIMARY KEY, notification_id BIGINT NOT NULL, seq INTEGER NOT NULL,
        event_id TEXT NOT NULL, order_id TEXT NOT NULL, channel TEXT NOT NULL,
        kind TEXT NOT NULL, target TEXT NOT NULL, body TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, tries INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL, last_error TEXT, created_at TEXT NOT NULL,
        sent_at TEXT)""",
    """CREATE INDEX IF NOT EXISTS outbox_due ON outbox_messages
        (status, next_attempt_at)""",
    "CREATE INDEX IF NOT EXISTS outbox_by_order ON outbox_messages (order_id)",
    """CREATE TABLE IF NOT EXISTS outbox_attempts (
        message_id TEXT NOT NULL, try INTEGER NOT NULL, at TEXT NOT NULL,
        outcome TEXT NOT NULL, detail TEXT, PRIMARY KEY (message_id, try))""",
    """CREATE TABLE IF NOT EXISTS outbox_subscriptions (
        id TEXT PRIMARY KEY, channel TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
        events TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
        active INTEGER NOT NULL, deactivated_at TEXT)""",
)

MESSAGE_COLUMNS = (
    "id, notification_id, seq, event_id, order_id, channel, kind, target, status, attempts, "
    "tries, next_attempt_at, last_error, created_at, sent_at"
)


def _sub(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "events": row["events"].split(","), "active": bool(row["active"])}


class SqlOutboxLedger:
    def __init__(self, db: ViewDB, name: str = "outbox") -> None:
        self.db = db
        self.name = name
        for ddl in DDL:
            self.db.execute(ddl)

    # ------------------------------------------------------------------ position
    def position(self) -> int:
        rows = self.db.query("SELECT position FROM outbox_tracking WHERE name = ?", (self.name,))
        return int(rows[0]["position"]) if rows else 0

    def start_at(self, position: int) -> bool:
        """Set the position where there is none yet (a first start on an existing store that
        should not confirm the past again); answers whether it was set."""
        if self.db.query("SELECT 1 FROM outbox_tracking WHERE name = ?", (self.name,)):
            return False
        self.db.execute(
            "INSERT INTO outbox_tracking (name, position) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (self.name, position),
        )
        return True

    def queue(self, messages: Sequence[dict[str, Any]], position: int) -> None:
        """New messages and the processor's new position, in one transaction. A message id
        already queued (the log re-read after a crash) is left as it is."""
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO outbox_messages (id, notification_id, seq, event_id, order_id, "
                "channel, kind, target, body, status, attempts, tries, next_attempt_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                [
                    (
                        m["id"], m["notification_id"], m["seq"], m["event_id"], m["order_id"],
                        m["channel"], m["kind"], m["target"], json.dumps(m["body"]),
                        m["created_at"], m["created_at"],
                    )
                    for m in messages
                ],
            )  # fmt: skip
            tx.execute(
                "INSERT INTO outbox_tracking (name, position) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (self.name, position),
            )

    # ------------------------------------------------------------------ delivery
    def due(self, now: str, limit: int) -> list[dict[str, Any]]:
        """Pending messages whose time has come, in log order. Per order and target they go
        in order: one waits while an earlier one to the same place is retrying or dead (a
        marketplace refuses "delivered" for a shipment it was never told was shipped)."""
        rows = self.db.query(
            f"SELECT {MESSAGE_COLUMNS}, body FROM outbox_messages m "  # noqa: S608 - fixed
            "WHERE status = 'pending' AND next_attempt_at <= ? AND NOT EXISTS ("
            " SELECT 1 FROM outbox_messages e WHERE e.order_id = m.order_id"
            " AND e.target = m.target AND e.status IN ('pending', 'dead')"
            " AND (e.notification_id < m.notification_id"
            " OR (e.notification_id = m.notification_id AND e.seq < m.seq))) "
            "ORDER BY notification_id, seq LIMIT ?",
            (now, limit),
        )
        return [{**r, "body": json.loads(r["body"])} for r in rows]

    def record(self, outcomes: Iterable[dict[str, Any]]) -> None:
        """Each attempt's outcome and the message's new state, in one transaction."""
        with self.db.transaction() as tx:
            for o in outcomes:
                tx.execute(
                    "INSERT INTO outbox_attempts (message_id, try, at, outcome, detail) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (o["id"], o["tries"], o["at"], o["outcome"], o["detail"]),
                )
                tx.execute(
                    "UPDATE outbox_messages SET status = ?, attempts = ?, tries = ?, "
                    "next_attempt_at = ?, last_error = ?, sent_at = ? WHERE id = ?",
                    (
                        o["status"], o["attempts"], o["tries"], o["next_attempt_at"],
                        o["error"], o["sent_at"], o["id"],
                    ),
                )  # fmt: skip

    # ------------------------------------------------------------------ reading, replay
    def messages(
        self, *, status: str | None = None, order_id: str | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("status", status), ("order_id", order_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(clauses) or "1=1"
        return self.db.query(
            f"SELECT {MESSAGE_COLUMNS} FROM outbox_messages WHERE {where} "  # noqa: S608
            "ORDER BY notification_id, seq LIMIT ?",
            (*params, limit),
        )

    def attempts(self, message_id: str) -> list[dict[str, Any]]:
        return self.db.query(
            "SELECT try, at, outcome, detail FROM outbox_attempts WHERE message_id = ? "
            "ORDER BY try",
            (message_id,),
        )

    def replay(self, message_ids: list[str] | None, at: str) -> int:
        sql = (
            "UPDATE outbox_messages SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE status = 'dead'"
        )
        if message_ids is None:
            before = self.db.query("SELECT COUNT(*) AS n FROM outbox_messages WHERE status='dead'")
            self.db.execute(sql, (at,))
            return int(before[0]["n"])
        count = 0
        for mid in message_ids:
            found = self.db.query(
                "SELECT 1 FROM outbox_messages WHERE id = ? AND status = 'dead'", (mid,)
            )
            if found:
                self.db.execute(sql + " AND id = ?", (at, mid))
                count += 1
        return count

    # ------------------------------------------------------------------ subscriptions
    def add_subscription(self, row: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO outbox_subscriptions (id, channel, url, secret, events, created_at, "
            "created_by, active) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (
                row["id"], row["channel"], row["url"], row["secret"], ",".join(row["events"]),
                row["created_at"], row["created_by"],
            ),
        )  # fmt: skip

    def subscriptions(self, channel: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM outbox_subscriptions WHERE active = 1"
        params: tuple[Any, ...] = ()
        if channel is not None:
            sql += " AND channel = ?"
            params = (channel,)
        return [_sub(r) for r in self.db.query(sql + " ORDER BY created_at, id", params)]

    def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        rows = self.db.query("SELECT * FROM outbox_subscriptions WHERE id = ?", (subscription_id,))
        return _sub(rows[0]) if rows else None

    def deactivate_subscription(self, subscription_id: str, at: str) -> bool:
        if not self.db.query(
            "SELECT 1 FROM outbox_subscriptions WHERE id = ? AND active = 1", (subscription_id,)
        ):
            return False
        self.db.execute(
            "UPDATE outbox_subscriptions SET active = 0, deactivated_at = ? WHERE id = ?",
            (at, subscription_id),
        )
        return True
