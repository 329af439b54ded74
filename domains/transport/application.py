"""Transport use cases: rate cards, quotes, carrier choice, labels, dispatch, tracking, SLA.

Mixed into the Crossdock application. Rate cards are parsed by a port (the CSV format is an
adapter's business); carriers are reached through connectors (adapters/carriers); FX comes from
the FX port. Every choice is recorded with all quotes, the exclusions and the policy.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition
from domains.orders.model import Order
from domains.transport.choice import POLICIES, choose
from domains.transport.model import RateCardStream, Waybill
from domains.transport.rating import Parcel, QuoteRequest, RateCard, quote_all
from domains.transport.sla import ShipmentFacts, alerts

# Per channel: the carrier policy and the delivery promise in days from placing the order.
CHANNEL_SETTINGS: dict[str, dict[str, Any]] = {
    "amazon": {"policy": "best_value", "promise_days": 10},
    "shopee": {"policy": "cheapest", "promise_days": 14},
    "shopify": {"policy": "best_value", "promise_days": 12},
    "web": {"policy": "best_value", "promise_days": 12},
    "dealer": {"policy": "cheapest", "promise_days": 21},
}
RATE_CARD_TOPICS = [
    f"domains.transport.model:RateCardStream.{name}" for name in ("Opened", "VersionPublished")
]
LITHIUM_HS = ("8507.60", "850760")
ALCOHOL_HS = ("2203", "2204", "2205", "2206", "2207", "2208")


def goods_types(products: list[Any]) -> frozenset[str]:
    """What carriers refuse or restrict, derived from the products' HS codes and flags."""
    kinds = set()
    for p in products:
        if p.hs_code.startswith(LITHIUM_HS):
            kinds.add("lithium_batteries")
        if p.hs_code.startswith(ALCOHOL_HS):
            kinds.add("alcohol")
        if p.perishable:
            kinds.add("perishable")
    return frozenset(kinds)


class TransportOps:
    rate_card_parser: Any = None  # csv text -> RateCard (adapters/rate_cards.parse_rate_card_csv)
    carriers: dict[str, Any] = {}  # noqa: RUF012 - carrier code -> connector, set at bootstrap

    # ------------------------------------------------------------------ rate cards
    def publish_rate_card(self: Any, csv_text: str, source: str, by: str) -> tuple[dict, int]:
        card: RateCard = self.rate_card_parser(csv_text)  # raises RateCardRejected (422)
        stream = self._get_or_none(RateCardStream.create_id(card.carrier, card.service))
        registry = self._registry()
        if stream is None:
            stream = RateCardStream(card.carrier, card.service)
        for v in stream.versions:
            if v["version"] == card.version:
                if v["csv_text"] == csv_text:
                    return {"changed": False, **card.describe()}, 0
                raise InvalidTransition(
                    f"{card.carrier}/{card.service} version {card.version} exists with other "
                    "rates; publish it under a new version"
                )
        stream.publish(
            version=card.version,
            effective_from=card.effective_from.isoformat(),
            csv_text=csv_text,
            source=source,
            published_by=by,
        )
        registry.add("rate_card", f"{card.carrier}/{card.service}")
        nid = self._save(stream, registry)
        self._rate_cards.invalidate()
        return {"changed": True, **card.describe()}, nid

    def rate_cards(self: Any) -> list[RateCard]:
        """Every published version of every card (a quote picks the one effective that day),
        parsed once and kept until a card is published (domains/log_cache.py)."""
        cards: list[RateCard] = self._rate_cards.get()
        return cards

    def _load_rate_cards(self: Any) -> list[RateCard]:
        cards = []
        for key in self._registry().entries.get("rate_card", []):
            carrier, service = key.split("/", 1)
            stream = self._get_or_none(RateCardStream.create_id(carrier, service))
            for v in stream.versions if stream else []:
                cards.append(self.rate_card_parser(v["csv_text"]))
        return cards

    def _fx_to(self: Any, currencies: set[str], target: str, on: date) -> dict[str, Decimal]:
        return {c: self.fx.rate(c, target, on)[0] for c in currencies}

    def quote(self: Any, request: QuoteRequest, compare_in: str = "USD") -> dict[str, Any]:
        cards = self.rate_cards()
        fx = self._fx_to({c.currency for c in cards}, compare_in, request.ship_date)
        rates, excluded = quote_all(cards, request, fx)
        out = []
        for r in rates:
            d = r.as_dict()
            d["compare_total"] = str((r.total * fx[r.currency]).quantize(Decimal("0.01")))
            d["compare_currency"] = compare_in
            out.append(d)
        return {
            "rates": out,
            "excluded": [e.as_dict() for e in excluded],
            "ship_date": request.ship_date.isoformat(),
        }

    # ------------------------------------------------------------------ shipments
    def _shipment(self: Any, order_id: UUID, shipment_no: int) -> tuple[Order, dict[str, Any]]:
        order = self.get_order(order_id)
        return order, order.shipment(shipment_no)

    def choose_carrier(
        self: Any,
        order_id: UUID,
        shipment_no: int,
        policy: str | None,
        exception_rates: dict[str, float],
    ) -> tuple[dict[str, Any], int]:
        order, shipment = self._shipment(order_id, shipment_no)
        entry = order.fulfilment.get(str(shipment_no), {})
        if entry.get("status") not in ("packed", "carrier_selected"):
            raise InvalidTransition(
                f"shipment {shipment_no} is {order.shipment_status(shipment_no)};"
                " a carrier is chosen once it is packed"
            )
        settings = CHANNEL_SETTINGS.get(order.channel, CHANNEL_SETTINGS["web"])
        policy = policy or settings["policy"]
        if policy not in POLICIES:
            from domains.application import ValidationFailed

            raise ValidationFailed([{"loc": "policy", "msg": f"one of {', '.join(POLICIES)}"}])
        today = self.clock.now().date()
        warehouse = self.reference()["warehouses"][shipment["warehouse_id"]]
        products = [self.product(ln["sku"]) for ln in shipment["lines"]]
        ship_to = order.canonical["ship_to"]
        request = QuoteRequest(
            origin_country=warehouse.country,
            destination_country=ship_to["country"],
            destination_postcode=ship_to.get("postcode"),
            parcels=[Parcel(p["weight_g"], tuple(p["dimensions_mm"])) for p in entry["parcels"]],
            ship_date=today,
            goods_types=goods_types(products),
        )
        quoted = self.quote(request)
        placed = datetime.fromisoformat(order.canonical["placed_at"]).date()
        days_left = (placed + timedelta(days=settings["promise_days"]) - today).days
        quotes = quoted["rates"]
        decision = choose(
            quotes, policy, days_to_promise=days_left, exception_rates=exception_rates
        )
        decision.update(
            excluded=quoted["excluded"],
            ship_date=today.isoformat(),
            goods_types=sorted(request.goods_types),
            card_versions={
                f"{q['carrier']}/{q['service']}": q["card_version"] for q in quoted["rates"]
            },
        )
        if decision["choice"] is None and decision["ruled_out"]:
            # Nothing keeps the promise: take the policy's pick without it, and say so.
            fallback = choose(quotes, policy, exception_rates=exception_rates)
            decision["choice"] = fallback["choice"]
            decision["promise_missed"] = True
        order.select_carrier(shipment_no, decision)
        return {"decision": decision}, self._save(order)

    def create_label(
        self: Any, order_id: UUID, shipment_no: int, label_format: str = "PDF"
    ) -> tuple[dict[str, Any], int]:
        from domains.application import ValidationFailed

        if label_format not in ("PDF", "ZPL"):
            raise ValidationFailed([{"loc": "format", "msg": "PDF or ZPL"}])
        for attempt in range(5):
            order, shipment = self._shipment(order_id, shipment_no)
            entry = order.fulfilment.get(str(shipment_no), {})
            decision = entry.get("carrier")
            if not decision or entry.get("status") != "carrier_selected":
                raise InvalidTransition(
                    f"shipment {shipment_no} is "
                    f"{order.shipment_status(shipment_no)}; choose a carrier first"
                )
            carrier, service = decision["choice"]["carrier"], decision["choice"]["service"]
            connector = self.carriers.get(carrier)
            if connector is None:
                raise InvalidTransition(f"no connector for carrier {carrier}")
            request = self.label_request(order, shipment_no, service, label_format)
            seq = self._waybill_sequence(order_id, shipment_no, entry, attempt)
            label = connector.issue(seq, request)
            order.label(shipment_no, carrier, service, label["waybill"], label_format)
            index = Waybill(carrier, label["waybill"], str(order_id), shipment_no)
            try:
                nid = self._save(order, index)
            except IntegrityError:
                continue  # another writer changed the order, or the number was taken
            return {
                "carrier": carrier,
                "service": service,
                "waybill": label["waybill"],
                "tracking_url": label["tracking_url"],
                "label_format": label_format,
            }, nid
        raise InvalidTransition("could not issue a label; retry")

    @staticmethod
    def _waybill_sequence(order_id: UUID, shipment_no: int, entry: dict, attempt: int) -> int:
        # Deterministic per (shipment, how many labels it had), so a retry never double-issues.
        seed = f"{order_id}:{shipment_no}:{len(entry.get('voided', []))}:{attempt}"
        return int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) % (10**7 - 1) + 1

    def label_request(
        self: Any, order: Order, shipment_no: int, service: str, label_format: str
    ) -> dict[str, Any]:
        """Plain data for the carrier connector; also what a label is re-rendered from."""
        shipment = order.shipment(shipment_no)
        entry = order.fulfilment[str(shipment_no)]
        warehouse = self.reference()["warehouses"][shipment["warehouse_id"]]
        ship_to = order.canonical["ship_to"]
        return {
            "service": service,
            "shipment_id": f"{order.id}-S{shipment_no}",
            "sender": {
                "name": warehouse.name,
                "line1": warehouse.address,
                "city": warehouse.city,
                "country": warehouse.country,
                "postcode": "",
            },
            "recipient": {
                "name": ship_to.get("name", ""),
                "line1": ship_to.get("line1", ""),
                "line2": ship_to.get("line2") or "",
                "city": ship_to.get("city", ""),
                "region": ship_to.get("region") or "",
                "postcode": ship_to.get("postcode") or "",
                "country": ship_to["country"],
            },
            "parcels": [
                {"weight_g": p["weight_g"], "dims_mm": p["dimensions_mm"]} for p in entry["parcels"]
            ],
            "reference": order.external_id,
            "label_format": label_format,
            "created_at": self.clock.now().isoformat(),
        }

    def void_label(self: Any, order_id: UUID, shipment_no: int, reason: str) -> tuple[dict, int]:
        order = self.get_order(order_id)
        waybill = order.void_label(shipment_no, reason)
        return {"voided": waybill}, self._save(order)

    def dispatch(self: Any, order_id: UUID, shipment_no: int) -> tuple[dict, int]:
        order = self.get_order(order_id)
        self.require_cleared_for_dispatch(order, shipment_no)
        entry = order.fulfilment.get(str(shipment_no), {})
        choice: dict[str, Any] = (entry.get("carrier") or {}).get("choice") or {}
        now = self.clock.now()
        eta = (now + timedelta(days=int(choice.get("transit_days_max", 0)))).isoformat()
        order.dispatch(shipment_no, eta, now.isoformat())
        return {"eta": eta, "order_status": order.status}, self._save(order)

    # ------------------------------------------------------------------ tracking
    def ingest_tracking(
        self: Any, carrier: str, events: list[dict[str, Any]], normalise: Any
    ) -> list[dict[str, Any]]:
        """Carrier-native scans, each answered: recorded, duplicate, or unknown waybill."""
        results = []
        for i, e in enumerate(events):
            index = self._get_or_none(Waybill.create_id(carrier, e["waybill"]))
            if index is None:
                results.append({"index": i, "waybill": e["waybill"], "result": "unknown_waybill"})
                continue
            status, incident = normalise(carrier, e["code"], e.get("description", ""))
            data = {
                "code": e["code"],
                "description": e.get("description", ""),
                "status": status,
                "incident": incident,
                "occurred_at": e["occurred_at"],
                "location": e.get("location", ""),
            }
            for _ in range(10):
                order = self.get_order(UUID(index.order_id))
                try:
                    recorded = order.record_tracking(index.shipment_no, data)
                except InvalidTransition as exc:
                    results.append(
                        {
                            "index": i,
                            "waybill": e["waybill"],
                            "result": "rejected",
                            "reason": str(exc),
                        }
                    )
                    break
                if not recorded:
                    results.append({"index": i, "waybill": e["waybill"], "result": "duplicate"})
                    break
                try:
                    self._save(order)
                except IntegrityError:
                    continue
                results.append(
                    {
                        "index": i,
                        "waybill": e["waybill"],
                        "result": "recorded",
                        "status": status,
                        "incident": incident,
                        "shipment_status": order.fulfilment[str(index.shipment_no)][
                            "tracking_status"
                        ],
                    }
                )
                break
        return results

    # ------------------------------------------------------------------ SLA
    def check_sla(self: Any, shipments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Raise an exception event for every overdue step not yet raised (rows from the
        shipments view)."""
        now = self.clock.now()
        raised = []

        def ts(v: str | None) -> datetime | None:
            return datetime.fromisoformat(v) if v else None

        for row in shipments:
            facts = ShipmentFacts(
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
            found = alerts(facts, now)
            if not found:
                continue
            order = self.get_order(UUID(row["order_id"]))
            new = [
                a
                for a in found
                if order.raise_alert(
                    row["shipment_no"],
                    a["kind"],
                    now.isoformat(),
                    a["detail"],
                    a["suggested_action"],
                )
            ]
            if new:
                try:
                    self._save(order)
                except IntegrityError:
                    continue  # changed meanwhile: the next check sees it again
                raised += [dict(a, shipment_id=row["shipment_id"]) for a in new]
        return raised
