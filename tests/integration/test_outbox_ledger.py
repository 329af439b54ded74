"""The outbox's tables on each store (SQLite file, PostgreSQL): a message queued twice (the log
re-read after a crash) is one message; due messages come in log order; a failed attempt waits,
the last one makes a dead letter, a replay requeues it with a fresh budget, attempts are kept."""

from __future__ import annotations

from adapters.outbox.ledger import SqlOutboxLedger
from projections.db import ViewDB


def message(i: int, notification_id: int) -> dict:
    return {
        "id": f"m-{i}", "notification_id": notification_id, "seq": 0, "event_id": f"e-{i}",
        "order_id": "o-1", "channel": "shopify", "kind": "shipment_confirmed",
        "target": "webhook:sub_1", "body": {"n": i}, "created_at": "2026-11-20T09:00:00+00:00",
    }  # fmt: skip


def outcome(m: dict, status: str, tries: int, attempts: int, at: str, next_at: str) -> dict:
    return {
        "id": m["id"], "tries": tries, "attempts": attempts, "at": at, "status": status,
        "outcome": "failed" if status != "delivered" else "delivered", "detail": "HTTP 503",
        "error": "HTTP 503", "sent_at": None, "next_attempt_at": next_at,
    }  # fmt: skip


def test_queue_due_retry_dead_letter_and_replay(store):
    db = ViewDB(store)
    try:
        ledger = SqlOutboxLedger(db)
        ledger.queue([message(2, 7), message(1, 5)], position=7)
        ledger.queue([message(1, 5)], position=7)  # the same batch read again
        assert ledger.position() == 7
        due = ledger.due("2026-11-20T09:00:00+00:00", 10)
        # notification 5 before 7; m-2 (same order, same receiver) only once m-1 is through
        assert [m["id"] for m in due] == ["m-1"]
        assert due[0]["body"] == {"n": 1}

        first = due[0]
        later = "2026-11-20T09:00:30+00:00"
        ledger.record([outcome(first, "pending", 1, 1, "2026-11-20T09:00:00+00:00", later)])
        # m-2 goes to the same receiver for the same order: it waits behind m-1; another
        # order's message does not.
        ledger.queue([{**message(3, 8), "order_id": "o-2"}], position=8)
        assert [m["id"] for m in ledger.due("2026-11-20T09:00:29+00:00", 10)] == ["m-3"]
        assert [m["id"] for m in ledger.due(later, 10)] == ["m-1", "m-3"]
        ledger.record([outcome(first, "dead", 2, 2, later, later)])
        (dead,) = ledger.messages(status="dead")
        assert (dead["id"], dead["tries"], dead["last_error"]) == ("m-1", 2, "HTTP 503")

        assert ledger.replay(["m-2"], later) == 0  # not a dead letter
        assert ledger.replay(None, "2026-11-21T00:00:00+00:00") == 1
        assert [m["id"] for m in ledger.due(later, 10)] == ["m-3"]  # m-2 behind the dead m-1
        (again,) = ledger.messages(order_id="o-1", status="pending")[:1]
        assert (again["attempts"], again["tries"]) == (0, 2)  # fresh budget, history kept
        assert [a["try"] for a in ledger.attempts("m-1")] == [1, 2]

        sub = {
            "id": "sub_1", "channel": "shopify", "url": "http://x/h", "secret": "s" * 16,
            "events": ["delivered", "shipment_confirmed"], "created_at": "t", "created_by": "a",
        }  # fmt: skip
        ledger.add_subscription(sub)
        assert ledger.subscriptions("shopify")[0]["events"] == ["delivered", "shipment_confirmed"]
        assert ledger.subscriptions("amazon") == []
        assert ledger.deactivate_subscription("sub_1", "t2") is True
        assert ledger.deactivate_subscription("sub_1", "t3") is False
        assert ledger.subscriptions() == [] and ledger.subscription("sub_1")["active"] is False
    finally:
        db.close()


def test_a_first_start_from_the_end_skips_the_past_once(store):
    db = ViewDB(store)
    try:
        ledger = SqlOutboxLedger(db)
        assert ledger.start_at(41) is True and ledger.position() == 41
        ledger.queue([], position=45)
        assert ledger.start_at(99) is False and ledger.position() == 45  # never moves it back
    finally:
        db.close()
