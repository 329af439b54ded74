"""Transport use cases: quotes between places, carrier choice, labels, dispatch, tracking, SLA
checks and carrier scorecards.

Prices (rate cards and quotes) live in domains/transport/rates.py; carriers, their tracking
codes, the shipments view and the scorecard arithmetic are reached through ports
(domains/transport/ports.py). Every choice is recorded with all quotes, the exclusions and the
policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.model import Order
from domains.ports import Countries
from domains.receivables.application import ReceivablesUseCases
from domains.reference.application import ReferenceUseCases
from domains.store import Store, retry_on_conflict
from domains.transport.channels import CHANNEL_SETTINGS
from domains.transport.choice import POLICIES, choose
from domains.transport.labels import label_data
from domains.transport.model import Waybill
from domains.transport.ports import CarrierConnector, Scorecards, ShipmentViews, TrackingCodes
from domains.transport.rates import RateBook
from domains.transport.rating import Parcel, QuoteRequest
from domains.transport.recommend import CarrierRecord, declared_value
from domains.transport.record import with_claims
from domains.transport.sla import ShipmentFacts, alerts


def goods_types(products: list[Any]) -> frozenset[str]:
    """What carriers refuse or restrict, from the products' HS codes, flags and compliance
    attributes (domains/reference/compliance.py)."""
    kinds: frozenset[str] = frozenset()
    for p in products:
        kinds |= p.goods_classes()
    return kinds


@dataclass(frozen=True)
class Place:
    """One end of a quote: a warehouse of ours, or a country (and postcode)."""

    warehouse_id: str | None = None
    country: str | None = None
    postcode: str | None = None


class TransportUseCases:
    record: CarrierRecord | None = None  # best value from the record (adapters/bootstrap.py)

    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        rates: RateBook,
        customs: CustomsUseCases,
        *,
        carriers: Mapping[str, CarrierConnector],
        countries: Countries,
        views: ShipmentViews,
        scorecards: Scorecards,
        tracking_codes: TrackingCodes,
        receivables: ReceivablesUseCases | None = None,
        claim_counts: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        """`receivables`: invoices a dealer order's shipment in its dispatch's transaction.
        `claim_counts`: claims per carrier, service, warehouse and destination (the returns
        views), counted on the scorecards."""
        self.store = store
        self.reference = reference
        self.orders = orders
        self.rates = rates
        self.customs = customs
        self.carriers = carriers
        self.countries = countries
        self.views = views
        self.scorecards = scorecards
        self.tracking_codes = tracking_codes
        self.receivables = receivables
        self.claim_counts = claim_counts
        # What else a recorded scan decides, saved with it (e.g. a return_to_sender scan opens
        # a return: ReturnsUseCases.on_scan), so the scan and its consequence are one write.
        self.scan_listeners: list[Callable[[Order, int, dict[str, Any]], list[Aggregate]]] = []

    # ------------------------------------------------------------------ quotes
    def quote(
        self,
        origin: Place,
        destination: Place,
        parcels: Sequence[Parcel],
        goods_types: Iterable[str] = (),
        ship_date: date | None = None,
    ) -> dict[str, Any]:
        """Every eligible service between two places, cheapest first, each with chargeable
        weight, a charge breakdown, total and transit days; and the services excluded with
        why. An unknown warehouse or country answers 422 at its place in the request."""
        errors = []
        origin_country = origin.country
        if origin.warehouse_id:
            try:
                warehouse = self.reference.warehouse(origin.warehouse_id)
            except NotFound:
                warehouse = None
            if warehouse is None:
                msg = f"unknown warehouse {origin.warehouse_id!r}"
                errors.append({"loc": "origin.warehouse_id", "msg": msg})
            else:
                origin_country = warehouse.country
        if not origin_country:
            errors.append({"loc": "origin", "msg": "give a warehouse_id or a country"})
        if not destination.country:
            errors.append({"loc": "destination.country", "msg": "field required"})
        for loc, code in (
            ("origin.country", origin_country),
            ("destination.country", destination.country),
        ):
            if code and not self.countries.is_country(code):
                errors.append({"loc": loc, "msg": f"{code!r} is not an ISO 3166-1 country"})
        if errors:
            raise ValidationFailed(errors)
        request = QuoteRequest(
            origin_country=origin_country or "",
            origin_postcode=origin.postcode,
            destination_country=destination.country or "",
            destination_postcode=destination.postcode,
            parcels=parcels,
            ship_date=ship_date or self.store.clock.now().date(),
            goods_types=frozenset(g for g in goods_types if g != "general"),
        )
        return self.rates.quote(request)

    # ------------------------------------------------------------------ shipments
    def _shipment(self, order_id: UUID, shipment_no: int) -> tuple[Order, dict[str, Any]]:
        order = self.orders.get_order(order_id)
        return order, order.shipment(shipment_no)

    def choose_carrier(
        self,
        order_id: UUID,
        shipment_no: int,
        policy: str | None,
        exception_rates: dict[str, float] | None = None,
    ) -> tuple[dict[str, Any], int]:
        """The carrier service for a packed shipment under the channel's policy (or the one
        given): every quote, the exclusions, the policy and the choice are recorded. Without
        exception rates given, best value is the expected cost from the carriers' record."""
        use_record = exception_rates is None and self.record is not None
        if exception_rates is None:
            exception_rates = self.exception_rates()
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
            raise ValidationFailed([{"loc": "policy", "msg": f"one of {', '.join(POLICIES)}"}])
        today = self.store.clock.now().date()
        warehouse = self.reference.current()["warehouses"][shipment["warehouse_id"]]
        products = [self.reference.product(ln["sku"]) for ln in shipment["lines"]]
        ship_to = order.canonical["ship_to"]
        request = QuoteRequest(
            origin_country=warehouse.country,
            destination_country=ship_to["country"],
            destination_postcode=ship_to.get("postcode"),
            parcels=[Parcel(p["weight_g"], tuple(p["dimensions_mm"])) for p in entry["parcels"]],
            ship_date=today,
            goods_types=goods_types(products),
        )
        quoted = self.rates.quote(request)
        placed = datetime.fromisoformat(order.canonical["placed_at"]).date()
        days_left = (placed + timedelta(days=settings["promise_days"]) - today).days
        quotes = quoted["rates"]
        by_record: dict[str, Any] = {}
        if use_record and self.record is not None and quotes:
            currency = order.canonical.get("currency") or "USD"
            rate = self.rates.fx.rate(currency, quotes[0]["compare_currency"], today)[0]
            by_record = {
                "record": self.record.for_quotes(
                    f"{warehouse.country}-{ship_to['country']}", quotes
                ),
                "declared_value": declared_value(order.canonical, shipment["lines"], rate),
                "cost_of_lateness": self.record.settings.cost_of_lateness,
            }
        decision = choose(
            quotes, policy, days_to_promise=days_left, exception_rates=exception_rates, **by_record
        )
        if by_record and self.record is not None:
            decision["inputs"]["record_settings"] = self.record.settings.details()
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
            fallback = choose(quotes, policy, exception_rates=exception_rates, **by_record)
            decision["choice"] = fallback["choice"]
            decision["promise_missed"] = True
        order.select_carrier(shipment_no, decision)
        return {"decision": decision}, self.store.commit(order)

    def create_label(
        self, order_id: UUID, shipment_no: int, label_format: str = "PDF"
    ) -> tuple[dict[str, Any], int]:
        if label_format not in ("PDF", "ZPL"):
            raise ValidationFailed([{"loc": "format", "msg": "PDF or ZPL"}])

        def attempt(n: int) -> tuple[dict[str, Any], int]:
            order, _ = self._shipment(order_id, shipment_no)
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
            # A conflict means another writer changed the order, or the number was taken:
            # the next attempt draws another sequence number.
            label = connector.issue(
                self._waybill_sequence(order_id, shipment_no, entry, n), request
            )
            order.label(shipment_no, carrier, service, label["waybill"], label_format)
            index = Waybill(carrier, label["waybill"], str(order_id), shipment_no)
            nid = self.store.commit(order, index)
            return {
                "carrier": carrier,
                "service": service,
                "waybill": label["waybill"],
                "tracking_url": label["tracking_url"],
                "label_format": label_format,
            }, nid

        return retry_on_conflict(
            attempt, tries=5, backoff_s=0.0, gave_up="could not issue a label; retry"
        )

    @staticmethod
    def _waybill_sequence(order_id: UUID, shipment_no: int, entry: dict, attempt: int) -> int:
        # Deterministic per (shipment, how many labels it had), so a retry never double-issues.
        seed = f"{order_id}:{shipment_no}:{len(entry.get('voided', []))}:{attempt}"
        return int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) % (10**7 - 1) + 1

    def label_request(
        self, order: Order, shipment_no: int, service: str, label_format: str
    ) -> dict[str, Any]:
        """Plain data for the carrier connector; also what a label is re-rendered from."""
        warehouse_id = order.shipment(shipment_no)["warehouse_id"]
        warehouse = self.reference.current()["warehouses"][warehouse_id]
        now = self.store.clock.now()
        ship_to = self.orders.personal.ship_to(order.canonical)
        return label_data(order, shipment_no, warehouse, service, label_format, now, ship_to)

    def label_document(self, order_id: UUID, shipment_no: int) -> tuple[Any, str] | None:
        """The shipment's current label (content, "PDF" or "ZPL") as it was issued, rendered
        again from the recorded shipment; None when it has no current label."""
        order = self.orders.get_order(order_id)
        entry = order.fulfilment.get(str(shipment_no), {})
        if entry.get("status") != "labelled" and not entry.get("waybill"):
            return None
        issued = [
            e
            for e in self.orders.order_events(order_id)
            if type(e).__name__ == "Labelled" and e.shipment_no == shipment_no
        ][-1]
        data = self.label_request(order, shipment_no, issued.service, issued.label_format)
        data["created_at"] = issued.timestamp.isoformat()
        content = self.carriers[issued.carrier].render(data, issued.waybill)
        return content, issued.label_format

    def void_label(self, order_id: UUID, shipment_no: int, reason: str) -> tuple[dict, int]:
        order = self.orders.get_order(order_id)
        waybill = order.void_label(shipment_no, reason)
        return {"voided": waybill}, self.store.commit(order)

    def dispatch(self, order_id: UUID, shipment_no: int) -> tuple[dict, int]:
        """A dealer order's shipment is invoiced in the same transaction (dated today); the
        dealer's orders held over its limit are then decided again (dispatch may free credit:
        a short pick, credit on account)."""
        now = self.store.clock.now()

        def step(touched: dict[UUID, Any]) -> dict[str, Any]:
            order = self.orders.get_order(order_id)
            self.customs.require_cleared_for_dispatch(order, shipment_no)
            entry = order.fulfilment.get(str(shipment_no), {})
            choice: dict[str, Any] = (entry.get("carrier") or {}).get("choice") or {}
            eta = (now + timedelta(days=int(choice.get("transit_days_max", 0)))).isoformat()
            order.dispatch(shipment_no, eta, now.isoformat())
            touched[order.id] = order
            answer: dict[str, Any] = {"eta": eta, "order_status": order.status}
            if self.receivables is not None:
                number, changed = self.receivables.invoice_shipment(order, shipment_no, now.date())
                touched.update((a.id, a) for a in changed)
                if number:
                    answer["invoice"] = number
            answer["dealer_id"] = order.dealer_id
            return answer

        answer, nid = self.store.retry(step)
        dealer_id = answer.pop("dealer_id")
        if self.receivables is not None and dealer_id:
            self.receivables.credit_freed(
                dealer_id, {"kind": "dispatch", "order_id": str(order_id)}
            )
        return answer, nid

    # ------------------------------------------------------------------ tracking
    def ingest_tracking(self, carrier: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Carrier-native scans, each mapped to a normalised status and incident reason and
        answered: recorded, duplicate, rejected or unknown waybill."""
        results = []
        for i, e in enumerate(events):
            index = self.store.get_or_none(Waybill.create_id(carrier, e["waybill"]))
            if index is None:
                results.append({"index": i, "waybill": e["waybill"], "result": "unknown_waybill"})
                continue
            status, incident = self.tracking_codes(carrier, e["code"], e.get("description", ""))
            data = {
                "code": e["code"],
                "description": e.get("description", ""),
                "status": status,
                "incident": incident,
                "occurred_at": e["occurred_at"],
                "location": e.get("location", ""),
            }
            results.append(
                dict(
                    {"index": i, "waybill": e["waybill"]},
                    **self._record_scan(UUID(index.order_id), index.shipment_no, data),
                )
            )
        return results

    def _record_scan(self, order_id: UUID, shipment_no: int, data: dict[str, Any]) -> dict:
        """One normalised scan on its shipment: recorded, duplicate or rejected."""

        def attempt(_: int) -> dict[str, Any]:
            order = self.orders.get_order(order_id)
            try:
                recorded = order.record_tracking(shipment_no, data)
            except InvalidTransition as exc:
                return {"result": "rejected", "reason": str(exc)}
            if not recorded:
                return {"result": "duplicate"}
            also = [a for hook in self.scan_listeners for a in hook(order, shipment_no, data)]
            self.store.commit(order, *also)
            return {
                "result": "recorded",
                "status": data["status"],
                "incident": data["incident"],
                "shipment_status": order.fulfilment[str(shipment_no)]["tracking_status"],
            }

        return retry_on_conflict(attempt, tries=10, backoff_s=0.0)

    # ------------------------------------------------------------------ SLA
    def check_sla(self, shipments: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        """Looks for MISSING events at the application's clock (no scan for 24 h after
        dispatch, customs hold over 48 h, ETA passed, pick not started before the cut-off) and
        raises an exception event for each not raised before; answers the new ones. Over the
        open shipments of the shipments view, or the given rows of it."""
        if shipments is None:
            shipments = self.views.open_shipments()
        now = self.store.clock.now()
        raised = []
        for row in shipments:
            facts = ShipmentFacts.from_view_row(row)
            found = alerts(facts, now)
            if not found:
                continue
            order = self.orders.get_order(UUID(row["order_id"]))
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
                    self.store.commit(order)
                except IntegrityError:
                    continue  # changed meanwhile: the next check sees it again
                raised += [dict(a, shipment_id=row["shipment_id"]) for a in new]
        return raised

    def exception_queue(
        self, kind: str | None = None, warehouse_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Every SLA alert raised (of one kind, of one warehouse's shipments when given), each
        with its shipment, carrier and waybill, by shipment."""
        keys = ("shipment_id", "order_id", "warehouse_id", "carrier", "waybill", "status")
        return [
            {**{k: row[k] for k in keys}, **alert}
            for row in self.views.shipments_with_alerts()
            if warehouse_id is None or row["warehouse_id"] == warehouse_id
            for alert in row["alerts"]
            if not kind or alert["kind"] == kind
        ]

    # ------------------------------------------------------------------ scorecards
    def carrier_scorecards(self) -> list[dict[str, Any]]:
        """On-time rate, exception rate and mean transit per carrier service and lane, quoted
        against actual transit, from our own dispatched shipments."""
        warehouses = self.reference.current()["warehouses"]
        countries = {code: w.country for code, w in warehouses.items()}
        cards = self.scorecards(self.views.dispatched_shipments(), countries)
        return with_claims(cards, self.claim_counts() if self.claim_counts else [], countries)

    def carrier_recommendations(self, origin: str, destination: str) -> dict[str, Any]:
        """Carrier services on a lane ranked by expected cost from their record."""
        if self.record is None:
            raise NotFound("carrier record", f"{origin}-{destination}")
        return self.record.recommendations(origin, destination)

    def exception_rates(self) -> dict[str, float]:
        """Each carrier service's share of shipments with an exception ("carrier/service")."""
        return {
            f"{r['carrier']}/{r['service']}": float(r["exception_rate"])
            for r in self.carrier_scorecards()
        }
