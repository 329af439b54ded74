"""The returns side of a full day's story, through the use cases (domains/returns/): a delivered
shipment comes back (opened, labelled, received and graded), and the unit that arrived damaged
opens the carrier's damage claim, which is submitted, accepted and paid. So the return, return
line, claim and ledger views (projections/returns_views.py) hold rows when the day ends: the
return's handling and label costs and the claim's credit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domains.crossdock import Crossdock
from domains.orders.lifecycle import DELIVERED


def delivered_shipment(app: Crossdock, order_ids: list[str]) -> tuple[UUID, int, str, int]:
    """The first delivered shipment (in the orders' given order) carrying 2 or more units of
    one SKU: (order id, shipment no, SKU, units)."""
    for oid in order_ids:
        order = app.orders.get_order(UUID(oid))
        for no, entry in sorted(order.fulfilment.items(), key=lambda kv: int(kv[0])):
            if entry.get("status") != DELIVERED:
                continue
            for ln in order.shipment(int(no))["lines"]:
                if ln["quantity"] >= 2:
                    return order.id, int(no), ln["sku"], ln["quantity"]
    raise AssertionError("the story delivered no shipment with 2 units of one SKU")


def returns_story(app: Crossdock, order_ids: list[str]) -> dict[str, Any]:
    """Two units of a delivered shipment come back damaged, the seller paying the label: one
    graded resellable (back to stock), one dispose (claimed from the carrier, who pays)."""
    order_id, shipment_no, sku, _ = delivered_shipment(app, order_ids)
    lines = [{"sku": sku, "quantity": 2, "reason": "damaged"}]
    opened, _ = app.returns.open_return(
        order_id, lines, "seller", "operator", "ops-story", "RMA-STORY-1",
        shipment_no=shipment_no,
    )  # fmt: skip
    labelled, _ = app.returns.buy_label(opened["id"])
    units = [{"sku": sku, "grade": "resellable"}, {"sku": sku, "grade": "dispose"}]
    received, _ = app.returns.receive(opened["id"], "RCPT-STORY-1", units, "ann")
    claim_id = received["claim_id"]
    assert claim_id is not None, received  # the damaged unit opened the carrier's claim
    claim = app.claims.get(claim_id)
    app.claims.submit(claim.carrier, "finance-story")
    app.claims.decide(claim_id, True, "finance-story")
    paid, _ = app.claims.pay(claim_id, claim.amount, "CR-STORY-1", "finance-story")
    return {"return": received, "label": labelled["label"], "claim": paid}
