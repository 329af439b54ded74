"""Read models built from the notification log."""

from projections.db import ViewDB
from projections.runner import ProjectionRunner, Projector
from projections.views import OrderListView, StockView


def spine_projectors() -> list[Projector]:
    return [OrderListView(), StockView()]


__all__ = [
    "OrderListView",
    "ProjectionRunner",
    "Projector",
    "StockView",
    "ViewDB",
    "spine_projectors",
]
