"""The stock side's part of a full day's story: an inbound still on the water (pre-sold in
part) and a transfer on its way to another warehouse, so the stock views' inbound and in-transit
tables hold rows when the day ends."""

from __future__ import annotations

from datetime import date
from typing import Any

SKU = "SKU-CHARGER-65W"


def stock_story(app: Any) -> None:
    app.store.retry(
        lambda t: app.warehouse.expect_inbound(
            t,
            "IB-STORY-SEA",
            "LAX",
            [{"sku": SKU, "quantity": 40, "lot": "SEA-7"}],
            date(2026, 12, 15),
        )
    )
    app.warehouse.receive_stock("FRA", SKU, 6, "story-transfer-stock", bin_code="A-01-01-1")

    def depart(touched: dict[Any, Any]) -> None:
        inv = app.warehouse._inventory(touched, "FRA", SKU)
        inv.reserve("transfer:TR-STORY", 4)
        inv.ship_out("transfer:TR-STORY", "transfer to BHX departed")
        touched[inv.id] = inv

    app.store.retry(depart)
