"""Inbound use cases: book an inbound shipment (from JSON or a forwarder's packing list), move
it through its stages, reschedule its arrival, draft its import declaration (or record why
none is needed), record its costs, receive it at the dock (counts, discrepancies, good units to
stock) and decide its landed cost per unit. Transfers between our own warehouses
(domains/inbound/transfers.py) are inbound shipments whose origin is a warehouse.

Every command saves the inbound's events and the stock's (WarehouseUseCases' contract:
expect_inbound, reschedule_inbound, receive_inbound, cancel_inbound; Inventory.reserve and
ship_out for a transfer's source) in ONE transaction (`Store.retry`). After a receipt commits,
waiting orders are re-examined (`OrderUseCases.release_backorders`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.application import CustomsUseCases
from domains.customs.tariff import Money
from domains.inbound import landed, receiving
from domains.inbound.model import (
    AT_PORT,
    BASES,
    BOOKED,
    DELIVERED,
    DEPARTED,
    RECEIVED,
    RELEASED,
    InboundShipment,
)
from domains.inbound.references import MODES, normalise_reference
from domains.inbound.transfers import TransferUseCases
from domains.orders.application import OrderUseCases
from domains.ports import Countries, FxRates
from domains.reference.application import ReferenceUseCases
from domains.settlement.ports import LandedCosts
from domains.store import Store, Touched
from domains.transport.rates import RateBook
from domains.warehouse.application import WarehouseUseCases
from domains.warehouse.model import Inventory

HAND_STAGES = (DEPARTED, AT_PORT, RELEASED, DELIVERED)


def transfer_key(inbound_id: str) -> str:
    """The reservation key of a transfer's units at its source warehouse."""
    return f"transfer:{inbound_id}"


class InboundUseCases(TransferUseCases):
    def __init__(
        self,
        store: Store,
        reference: ReferenceUseCases,
        orders: OrderUseCases,
        warehouse: WarehouseUseCases,
        customs: CustomsUseCases,
        rates: RateBook,
        *,
        fx: FxRates,
        countries: Countries,
        landed: LandedCosts | None = None,
    ) -> None:
        """`landed` reads the landed cost of stock already received (a transfer's units carry
        their source's cost)."""
        self.store = store
        self.reference = reference
        self.orders = orders
        self.warehouse = warehouse
        self.customs = customs
        self.rates = rates
        self.fx = fx
        self.countries = countries
        self.landed = landed

    # ------------------------------------------------------------------ reads
    def get(self, inbound_id: str, warehouse_id: str | None = None) -> InboundShipment:
        """The inbound; NotFound for another warehouse's when `warehouse_id` is given (a
        warehouse key sees its own warehouse's inbound shipments only)."""
        inbound = self.store.get_or_none(InboundShipment.create_id(inbound_id))
        if not isinstance(inbound, InboundShipment) or (
            warehouse_id is not None and inbound.warehouse_id != warehouse_id
        ):
            raise NotFound("inbound shipment", inbound_id)
        return inbound

    def _now(self) -> str:
        return self.store.clock.now().isoformat()

    # ------------------------------------------------------------------ booking
    def _checked(
        self,
        warehouse_id: str,
        origin: dict[str, Any],
        mode: str,
        reference: str,
        expected_arrival: date,
        rows: list[dict[str, Any]],
        basis: str,
        currency: str,
    ) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
        """Every field checked, every error named: (origin with its country, the reference as
        stored, the cartons), or ValidationFailed listing them all."""
        errors: list[dict[str, str]] = []
        warehouses = self.reference.current()["warehouses"]
        if warehouse_id not in warehouses:
            errors.append({"loc": "warehouse_id", "msg": f"unknown warehouse {warehouse_id!r}"})
        origin = dict(origin)
        if origin.get("kind") == "warehouse":
            source = origin.get("warehouse_id")
            if source not in warehouses:
                errors.append(
                    {"loc": "origin.warehouse_id", "msg": f"unknown warehouse {source!r}"}
                )
            elif source == warehouse_id:
                errors.append({"loc": "origin.warehouse_id", "msg": "a transfer needs two warehouses"})  # fmt: skip
            else:
                origin["country"] = warehouses[source].country
        elif origin.get("kind") == "supplier":
            if not str(origin.get("name") or "").strip():
                errors.append({"loc": "origin.name", "msg": "the supplier's name is required"})
            if not self.countries.is_country(str(origin.get("country") or "")):
                msg = f"{origin.get('country')!r} is not an ISO country code"
                errors.append({"loc": "origin.country", "msg": msg})
        else:
            errors.append({"loc": "origin.kind", "msg": "'supplier' or 'warehouse'"})
        if mode not in MODES:
            errors.append({"loc": "mode", "msg": f"one of {', '.join(MODES)}"})
        ref, why = normalise_reference(mode, reference) if mode in MODES else (reference, None)
        if why:
            errors.append({"loc": "reference", "msg": why})
        today = self.store.clock.now().date()
        if expected_arrival < today:
            errors.append({"loc": "expected_arrival", "msg": f"{expected_arrival} is past"})
        if basis not in BASES:
            errors.append({"loc": "allocation_basis", "msg": f"one of {', '.join(BASES)}"})
        if not self.fx.has_rate(currency):
            errors.append({"loc": "currency", "msg": f"unknown currency {currency!r}"})
        products = self.reference.current()["products"]
        cartons, line_errors = receiving.packing_lines(rows, products.get, today)
        errors += line_errors
        if errors:
            raise ValidationFailed(errors)
        assert ref is not None
        return origin, ref, cartons

    def book(
        self,
        inbound_id: str,
        warehouse_id: str,
        origin: dict[str, Any],
        mode: str,
        carrier: str,
        reference: str,
        expected_arrival: date,
        rows: list[dict[str, Any]],
        allocation_basis: str,
        currency: str,
        by: str,
    ) -> tuple[InboundShipment, bool, int]:
        """Books an inbound shipment (its first stage) and tells the destination warehouse what
        to expect, in one transaction; for a transfer the units to move are reserved at the
        source under `transfer:{id}`. `rows` are packing-list lines, each saying where it came
        from (`where`). A repeat of the same booking answers the stored one (created False);
        the same id with other contents is a conflict (409)."""
        origin, ref, cartons = self._checked(
            warehouse_id, origin, mode, reference, expected_arrival, rows, allocation_basis,
            currency,
        )  # fmt: skip

        def step(touched: Touched) -> tuple[InboundShipment, bool]:
            existing = self.store.get_or_none(InboundShipment.create_id(inbound_id))
            if isinstance(existing, InboundShipment):
                same = (existing.warehouse_id, existing.cartons, existing.reference) == (
                    warehouse_id,
                    cartons,
                    ref,
                )
                if not same:
                    raise InvalidTransition(f"inbound {inbound_id} exists with other contents")
                return existing, False
            inbound = InboundShipment(
                inbound_id=inbound_id,
                warehouse_id=warehouse_id,
                origin=origin,
                mode=mode,
                carrier=carrier,
                reference=ref,
                expected_arrival=expected_arrival.isoformat(),
                cartons=cartons,
                allocation_basis=allocation_basis,
                currency=currency,
                booked_by=by,
            )
            if inbound.is_transfer:
                self._reserve_at_source(touched, inbound)
            self.warehouse.expect_inbound(
                touched, inbound_id, warehouse_id, self._expected_lines(inbound), expected_arrival
            )
            touched[inbound.id] = inbound
            return inbound, True

        (inbound, created), nid = self.store.retry(step)
        return inbound, created, nid

    @staticmethod
    def _expected_lines(inbound: InboundShipment) -> list[dict[str, Any]]:
        merged: dict[tuple[str, str | None], dict[str, Any]] = {}
        for ln in inbound.lines:
            key = (ln["sku"], ln.get("lot"))
            entry = merged.setdefault(
                key, {"sku": ln["sku"], "quantity": 0, "lot": ln.get("lot"),
                      "expiry": ln.get("expiry")}
            )  # fmt: skip
            entry["quantity"] += ln["quantity"]
        return list(merged.values())

    def _inventory(self, touched: Touched, warehouse_id: str, sku: str) -> Inventory:
        key = Inventory.create_id(warehouse_id, sku)
        if key in touched:
            return touched[key]  # type: ignore[no-any-return]
        inv = self.store.get_or_none(key)
        if inv is None:
            raise InvalidTransition(f"{warehouse_id} holds no {sku} to transfer")
        touched[key] = inv
        return inv  # type: ignore[no-any-return]

    def _reserve_at_source(self, touched: Touched, inbound: InboundShipment) -> None:
        """A transfer's units reserved at the source (its lots by the shelf's own order);
        short stock there refuses the booking (409), nothing is stored."""
        source = inbound.origin["warehouse_id"]
        for ln in self._expected_lines(inbound):
            inv = self._inventory(touched, source, ln["sku"])
            allocations = None
            if ln["lot"]:
                free = [
                    e for e in inv.lots.values()
                    if e["lot"] == ln["lot"] and e["on_hand"] > e["reserved"]
                ]  # fmt: skip
                allocations, want = [], ln["quantity"]
                for e in free:
                    take = min(want, e["on_hand"] - e["reserved"])
                    if take:
                        allocations.append({"lot": e["lot"], "bin": e["bin"], "quantity": take})
                        want -= take
                if want:
                    raise InvalidTransition(
                        f"{source} holds {ln['quantity'] - want} free of {ln['sku']} lot "
                        f"{ln['lot']}; the transfer needs {ln['quantity']}"
                    )
            inv.reserve(transfer_key(inbound.inbound_id), ln["quantity"], allocations)

    # ------------------------------------------------------------------ stages
    def advance(
        self, inbound_id: str, stage: str, by: str, note: str = ""
    ) -> tuple[InboundShipment, int]:
        """Departed, arrived at port, released, delivered: each only after the one before it
        (409 otherwise). A transfer's units leave the source's shelf at departure."""
        if stage not in HAND_STAGES:
            raise ValidationFailed([{"loc": "stage", "msg": f"one of {', '.join(HAND_STAGES)}"}])

        def step(touched: Touched) -> InboundShipment:
            inbound = self.get(inbound_id)
            inbound.advance(stage, self._now(), by, note)
            if stage == DEPARTED and inbound.is_transfer:
                source = inbound.origin["warehouse_id"]
                for ln in self._expected_lines(inbound):
                    inv = self._inventory(touched, source, ln["sku"])
                    inv.ship_out(transfer_key(inbound_id), f"transfer {inbound_id} departed")
            touched[inbound.id] = inbound
            return inbound

        return self.store.retry(step)

    def reschedule(
        self, inbound_id: str, arrival: date, reason: str, by: str
    ) -> tuple[dict[str, Any], int]:
        """A new expected arrival, recorded with the one before; when it is later, every order
        pre-sold against the inbound gets an exception with its new promised date (the
        warehouse's `reschedule_inbound`), in the same transaction."""

        def step(touched: Touched) -> dict[str, Any]:
            inbound = self.get(inbound_id)
            before = inbound.expected_arrival
            later = inbound.reschedule(arrival.isoformat(), reason, self._now())
            affected: list[str] = []
            if later:
                affected = self.warehouse.reschedule_inbound(
                    touched, inbound_id, inbound.warehouse_id, arrival, reason
                )
            if inbound.expected_arrival != before:
                touched[inbound.id] = inbound
            return {"before": before, "after": inbound.expected_arrival, "later": later,
                    "affected_orders": affected}  # fmt: skip

        return self.store.retry(step)

    def cancel(self, inbound_id: str, reason: str, by: str) -> tuple[dict[str, Any], int]:
        """A booked inbound that will not come: the expectation dropped, its pre-sales
        backordered; a transfer's reservation at the source released."""

        def step(touched: Touched) -> dict[str, Any]:
            inbound = self.get(inbound_id)
            inbound.cancel(reason, self._now(), by)
            orders = self.warehouse.cancel_inbound(
                touched, inbound_id, inbound.warehouse_id, reason
            )
            if inbound.is_transfer:
                for ln in self._expected_lines(inbound):
                    inv = self._inventory(touched, inbound.origin["warehouse_id"], ln["sku"])
                    inv.release(transfer_key(inbound_id))
            touched[inbound.id] = inbound
            return {"backordered": orders}

        result, nid = self.store.retry(step)
        if nid:  # a transfer's units are free again at the source
            self.orders.release_after_commit(self._skus_of(inbound_id), {"kind": "cancel"})
        return result, nid

    def _skus_of(self, inbound_id: str) -> list[str]:
        return sorted({ln["sku"] for ln in self.get(inbound_id).lines})

    # ------------------------------------------------------------------ costs and customs
    def record_costs(
        self,
        inbound_id: str,
        freight: dict[str, str] | None,
        insurance: dict[str, str] | None,
        fees: list[dict[str, str]],
        by: str,
    ) -> tuple[InboundShipment, int]:
        """Freight, insurance and fees ({amount, currency}; fees also a name), replacing those
        recorded before, until the landed cost is decided: at receipt when they were recorded
        by then, else now, when they come for a received inbound (then they are final)."""
        errors = []
        for where, m in [("freight", freight), ("insurance", insurance)] + [
            (f"fees[{i}]", f) for i, f in enumerate(fees)
        ]:
            if m is None:
                continue
            if not self.fx.has_rate(str(m.get("currency"))):
                errors.append({"loc": f"{where}.currency", "msg": f"no rate for {m['currency']!r}"})
        if errors:
            raise ValidationFailed(errors)

        def step(touched: Touched) -> InboundShipment:
            inbound = self.get(inbound_id)
            inbound.record_costs(
                costs={"freight": freight, "insurance": insurance, "fees": fees}, by=by
            )
            if inbound.stage == RECEIVED:
                inbound.decide_landed_cost(self._landed_decision(inbound, inbound.received))
            touched[inbound.id] = inbound
            return inbound

        return self.store.retry(step)

    @staticmethod
    def _money(m: dict[str, Any] | None) -> Money | None:
        return Money(Decimal(str(m["amount"])), m["currency"]) if m else None

    def declare_customs(self, inbound_id: str, by: str) -> tuple[dict[str, Any], int]:
        """The customs import step, once arrived at port: across a customs border a B2B import
        declaration (full duty and import VAT, no low-value scheme) for the customs desk to
        review; inside one territory none, and why (domains/customs/inbound.py)."""

        def step(touched: Touched) -> dict[str, Any]:
            inbound = self.get(inbound_id)
            inbound.require_next("customs_drafted")
            lines = [
                {"sku": ln["sku"], "quantity": ln["quantity"], "unit_value": ln["unit_value"],
                 "currency": ln["value_currency"]}
                for ln in inbound.lines
            ]  # fmt: skip
            costs = inbound.costs or {}
            grams = sum(
                int(Decimal(str(c["gross_weight_kg"])) * 1000)
                if c.get("gross_weight_kg")
                else int(sum(Decimal(ln["unit_weight_kg"]) * ln["quantity"] for ln in c["lines"])
                         * 1000)
                for c in inbound.cartons
            )  # fmt: skip
            declaration, decision = self.customs.draft_inbound_declaration(
                inbound_id,
                inbound.warehouse_id,
                inbound.origin["country"],
                lines,
                self._money(costs.get("freight")),
                self._money(costs.get("insurance")),
                grams,
            )
            inbound.record_customs({**decision, "by": by}, self._now())
            touched[inbound.id] = inbound
            if declaration is not None:
                touched[declaration.id] = declaration
            return decision

        return self.store.retry(step)

    def clear_customs(self, inbound_id: str, by: str) -> tuple[InboundShipment, int]:
        """Customs cleared: only once the customs desk approved the import declaration."""

        def step(touched: Touched) -> InboundShipment:
            inbound = self.get(inbound_id)
            if not inbound.customs or not inbound.customs.get("declaration_id"):
                inbound.require_next("customs_cleared")  # answers what is expected
                raise InvalidTransition("no import declaration to clear")
            d = self.customs.get_declaration(UUID(inbound.customs["declaration_id"]))
            inbound.clear_customs(d.status, self._now(), by)
            touched[inbound.id] = inbound
            return inbound

        return self.store.retry(step)

    # ------------------------------------------------------------------ the dock
    def receive(
        self,
        inbound_id: str,
        warehouse_id: str,
        receipt_id: str,
        counts: list[dict[str, Any]],
        by: str,
        close: bool = True,
    ) -> tuple[dict[str, Any], int]:
        """Counts at the dock per carton, SKU and lot ({carton_no, sku, lot, good, damaged,
        reason, bin}), idempotent per receipt id. Closing the receipt records every short, over
        and damaged quantity as a discrepancy, puts the good units into stock (the warehouse's
        `receive_inbound`: putaway as today, pre-sales converted), decides the landed cost per
        unit, all in one transaction; then the orders waiting for these SKUs are re-examined."""
        errors = []
        for i, c in enumerate(counts):
            if c["damaged"] and not str(c.get("reason") or "").strip():
                msg = "damaged units need a reason"
                errors.append({"loc": f"counts[{i}].reason", "msg": msg})
        if errors:
            raise ValidationFailed(errors)

        def step(touched: Touched) -> dict[str, Any]:
            inbound = self.get(inbound_id, warehouse_id)
            if receipt_id in inbound.counts or any(
                s.get("receipt_id") == receipt_id for s in inbound.stages
            ):
                return self.summary(inbound) | {"applied": False}
            inbound.count(receipt_id, counts, by)
            out: dict[str, Any] = {"applied": True}
            if close:
                out |= self._close(touched, inbound, receipt_id, by)
            touched[inbound.id] = inbound
            return self.summary(inbound) | out

        result, nid = self.store.retry(step)
        if result["applied"] and result.get("stage") == "received":
            skus = result["stock"].get("skus") or self._skus_of(inbound_id)
            trigger = {"kind": "inbound", "ref": inbound_id}
            result["backorders"] = self.orders.release_after_commit(skus, trigger)
        return result, nid

    def _close(
        self, touched: Touched, inbound: InboundShipment, receipt_id: str, by: str
    ) -> dict[str, Any]:
        counted = inbound.counted_units()
        found = receiving.discrepancies(inbound.expected_units(), counted)
        expiry = {(ln["sku"], ln.get("lot")): ln.get("expiry") for ln in inbound.lines}
        bins = {(c["sku"], c.get("lot")): c.get("bin") for c in counted.values() if c.get("bin")}
        good = receiving.good_units(counted)
        received = [
            {"sku": sku, "lot": lot, "expiry": expiry.get((sku, lot)), "quantity": q,
             **({"bin": bins[(sku, lot)]} if (sku, lot) in bins else {})}
            for (sku, lot), q in sorted(good.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        ]  # fmt: skip
        stock = self.warehouse.receive_inbound(
            touched, inbound.inbound_id, inbound.warehouse_id, received
        )
        inbound.close_receipt(receipt_id, found, received, stock, self._now(), by)
        if inbound.costs is not None:  # else decided when the costs come (record_costs)
            inbound.decide_landed_cost(self._landed_decision(inbound, received))
        return {"stock": stock}

    def _landed_decision(
        self, inbound: InboundShipment, received: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Freight, insurance, fees and the declaration's duty (import VAT is reclaimed, not a
        cost), in the inbound's currency at the ECB rates of the day (recorded), over the good
        units by its basis."""
        per_line = {(ln["sku"], ln.get("lot")): ln for ln in inbound.lines}
        lines = [
            {
                "sku": r["sku"],
                "lot": r["lot"],
                "units": r["quantity"],
                "unit_value": per_line[(r["sku"], r["lot"])]["unit_value"]
                if (r["sku"], r["lot"]) in per_line
                else str(self.reference.product(r["sku"]).unit_value),
                "value_currency": per_line[(r["sku"], r["lot"])]["value_currency"]
                if (r["sku"], r["lot"]) in per_line
                else self.reference.product(r["sku"]).currency,
                "unit_weight_kg": per_line.get((r["sku"], r["lot"]), {}).get(
                    "unit_weight_kg", str(Decimal(self.reference.product(r["sku"]).unit_weight_g) / 1000)
                ),
                "unit_volume_m3": per_line.get((r["sku"], r["lot"]), {}).get("unit_volume_m3", "0"),
            }
            for r in received
        ]  # fmt: skip
        costs = inbound.costs or {"freight": None, "insurance": None, "fees": []}
        customs = inbound.customs or {}
        # Duty is a cost of the goods; import VAT is not (a registered importer reclaims it).
        duty = customs.get("duty")
        on = self.store.clock.now().date()
        currencies = {ln["value_currency"] for ln in lines} | {inbound.currency}
        for m in [costs.get("freight"), costs.get("insurance"), duty, *costs.get("fees", [])]:
            if m:
                currencies.add(m["currency"])
        fx = {c: self.fx.rate(c, inbound.currency, on)[0] for c in currencies}
        return landed.decide(inbound.allocation_basis, inbound.currency, costs, duty, lines, fx)

    # ------------------------------------------------------------------ answers
    @staticmethod
    def summary(inbound: InboundShipment) -> dict[str, Any]:
        return {
            "inbound_id": inbound.inbound_id,
            "warehouse_id": inbound.warehouse_id,
            "origin": inbound.origin,
            "transfer": inbound.is_transfer,
            "mode": inbound.mode,
            "carrier": inbound.carrier,
            "reference": inbound.reference,
            "expected_arrival": inbound.expected_arrival,
            "arrivals": inbound.arrivals,
            "stage": inbound.stage,
            "stages": inbound.stages,
            "cartons": inbound.cartons,
            "allocation_basis": inbound.allocation_basis,
            "currency": inbound.currency,
            "customs": inbound.customs,
            "costs": inbound.costs,
            "discrepancies": inbound.discrepancies,
            "received": inbound.received,
            "landed_cost": inbound.landed_cost,
            "version": inbound.version,
        }


__all__ = ["BOOKED", "InboundUseCases", "transfer_key"]
