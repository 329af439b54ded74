"""The privacy context's one view: which orders hold a data subject's personal data, read off
the subject id every sealed order carries in clear (an HMAC: it names nobody). Orders recorded
before personal data was sealed carry plaintext and are not indexed here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domains.privacy.records import subject_of
from domains.privacy.sealing import PersonalData
from domains.privacy.search import index_terms
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


class OrderSearchView(Projector):
    """The keyed blind index of each order's customer e-mail and name prefixes
    (domains/privacy/search.py): digests only, made from the personal data as it opens when
    the order is projected. An erasure's completion deletes the person's rows; an order whose
    data no longer opens (erased before a rebuild reached it) is never indexed."""

    name = "order_search"
    tables = ("view_order_search",)
    topic_prefixes = (
        "domains.orders.model:Order.Received",
        "domains.privacy.model:PrivacyRequest.Completed",
    )
    ddl = (
        """CREATE TABLE IF NOT EXISTS view_order_search (
            term TEXT NOT NULL, order_id TEXT NOT NULL, PRIMARY KEY (term, order_id))""",
        "CREATE INDEX IF NOT EXISTS view_order_search_order ON view_order_search (order_id)",
    )

    def __init__(self, personal: PersonalData) -> None:
        self.personal = personal

    def handle(self, db: ViewDB, event: Any, notification_id: int) -> None:
        kind = type(event).__name__
        if kind == "Completed":
            for order_id in (event.outcome or {}).get("orders", []):
                db.execute("DELETE FROM view_order_search WHERE order_id = ?", (order_id,))
            return
        keys, c = self.personal.keys, event.canonical
        if kind != "Received" or keys is None:
            return
        if self.personal.is_erased(c.get("customer")) or self.personal.is_erased(c.get("ship_to")):
            return
        terms = index_terms(keys, [self.personal.customer(c), self.personal.ship_to(c)])
        db.executemany(
            "INSERT INTO view_order_search (term, order_id) VALUES (?, ?) "
            "ON CONFLICT (term, order_id) DO NOTHING",
            [(t, str(event.originator_id)) for t in sorted(terms)],
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
