"""The demo's returns and claims (`make demo`): a delivered parcel comes back damaged, is
received and graded (one unit back to stock, the rest disposed of), the refund is reported and
the return's costs booked; grading the damaged units opens the carrier's claim by itself, which
is submitted in its claim file, accepted and paid (a credit in the ledger). Idempotent like
the rest of the demo."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.table import Table

from domains.common import InvalidTransition

RMA_REFERENCE = "demo-rma-1"


def _delivered_shipment(svc: Any) -> dict[str, Any] | None:
    """The smallest delivered shipment (then the first by id) with at least two units: one to
    restock, one damaged."""
    rows = svc.db.query(
        "SELECT order_id, shipment_no, lines FROM view_shipments WHERE status = 'delivered' "
        "ORDER BY shipment_id"
    )
    found = [{**r, "lines": json.loads(r["lines"])} for r in rows]
    found = [r for r in found if sum(ln["quantity"] for ln in r["lines"]) >= 2]
    return min(found, key=lambda r: sum(ln["quantity"] for ln in r["lines"]), default=None)


def returns_day(svc: Any, console: Console) -> dict[str, Any]:
    app = svc.app
    svc.runner.catch_up()
    row = _delivered_shipment(svc)
    if row is None:
        console.print("returns: no delivered parcel of two units or more today")
        return {"returns": 0}
    oid, n = UUID(row["order_id"]), row["shipment_no"]
    lines = [{"sku": ln["sku"], "quantity": ln["quantity"]} for ln in row["lines"]]
    ret, _ = app.returns.open_return(
        oid, lines, "seller", "operator", "demo", RMA_REFERENCE, "damaged", n
    )
    if ret["status"] == "opened":
        ret, _ = app.returns.buy_label(ret["id"])
    if ret["status"] == "labelled":
        units = [{"sku": ln["sku"], "grade": "dispose", "quantity": ln["quantity"]} for ln in lines]
        units[0]["quantity"] -= 1
        units.insert(0, {"sku": lines[0]["sku"], "grade": "resellable"})
        units = [u for u in units if u.get("quantity", 1) > 0]
        ret, _ = app.returns.receive(ret["id"], "demo-return-1", units, "demo")
    claim = app.claims.answer(app.claims.get(f"{oid}-S{n}-damaged"))  # opened at the receipt
    carrier = claim["carrier"]
    try:
        app.claims.submit(carrier, "demo")
        app.claims.decide(claim["id"], True, "demo")
        app.claims.pay(claim["id"], claim["amount"], "DEMO-CREDIT-1", "demo")
    except InvalidTransition:
        pass  # a second run: submitted and paid already
    claim = app.claims.answer(app.claims.get(claim["id"]))
    entries = app.settlement.ledger_entries(str(oid))
    grades = [u["grade"] for u in ret["units"]]
    summary = {
        "returns": 1,
        "return_id": ret["id"],
        "units": len(grades),
        "resellable": grades.count("resellable"),
        "disposed": grades.count("dispose"),
        "warehouse": ret["label"]["warehouse_id"],
        "refund": f"{ret['refund']['amount']} {ret['refund']['currency']}",
        "claim": {
            "id": claim["id"],
            "status": claim["status"],
            "carrier": carrier,
            "amount": f"{claim['amount']} {claim['currency']}",
        },  # fmt: skip
        "ledger_total": f"{entries['total_base']} {entries['base_currency']}",
    }
    t = Table(title="Returns and carrier claims")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("returns received", f"{summary['returns']} ({summary['units']} units)")
    t.add_row("graded resellable (back to stock)", f"{summary['resellable']}")
    t.add_row("graded dispose (damaged)", f"{summary['disposed']}")
    t.add_row("return received at", summary["warehouse"])
    t.add_row("refund reported to the channel", summary["refund"])
    t.add_row(f"claim against {carrier}", f"{summary['claim']['amount']} {claim['status']}")
    t.add_row("return costs less claim credit", summary["ledger_total"])
    console.print(t)
    return summary
