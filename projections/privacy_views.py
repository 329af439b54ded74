"""The privacy context's one view: which orders hold a data subject's personal data, read off
the subject id every sealed order carries in clear (an HMAC: it names nobody). Orders recorded
before personal data was sealed carry plaintext and are not indexed here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domains.privacy.records import subject_of
from projections.db import ViewDB
from projections.runner import Projector


class PrivacySubjectsView(Projector):
    name = "privacy_subjects"
    tables = ("view_privacy_subjects",)
    topic_prefixes = ("domains.orders.model:Order.Received",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_privacy_subjects (
            order_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, received_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS view_privacy_subjects_subject"
        " ON view_privacy_subjects (subject_id, received_at)",
    )

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        if type(event).__name__ != "Received":
            return
        c = event.canonical
        subject = subject_of(c.get("customer")) or subject_of(c.get("ship_to"))
        subject = subject or subject_of(event.raw_payload)
        if subject is None:
            return
        db.execute(
            "INSERT INTO view_privacy_subjects (order_id, subject_id, received_at) "
            "VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING",
            (str(event.originator_id), subject, event.timestamp.isoformat()),
        )


class SubjectOrders:
    """The subject index port (domains/privacy/ports.py) over this view, read-your-writes."""

    def __init__(self, db: ViewDB, fresh: Any) -> None:
        self.db = db
        self.fresh = fresh

    def orders_of(self, subject_id: str) -> list[UUID]:
        self.fresh()
        rows = self.db.query(
            "SELECT order_id FROM view_privacy_subjects WHERE subject_id = ? "
            "ORDER BY received_at, order_id",
            (subject_id,),
        )
        return [UUID(r["order_id"]) for r in rows]
