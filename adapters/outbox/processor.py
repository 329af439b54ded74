"""Follows the notification log and queues the outbox's messages (the outbox pattern).

After its position (`outbox_tracking`) it reads the next batch of notifications, derives each
Order event's messages (domains/outbox/messages.py) from the order AS IT STOOD at that event,
and queues them together with the new position in one transaction. A crash before the commit
re-reads the batch; a message id is derived from (event, kind, target), so a re-read queues
nothing twice.

Targets: `kafka` (the `channel.out` topic, when Kafka is configured), `webhook:<subscription>`
for each of the channel's active subscriptions asking for the kind, `email:buyer` and
`email:customs` (when SMTP is configured).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from adapters.kafka.relay import event_id
from adapters.outbox.ledger import SqlOutboxLedger
from adapters.outbox.shapes import first, outbound
from domains.common import InvalidTransition
from domains.outbox.messages import CUSTOMS_TEAM_KIND, Intent, Shipped, intents
from domains.privacy.records import subject_of

MESSAGE_NAMESPACE = UUID("0b7f3c1e-2f4d-4c59-9a63-41c0f5e8d7a2")
TOPICS = tuple(f":Order.{name}" for name in ("Dispatched", "TrackingRecorded", "ExceptionRaised"))
ALERTS_TOLD = ("eta_passed", CUSTOMS_TEAM_KIND)
# Raw-payload keys that carry the buyer's language, by channel API.
LOCALE_KEYS = ("customer_locale", "locale", "language", "buyer_language")


def message_id(event: str, kind: str, target: str) -> str:
    return str(uuid5(MESSAGE_NAMESPACE, f"{event}:{kind}:{target}"))


class OutboxProcessor:
    def __init__(
        self,
        app: Any,
        ledger: SqlOutboxLedger,
        *,
        kafka: bool = False,
        email: bool = False,
        customs_team: bool = False,
        batch: int = 500,
    ) -> None:
        self.app = app
        self.ledger = ledger
        self.kafka = kafka
        self.email = email
        self.customs_team = customs_team
        self.batch = batch

    def follow_once(self) -> int:
        """Queue the messages of the next batch of the log; answers how many were read."""
        start = self.ledger.position()
        notifications = self.app.recorder.select_notifications(
            start=start, limit=self.batch, inclusive_of_start=False
        )
        if not notifications:
            return 0
        rows: list[dict[str, Any]] = []
        now = self.app.clock.now().isoformat()
        for n in notifications:
            if n.topic.endswith(TOPICS):
                rows += self._messages(n, now)
        self.ledger.queue(rows, notifications[-1].id)
        return len(notifications)

    def catch_up(self) -> None:
        while self.follow_once():
            pass

    # ------------------------------------------------------------------ deriving
    def _messages(self, notification: Any, now: str) -> list[dict[str, Any]]:
        event = self.app.mapper.to_domain_event(notification)
        name = notification.topic.rsplit(".", 1)[-1]
        data = {k: v for k, v in vars(event).items() if not k.startswith("originator")}
        if name == "ExceptionRaised" and data["kind"] not in ALERTS_TOLD:
            return []  # most alerts are for operators only: no need to read the order
        order = self.app.repository.get(event.originator_id, version=event.originator_version)
        facts = self._facts(order, data["shipment_no"])
        eid = event_id(event.originator_id, event.originator_version)
        out = []
        for intent in intents(name, data, facts):
            for target, body in self._targets(intent, order, facts):
                out.append(
                    {
                        "id": message_id(eid, intent.kind, target),
                        "notification_id": notification.id,
                        "seq": len(out),
                        "event_id": eid,
                        "order_id": facts.order_id,
                        "channel": facts.channel,
                        "kind": intent.kind,
                        "target": target,
                        "body": body,
                        "created_at": now,
                    }
                )
        return out

    def _facts(self, order: Any, shipment_no: int) -> Shipped:
        personal = self.app.orders.personal
        raw = personal.raw(order.raw_payload)
        try:
            lines = order.shipment(shipment_no)["lines"]
        except InvalidTransition:  # a plan dropped since (backordered): nothing was shipped
            lines = []
        return Shipped(
            order_id=str(order.id),
            channel=order.channel,
            external_id=order.external_id,
            shipment_no=shipment_no,
            entry=dict(order.fulfilment.get(str(shipment_no), {})),
            lines=[{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in lines],
            country=(order.canonical.get("ship_to") or {}).get("country"),
            locale=next((first(raw, k) for k in LOCALE_KEYS if first(raw, k)), None),
            subject_id=subject_of(order.canonical.get("customer")),
        )

    def _targets(self, intent: Intent, order: Any, facts: Shipped) -> list[tuple[str, dict]]:
        if intent.audience == "buyer":
            return [("email:buyer", self._email(intent))] if self.email else []
        if intent.audience == "customs_team":
            if not self.customs_team:
                return []
            declared = self._declaration(order, facts.shipment_no)
            return [
                (
                    "email:customs",
                    self._email(Intent(intent.audience, intent.kind, {**intent.data, **declared})),
                )
            ]
        raw = self.app.orders.personal.raw(order.raw_payload)
        body = outbound(facts.channel, intent.kind, intent.data, raw)
        targets = [("kafka", body)] if self.kafka else []
        for sub in self.ledger.subscriptions(facts.channel):
            if intent.kind in sub["events"]:
                targets.append((f"webhook:{sub['id']}", body))
        return targets

    def _declaration(self, order: Any, shipment_no: int) -> dict[str, Any]:
        """The shipment's declaration for the customs team: its status and the flags recorded
        on it (code and field only: explanations may quote an importer's numbers)."""
        d = self.app.customs.declaration_for(order.id, shipment_no)
        if d is None:
            return {"declaration": None}
        flags = [f"{f['code']} ({f['field']})" for f in d.flags]
        return {"declaration": {"id": str(d.id), "status": d.status, "flags": flags}}

    @staticmethod
    def _email(intent: Intent) -> dict[str, Any]:
        """What an e-mail is rendered from at sending time: the template, the language and
        the data subject, never an address or a name (they are opened when it is sent)."""
        return {
            "template": intent.kind,
            "language": intent.data.get("language", "en"),
            "subject_id": intent.data.get("subject_id"),
            "data": intent.data,
        }
