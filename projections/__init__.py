"""Read models built from the notification log."""

from projections.customs_views import DeclarationsView
from projections.db import ViewDB
from projections.finance_views import LabelsView
from projections.runner import ProjectionRunner, Projector
from projections.views import OrderListView, StockView
from projections.warehouse_views import LotsView, PickListsView, ShipmentsView


def spine_projectors() -> list[Projector]:
    return [
        OrderListView(),
        StockView(),
        LotsView(),
        ShipmentsView(),
        PickListsView(),
        DeclarationsView(),
        LabelsView(),
    ]


__all__ = [
    "OrderListView",
    "ProjectionRunner",
    "Projector",
    "StockView",
    "ViewDB",
    "spine_projectors",
]
