"""Read models built from the notification log, one module per context."""

from domains.journey import tracking_tokens
from domains.privacy.sealing import PersonalData
from projections.customs_views import DeclarationsView
from projections.db import ViewDB
from projections.inbound_views import InboundView
from projections.journey_views import JourneyView
from projections.metrics_views import MetricsView
from projections.orders_views import OrderListView, StockView
from projections.planning_views import (
    LotReceiptsView,
    ReplenishmentView,
    SlowMoverSuggestionView,
)
from projections.privacy_views import OrderSearchView, PrivacySubjectsView
from projections.returns_views import ReturnsView
from projections.runner import ProjectionRunner, Projector
from projections.settlement_views import BillsView
from projections.transport_views import LabelsView, ShipmentsView
from projections.warehouse_views import LotsView, PickListsView


def spine_projectors(personal: PersonalData | None = None) -> list[Projector]:
    """Every view; with `personal` (the running application's keys) also the ones keyed
    with its secrets: the customer search index and the buyers' tracking tokens."""
    keyed: list[Projector] = [OrderSearchView(personal)] if personal is not None else []
    return [
        OrderListView(),
        StockView(),
        LotsView(),
        ShipmentsView(),
        PickListsView(),
        DeclarationsView(),
        LabelsView(),
        PrivacySubjectsView(),
        InboundView(),
        JourneyView(tracking_tokens(personal.keys if personal is not None else None)),
        *keyed,
        ReturnsView(),
        ReplenishmentView(),
        SlowMoverSuggestionView(),
        LotReceiptsView(),
        MetricsView(),
        BillsView(),
    ]


__all__ = [
    "OrderListView",
    "ProjectionRunner",
    "Projector",
    "StockView",
    "ViewDB",
    "spine_projectors",
]
