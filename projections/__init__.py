"""Read models built from the notification log, one module per context."""

from projections.customs_views import DeclarationsView
from projections.db import ViewDB
from projections.inbound_views import InboundView
from projections.orders_views import OrderListView, StockView
from projections.privacy_views import PrivacySubjectsView
from projections.returns_views import ReturnsView
from projections.runner import ProjectionRunner, Projector
from projections.transport_views import LabelsView, ShipmentsView
from projections.warehouse_views import LotsView, PickListsView


def spine_projectors() -> list[Projector]:
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
        ReturnsView(),
    ]


__all__ = [
    "OrderListView",
    "ProjectionRunner",
    "Projector",
    "StockView",
    "ViewDB",
    "spine_projectors",
]
