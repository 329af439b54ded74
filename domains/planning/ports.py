"""What planning calls and others implement: the demand history, the seasonal model (a
statsmodels fit, adapters/planning/forecaster.py) and the stock and sales reads (views)."""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol


class DemandHistory(Protocol):
    """Daily units sold per (warehouse, SKU)."""

    version: str

    def pairs(self) -> list[tuple[str, str]]:
        """The (warehouse, SKU) pairs that have any history."""
        ...

    def daily(self, warehouse: str, sku: str, end: date, days: int) -> list[float]:
        """Units per day for the `days` days up to and including `end`, zero days included."""
        ...


class SeasonalModel(Protocol):
    """A daily model with weekly and yearly seasonality and known peaks."""

    name: str
    version: str

    def fit_predict(
        self, history: list[float], end: date, horizon: int, country: str
    ) -> tuple[list[float], dict[str, Any]]:
        """The `horizon` days after `end` (history ends on `end`), and the fitted parameters."""
        ...


class PlanningReads(Protocol):
    """The views planning reads (projections/planning_views.py)."""

    def stock(self, warehouse: str | None = None) -> list[dict[str, Any]]:
        """warehouse_id, sku, on_hand, reserved, inbound (units expected), reserved_inbound."""
        ...

    def lots(self, warehouse: str | None = None) -> list[dict[str, Any]]:
        """Lots on hand: warehouse_id, sku, lot, on_hand, received_on (ISO date)."""
        ...

    def suggestions(self, status: str | None = None) -> list[dict[str, Any]]:
        """Replenishment suggestions, newest first."""
        ...

    def slow_mover_suggestions(
        self, status: str | None = None, warehouse: str | None = None
    ) -> list[dict[str, Any]]:
        """Recorded slow-mover suggestions, newest first."""
        ...

    def order_lines(self) -> list[dict[str, Any]]:
        """order_id, sku of the recorded orders (for co-purchase rules)."""
        ...
