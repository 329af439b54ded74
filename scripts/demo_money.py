"""The demo's dealer money: one LAX cart holding dealer shipments picked, packed and
dispatched (each dealer shipment is invoiced at dispatch), a bank statement paying
some of them (one line by invoice number, one by the dealer's name, one nobody's), the
dealer orders it freed credit for, and the ageing a month and a half on. Safe to run twice:
the second run's statement lines are recognised as already recorded."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.table import Table

from domains.common import InvalidTransition
from domains.receivables.model import DealerAccount

console = Console()
UNKNOWN_PAYER = "Unknown Trading Co"


def dispatch_a_dealer_cart(svc: Any) -> int:
    """Picks the open LAX cart with the most dealer shipments, packs and dispatches those
    (the day's other carts are the warehouse's business). Answers how many were dispatched."""
    app, db = svc.app, svc.db
    svc.runner.catch_up()
    carts = db.query(
        "SELECT pick_list_id, COUNT(*) AS n FROM view_shipments WHERE warehouse_id = 'LAX' "
        "AND channel = 'dealer' AND status = 'waved' GROUP BY pick_list_id "
        "ORDER BY n DESC, pick_list_id LIMIT 1"
    )
    if not carts:
        return 0
    cart = UUID(carts[0]["pick_list_id"])
    task = app.warehouse.next_task("LAX", "demo-dealer-picker", [cart])
    step = 0
    while task is not None and (line := app.warehouse.get_pick_list(cart, "LAX").next_line()):
        step += 1
        where = (line["bin"], line["sku"], line["lot"], line["quantity"])
        app.warehouse.scan(cart, "LAX", "demo-dealer-picker", f"{cart}-d{step}", *where)
    svc.runner.catch_up()
    shipped = 0
    for r in db.query(
        "SELECT order_id, shipment_no FROM view_shipments WHERE pick_list_id = ? "
        "AND channel = 'dealer' AND status = 'picked'",
        (str(cart),),
    ):
        oid, n = UUID(r["order_id"]), r["shipment_no"]
        picked = app.orders.get_order(oid).picked_quantities(n)
        items = [{"sku": k, "quantity": q} for k, q in picked.items()]
        grams = sum(app.reference.product(k).unit_weight_g * q for k, q in picked.items())
        box = {"weight_g": grams + 1, "dimensions_mm": [300, 200, 150], "items": items}
        app.warehouse.pack_shipment(oid, n, [box], "demo-packer", "LAX")
        app.transport.choose_carrier(oid, n, None, {})
        app.transport.create_label(oid, n)
        try:
            app.transport.dispatch(oid, n)
        except InvalidTransition:
            continue  # crossing a border: its declaration waits for the customs desk
        shipped += 1
    return shipped


def invoices_by_dealer(app: Any) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for code in sorted(app.reference.current()["dealers"]):
        account = app.store.get_or_none(DealerAccount.create_id(code))
        if account is not None and account.invoices:
            out[code] = sorted(account.invoices.values(), key=lambda i: i["number"])
    return out


def bank_statement(app: Any, invoices: dict[str, list[dict[str, Any]]], day: str) -> bytes:
    """A German-style export (semicolons, decimal commas): the dealer with the most invoices
    pays its first in full quoting the number; the next pays half its first by name only."""
    rows = ["Buchungstag;Betrag;Waehrung;Verwendungszweck;Auftraggeber;IBAN"]
    ranked = sorted(invoices, key=lambda d: (-len(invoices[d]), d))
    for n, code in enumerate(ranked[:2]):
        first = invoices[code][0]
        dealer = app.reference.get_dealer(code)
        amount = Decimal(first["amount"]) if n == 0 else Decimal(first["amount"]) / 2
        text = f"Zahlung {first['number']}" if n == 0 else "Wareneingang November"
        comma = f"{amount:.2f}".replace(".", ",")
        rows.append(f"{day};{comma};{dealer.currency};{text};{dealer.name};")
    rows.append(f"{day};99,00;EUR;Bestellung 4471;{UNKNOWN_PAYER};")
    return ("\n".join(rows) + "\n").encode()


def dealer_money(svc: Any) -> dict[str, Any]:
    app = svc.app
    today = app.clock.now().date()
    dispatched = dispatch_a_dealer_cart(svc)
    invoices = invoices_by_dealer(app)
    issued = sum(len(v) for v in invoices.values())
    answer: dict[str, Any] = {"applied": 0, "unmatched": 0, "repeats": 0, "released": {}}
    if invoices:
        data = bank_statement(app, invoices, today.strftime("%d.%m.%Y"))
        answer, _ = app.receivables.record_statement(data, "demo")
    released = sum(len(r.get("allocated", [])) for r in answer["released"].values())
    as_of = today + timedelta(days=45)
    ageing = app.receivables.ageing(as_of)
    t = Table(title="Dealer money")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("dealer shipments dispatched (one LAX cart)", f"{dispatched}")
    t.add_row("dealer invoices issued at dispatch", f"{issued}")
    for code, items in invoices.items():
        total = sum((Decimal(i["amount"]) for i in items), Decimal("0"))
        t.add_row(f"  {code}", f"{len(items)} for {total} {items[0]['currency']}")
    t.add_row(
        "statement lines applied / unmatched / already recorded",
        f"{answer['applied']} / {answer['unmatched']} / {answer['repeats']}",
    )
    t.add_row("held dealer orders allocated after payment", f"{released}")
    for d in ageing["dealers"]:
        late = {k: v for k, v in d["buckets"].items() if Decimal(v)}
        shown = ", ".join(f"{k}: {v}" for k, v in late.items()) or "nothing unpaid"
        t.add_row(f"unpaid {d['dealer_id']} as of {as_of}", f"{shown} {d['currency']}")
    console.print(t)
    return {
        "dispatched": dispatched,
        "invoices": issued,
        "applied": answer["applied"],
        "unmatched": answer["unmatched"],
        "repeats": answer["repeats"],
        "released": released,
        "ageing_as_of": as_of.isoformat(),
        "ageing": {d["dealer_id"]: d["buckets"] for d in ageing["dealers"]},
    }
