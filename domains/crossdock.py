"""Crossdock: the contexts' use cases over one event store, as built by the composition root
(adapters/bootstrap.py). Entry points (API, CLI, Kafka consumer, tests) hold one of these and
call `app.<context>.<use case>(...)`.

Who calls whom (no circle): reference <- rates <- orders <- customs <- transport, warehouse;
reference, orders <- settlement; reference, inbound <- planning;
reference, orders, warehouse, customs, rates <- inbound;
reference, orders <- receivables <- transport (an invoice is saved with its dispatch);
reference, orders, customs, warehouse, rates <- returns (and transport calls returns back
through its scan hook, set here by the composition root); orders <- claims;
settlement <- metrics (it reads the cost ledger). Each arrow is a
constructor argument, so mypy sees every call.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from domains.customs.application import CustomsUseCases
from domains.inbound.application import InboundUseCases
from domains.journey import JourneyQueries
from domains.metrics.application import MetricsUseCases
from domains.orders.application import OrderUseCases
from domains.planning.application import PlanningUseCases
from domains.ports import Clock, ReadSide
from domains.privacy.application import PrivacyUseCases
from domains.receivables.application import ReceivablesUseCases
from domains.reference.application import ReferenceUseCases
from domains.returns.application import ReturnsUseCases
from domains.returns.claims import ClaimUseCases
from domains.settlement.application import SettlementUseCases
from domains.store import Store
from domains.transport.application import TransportUseCases
from domains.transport.rates import RateBook
from domains.warehouse.application import WarehouseUseCases


@dataclass
class Crossdock:
    store: Store
    reference: ReferenceUseCases
    rates: RateBook
    orders: OrderUseCases
    customs: CustomsUseCases
    transport: TransportUseCases
    warehouse: WarehouseUseCases
    settlement: SettlementUseCases
    privacy: PrivacyUseCases
    inbound: InboundUseCases  # inbound shipments and transfers (domains/inbound/)
    receivables: ReceivablesUseCases  # dealer invoices, payments, ageing (domains/receivables/)
    journey: JourneyQueries  # where is order X: its shipments' journeys (domains/journey.py)
    returns: ReturnsUseCases  # returns (RMA) and their receiving (domains/returns/)
    claims: ClaimUseCases  # carrier claims (domains/returns/claims.py)
    planning: PlanningUseCases  # forecasts, replenishment suggestions (domains/planning/)
    metrics: MetricsUseCases  # logistics health metrics and their targets (domains/metrics/)
    views: ReadSide  # the views this process reads (projections/live.py), closed with the store

    # The store's parts that readers (projections, relay, tests) use directly.
    @property
    def recorder(self) -> Any:
        return self.store.recorder

    @property
    def mapper(self) -> Any:
        return self.store.mapper

    @property
    def repository(self) -> Any:
        return self.store.repository

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @property
    def env(self) -> Any:
        return self.store.env

    def max_notification_id(self) -> int:
        return self.store.max_notification_id()

    def warm_up(self, inventories: int = 10_000) -> dict[str, Any]:
        """Loads at start what the first orders would otherwise wait for (about 130 ms on the
        demo data): reference data, rate cards and today's lane costs between the warehouses'
        countries, up to `inventories` inventory streams, the dealers, and the split solver.
        Returns what was loaded and how long it took."""
        started = time.perf_counter()
        self.reference.current()
        loaded = self.orders.warm_up(inventories)
        return {"inventories": loaded, "ms": round((time.perf_counter() - started) * 1000, 1)}

    def close(self) -> None:
        self.privacy.keys.close()
        self.views.close()
        self.store.close()
