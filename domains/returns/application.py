"""Returns use cases: open a return (channel, operator, or the carrier's return_to_sender),
buy its label to the chosen warehouse (with a re-import declaration and returned-goods relief
when it crosses a border), and read returns. Receiving and grading are in
domains/returns/receiving.py; carrier claims in domains/returns/claims.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domains.common import DomainError, InvalidTransition, NotFound, ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.orders.application import OrderUseCases
from domains.orders.model import DELIVERED, DISPATCHED, Order
from domains.reference.application import ReferenceUseCases
from domains.returns import rules
from domains.returns.model import Return
from domains.returns.ports import ReturnViews
from domains.returns.receiving import ReturnReceiving
from domains.returns.reliefs import returned_goods_relief
from domains.store import Store, Touched
from domains.transport.application import goods_types
from domains.transport.ports import CarrierConnector
from domains.transport.rates import RateBook
from domains.transport.rating import Parcel, QuoteRequest
from domains.warehouse.application import WarehouseUseCases

SENT = (DISPATCHED, "in_transit", DELIVERED)
PACKAGING_G = 150  # a returned parcel's packaging, on top of its goods


class ReturnsUseCases(ReturnReceiving):
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        customs: CustomsUseCases,
        warehouse: WarehouseUseCases,
        rates: RateBook,
        *,
        carriers: Mapping[str, CarrierConnector],
        views: ReturnViews,
    ) -> None:
        self.store = store
        self.reference = reference
        self.orders = orders
        self.customs = customs
        self.warehouse = warehouse
        self.rates = rates
        self.carriers = carriers
        self.views = views

    # ------------------------------------------------------------------ reads
    def get(self, return_id: str) -> Return:
        r = self.store.get_or_none(Return.create_id(return_id))
        if not isinstance(r, Return):
            raise NotFound("return", return_id)
        return r

    def of_shipment(self, order_id: str, shipment_no: int) -> list[Return]:
        """The shipment's returns, in the order they were opened."""
        out: list[Return] = []
        while True:
            r = self.store.get_or_none(
                Return.create_id(Return.number(order_id, shipment_no, len(out) + 1))
            )
            if r is None:
                return out
            out.append(r)

    # ------------------------------------------------------------------ opening
    def open_return(
        self,
        order_id: UUID,
        lines: list[dict[str, Any]],
        label_payer: str,
        source: str,
        opened_by: str,
        reference: str = "",
        reason: str | None = None,
        shipment_no: int | None = None,
    ) -> tuple[dict[str, Any], int]:
        """A return of a dispatched shipment's units (not more than shipped, less what earlier
        returns took back). Idempotent per (order, reference): the same request again answers
        the return it opened."""
        if label_payer not in rules.PAYERS:
            msg = f"one of {', '.join(rules.PAYERS)}"
            raise ValidationFailed([{"loc": "label_payer", "msg": msg}])

        def step(touched: Touched) -> tuple[dict[str, Any], bool]:
            order = self.orders.get_order(order_id)
            n = shipment_no or self._shipment_for(order, lines)
            earlier = self.of_shipment(str(order.id), n)
            for r in earlier:
                if reference and r.reference == reference:
                    return self.answer(r), False
            ret = self._new_return(order, n, earlier, lines, reason, source, reference,
                                   label_payer, opened_by)  # fmt: skip
            touched[ret.id] = ret
            return self.answer(ret), True

        (answer, created), nid = self.store.retry(step)
        return {**answer, "created": created}, nid

    def _shipment_for(self, order: Order, lines: list[dict[str, Any]]) -> int:
        sent = [
            s["shipment_no"]
            for s in order.shipments
            if order.shipment_status(s["shipment_no"]) in SENT
        ]
        skus = {ln["sku"] for ln in lines}
        holding = [n for n in sent if skus <= set(rules.shipped(order, n))]
        if len(holding) == 1 or (holding and len(sent) == 1):
            return holding[0]
        why = (
            "no dispatched shipment of this order holds these SKUs"
            if not holding
            else (f"shipments {', '.join(map(str, holding))} hold these SKUs: say which")
        )
        raise ValidationFailed([{"loc": "shipment_no", "msg": why}])

    def _new_return(
        self,
        order: Order,
        shipment_no: int,
        earlier: list[Return],
        lines: list[dict[str, Any]],
        reason: str | None,
        source: str,
        reference: str,
        label_payer: str,
        opened_by: str,
    ) -> Return:
        status = order.shipment_status(shipment_no)
        if status not in SENT:
            raise InvalidTransition(
                f"shipment {shipment_no} is {status}; only what left is returned"
            )
        left = rules.returnable(rules.shipped(order, shipment_no), earlier)
        checked, errors = rules.check_lines(lines, left, reason)
        if errors:
            raise ValidationFailed(errors)
        entry = order.fulfilment[str(shipment_no)]
        shipment = {
            "warehouse_id": order.shipment(shipment_no)["warehouse_id"],
            "carrier": entry.get("carrier_code"),
            "service": entry.get("service"),
            "waybill": entry.get("waybill"),
            "destination": order.canonical["ship_to"]["country"],
            "dispatched_at": entry.get("dispatched_at"),
            "lots": entry.get("picked", []),
        }
        return Return(
            return_id=Return.number(str(order.id), shipment_no, len(earlier) + 1),
            order_id=str(order.id),
            shipment_no=shipment_no,
            channel=order.channel,
            source=source,
            reference=reference,
            lines=checked,
            label_payer=label_payer,
            opened_by=opened_by,
            shipment=shipment,
        )

    def on_scan(self, order: Order, shipment_no: int, scan: dict[str, Any]) -> list[Aggregate]:
        """Hooked where tracking scans are recorded (TransportUseCases): a return_to_sender
        scan opens a return of everything still out, once per shipment, saved with the scan.
        The parcel comes back on its own waybill to the warehouse it left."""
        if scan.get("status") != "return_to_sender":
            return []
        earlier = self.of_shipment(str(order.id), shipment_no)
        if any(r.source == "return_to_sender" for r in earlier):
            return []
        left = rules.returnable(rules.shipped(order, shipment_no), earlier)
        lines = [{"sku": s, "quantity": q} for s, q in sorted(left.items()) if q > 0]
        if not lines:
            return []
        reference = f"tracking:{scan.get('code')}:{scan.get('occurred_at')}"
        try:
            ret = self._new_return(order, shipment_no, earlier, lines, "undeliverable",
                                   "return_to_sender", reference, "seller", "carrier")  # fmt: skip
        except DomainError:  # the scan is recorded whatever; an operator can open the return
            return []
        ret.buy_label(
            {
                "kind": "return_to_sender",
                "warehouse_id": ret.shipment["warehouse_id"],
                "why": "the carrier returns the parcel to sender on its outbound waybill",
                "carrier": ret.shipment["carrier"],
                "service": ret.shipment["service"],
                "waybill": ret.shipment["waybill"],
                "quote": None,
                "payer": "seller",
                "reimport": None,
            }
        )
        return [ret]

    # ------------------------------------------------------------------ label
    def buy_label(
        self, return_id: str, warehouse_id: str | None = None, label_format: str = "PDF"
    ) -> tuple[dict[str, Any], int]:
        """A return label from the buyer to the chosen warehouse (default: the nearest able to
        receive in the buyer's customs territory, else back to the warehouse it left, across
        the border with a re-import declaration and the returned-goods relief where it applies)."""
        if label_format not in ("PDF", "ZPL"):
            raise ValidationFailed([{"loc": "format", "msg": "PDF or ZPL"}])
        ret = self.get(return_id)
        if ret.status != "opened":
            raise InvalidTransition(f"return is {ret.status}; a label is bought once, when opened")
        order = self.orders.get_order(UUID(ret.order_id))
        warehouses = self.reference.current()["warehouses"]
        if warehouse_id is not None and warehouse_id not in warehouses:
            raise ValidationFailed(
                [{"loc": "warehouse_id", "msg": f"unknown warehouse {warehouse_id!r}"}]
            )
        tariffs = self.customs.latest_tariffs()
        territory_of = tariffs.territory_of if tariffs is not None else (lambda c: c)
        buyer = ret.shipment["destination"]
        if warehouse_id is None:
            options, _ = rules.candidate_warehouses(
                buyer, warehouses, territory_of, ret.shipment["warehouse_id"]
            )
            why = "nearest warehouse able to receive in the buyer's customs territory"
        else:
            options, why = [warehouse_id], "chosen by the operator"
        warehouse_id, quote, parcel = self._quote(ret, order, options, warehouses)
        if quote is None:
            raise InvalidTransition(f"no carrier service takes a return from {buyer} to {options}")
        decision = {
            "kind": "label",
            "warehouse_id": warehouse_id,
            "why": why
            if territory_of(warehouses[warehouse_id].country) == territory_of(buyer)
            else f"{why}; back across the border",
            "carrier": quote["carrier"],
            "service": quote["service"],
            "quote": quote,
            "payer": ret.label_payer,
            "label_format": label_format,
        }
        touched: Touched = {}
        decision["reimport"] = self._reimport(ret, warehouse_id, warehouses, territory_of, touched)
        decision["waybill"] = self._issue(ret, order, warehouse_id, quote, parcel, label_format)
        ret.buy_label(decision)
        nid = self.store.commit(ret, *touched.values())
        return self.answer(ret), nid

    def _quote(
        self, ret: Return, order: Order, options: list[str], warehouses: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any] | None, Parcel]:
        products = [self.reference.product(ln["sku"]) for ln in ret.lines]
        weight = PACKAGING_G + sum(
            p.unit_weight_g * ln["quantity"] for p, ln in zip(products, ret.lines, strict=True)
        )
        parcels = order.fulfilment[str(ret.shipment_no)].get("parcels") or [{}]
        dims = tuple(parcels[0].get("dimensions_mm") or (300, 200, 100))
        parcel = Parcel(weight, dims)
        for code in options:
            quoted = self.rates.quote(
                QuoteRequest(
                    origin_country=ret.shipment["destination"],
                    origin_postcode=None,  # cards zone by country; no personal data kept
                    destination_country=warehouses[code].country,
                    destination_postcode=None,
                    parcels=[parcel],
                    ship_date=self.store.clock.now().date(),
                    goods_types=frozenset(g for g in goods_types(products) if g != "general"),
                )
            )
            if quoted["rates"]:
                return code, quoted["rates"][0], parcel
        return options[0], None, parcel

    def _reimport(
        self,
        ret: Return,
        warehouse_id: str,
        warehouses: Mapping[str, Any],
        territory_of: Any,
        touched: Touched,
    ) -> dict[str, Any] | None:
        """The re-import declaration (drafted as an inbound's, by the same B2B rule) and the
        returned-goods relief decision, when the return crosses a customs border."""
        destination = warehouses[warehouse_id].country
        if territory_of(ret.shipment["destination"]) == territory_of(destination):
            return None
        order = self.orders.get_order(UUID(ret.order_id))
        prices = {ln["sku"]: ln for ln in order.canonical["lines"]}
        lines = [{"sku": ln["sku"], "quantity": ln["quantity"],
                  "unit_value": str(rules.unit_refund(prices[ln["sku"]]).quantize(rules.CENT)),
                  "currency": order.canonical["currency"]} for ln in ret.lines]  # fmt: skip
        weight = sum(
            self.reference.product(ln["sku"]).unit_weight_g * ln["quantity"] for ln in ret.lines
        )
        declaration, border = self.customs.draft_inbound_declaration(
            f"return:{ret.return_id}",
            warehouse_id,
            ret.shipment["destination"],
            lines,
            None,
            None,
            weight + PACKAGING_G,
        )
        if declaration is not None:
            touched[declaration.id] = declaration
        sent_on = (ret.shipment.get("dispatched_at") or self.store.clock.now().isoformat())[:10]
        relief = returned_goods_relief(
            territory_of(destination),
            territory_of(warehouses[ret.shipment["warehouse_id"]].country),
            date.fromisoformat(sent_on),
            self.store.clock.now().date(),
        )
        if relief["applies"]:
            relief["relieved"] = {
                k: border.get(k) for k in ("duty", "import_vat") if k in relief["covers"]
            }
        return {"declaration_id": border.get("declaration_id"), "border": border, "relief": relief}

    def _issue(
        self,
        ret: Return,
        order: Order,
        warehouse_id: str,
        quote: dict[str, Any],
        parcel: Parcel,
        label_format: str,
    ) -> str:
        connector = self.carriers.get(quote["carrier"])
        if connector is None:
            raise InvalidTransition(f"no connector for carrier {quote['carrier']}")
        w = self.reference.warehouse(warehouse_id)
        buyer = self.orders.personal.ship_to(order.canonical)
        data = {
            "service": quote["service"],
            "shipment_id": ret.return_id,
            "sender": {
                k: buyer.get(k) or ""
                for k in ("name", "line1", "line2", "city", "region", "postcode", "country")
            },
            "recipient": {
                "name": w.name,
                "line1": w.address,
                "city": w.city,
                "country": w.country,
                "postcode": "",
            },
            "parcels": [
                {"weight_g": parcel.weight_g, "dims_mm": list(parcel.dims_mm or (300, 200, 100))}
            ],
            "reference": ret.return_id,
            "label_format": label_format,
            "created_at": self.store.clock.now().isoformat(),
        }
        # Deterministic per return, so a retried purchase issues the same number.
        sequence = (
            int(hashlib.sha256(ret.return_id.encode()).hexdigest()[:12], 16) % (10**7 - 1) + 1
        )
        return str(connector.issue(sequence, data)["waybill"])

    # ------------------------------------------------------------------ answers
    def answer(self, r: Return) -> dict[str, Any]:
        return {
            "id": r.return_id,
            "order_id": r.order_id,
            "shipment_no": r.shipment_no,
            "channel": r.channel,
            "source": r.source,
            "reference": r.reference,
            "status": r.status,
            "lines": r.lines,
            "label_payer": r.label_payer,
            "opened_by": r.opened_by,
            "shipped_from": r.shipment["warehouse_id"],
            "label": r.label,
            "units": r.units,
            "refund": r.refund,
            "costs": r.costs,
            "version": r.version,
        }

    def list_returns(self, **filters: Any) -> list[dict[str, Any]]:
        return self.views.returns(**filters)

    def analysis(self) -> dict[str, Any]:
        return self.views.analysis()
