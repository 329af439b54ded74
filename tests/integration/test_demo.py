"""`make demo` end to end on a fresh SQLite store (as `crossdock demo` runs it, in a scratch
directory): a day of orders from every channel and the day's sea container from Shenzhen to Los
Angeles. What its summary shows must hold of what it stored: orders pre-sold against the
container converted at receipt, orders waiting for its SKUs released, a B2B import declaration
drafted and approved for SZX -> LAX, landed costs per unit, and no inventory or order holding
more reservations than it may."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from uuid import UUID

import pytest

from api.app import build_services
from domains.customs.model import InboundDeclaration
from domains.warehouse.model import Inventory
from scripts import demo
from scripts.demo_data import INBOUND_CARTONS, INBOUND_ID, PRESALE_CAPS
from scripts.demo_money import UNKNOWN_PAYER, invoices_by_dealer


def printed(out: str, label: str) -> str:
    """The value cell of the summary row whose measure starts with `label` (as printed)."""
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 2 and cells[0].startswith(label):
            return cells[1]
    raise AssertionError(f"no row {label!r} in the summary")


@pytest.fixture
def demo_store(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # var/ (API keys) in the scratch directory
    (tmp_path / "var").mkdir()
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.sqlite")
    monkeypatch.setenv("SQLITE_DBNAME", str(tmp_path / "var" / "crossdock.db"))
    monkeypatch.delenv("CROSSDOCK_API_KEYS_FILE", raising=False)
    return tmp_path


def test_the_demo_day_receives_the_szx_container_converts_presales_and_releases_backorders(
    demo_store, capsys
):
    summary = demo.run()
    out = capsys.readouterr().out
    inbound = summary["inbound"]

    # What the summary prints: the container, its declaration, pre-sales and backorders.
    assert f"Inbound {INBOUND_ID}" in out
    assert printed(out, "import declaration (B2B)") == "US_IMPORT / approved"
    assert printed(out, "duty") == f"{inbound['declaration']['duty']['amount']} USD"
    assert printed(out, "pre-sales converted") == str(inbound["presales_converted"])
    assert printed(out, "backorders released at receipt") == str(inbound["backorders_released"])
    assert printed(out, "still waiting") == str(inbound["still_waiting"])
    assert printed(out, "landed cost/unit SKU-DRONE-MINI").startswith(
        f"{inbound['landed_costs']['SKU-DRONE-MINI']} USD"
    )
    assert inbound["stage"] == "received"
    assert inbound["cartons"] == len(INBOUND_CARTONS)
    assert inbound["units_expected"] == sum(c[1] for c in INBOUND_CARTONS.values())
    assert inbound["short"] > 0 and inbound["damaged"] > 0
    assert (
        inbound["units_received"] + inbound["short"] + inbound["damaged"]
        == (inbound["units_expected"])
    )
    assert inbound["presold_units"]["SKU-DRONE-MINI"] > 0
    assert inbound["presales_converted"] > 0
    # Mostly US buyers: the pre-sold orders were converted at receipt, every one of them.
    assert max(inbound["presold_orders"], key=inbound["presold_orders"].get) == "US"
    assert sum(inbound["presold_orders"].values()) == inbound["presales_converted"]
    assert inbound["presales_backordered"] == 0  # the drones arrived whole
    assert inbound["backorders_released"] > 0
    assert inbound["waiting_before"] >= inbound["backorders_released"]
    transfer = inbound["transfer"]  # what LAX still waits for, moved from Shenzhen
    assert transfer["source"] == "SZX" and transfer["stage"] == "departed"
    assert transfer["units"] > 0 and transfer["orders"] > 0
    assert set(inbound["landed_costs"]) >= {"SKU-DRONE-MINI", "SKU-PHONE-CASE"}
    declared = inbound["declaration"]
    assert declared["status"] == "approved"
    assert Decimal(declared["duty"]["amount"]) > 0
    assert declared["import_vat"]["currency"] == "USD"
    # The other parts of the day still run.
    assert summary["by_status"]["allocated"] > 0
    assert summary["lanes"]["unserved"] == 0
    assert summary["warehouse"]["packed"] > 0
    assert summary["transport"]["dispatched"] > 0
    returned = summary["returns"]
    assert printed(out, "returns received") == f"1 ({returned['units']} units)"
    assert printed(out, "graded resellable") == "1"
    assert printed(out, "graded dispose") == str(returned["units"] - 1)
    assert printed(out, "refund reported to the channel") == returned["refund"]
    assert printed(out, f"claim against {returned['claim']['carrier']}") == (
        f"{returned['claim']['amount']} paid"
    )

    svc = build_services()
    try:
        app = svc.app
        # The declaration is a B2B import of this inbound, SZX (CN) -> LAX (US).
        d = app.customs.get_declaration(UUID(declared["id"]))
        assert isinstance(d, InboundDeclaration)
        stored = app.inbound.get(INBOUND_ID)
        assert stored.origin["country"] == "CN" and stored.warehouse_id == "LAX"
        assert stored.customs["declaration_id"] == declared["id"]
        assert stored.landed_cost is not None
        # Pre-sales per channel never went past their cap.
        assert inbound["presold_units"]["SKU-DRONE-MINI"] <= 2 * PRESALE_CAPS["SKU-DRONE-MINI"]
        # No inventory reserves more than it holds, nor pre-sells what is no longer coming;
        # no order holds more units of a SKU than it ordered.
        held: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for code in app.reference.current()["warehouses"]:
            for sku in app.reference.current()["products"]:
                inv = app.store.get_or_none(Inventory.create_id(code, sku))
                if inv is None:
                    continue
                assert 0 <= inv.reserved <= inv.on_hand, (code, sku)
                assert sum(inv.reservations.values()) == inv.reserved, (code, sku)
                assert INBOUND_ID not in inv.inbound, (code, sku)  # received: nothing pre-sold
                for key, units in inv.reservations.items():
                    held[key][sku] += units
        orders = 0
        for key, skus in held.items():
            if key.startswith("transfer:"):
                continue
            order = app.orders.get_order(UUID(key))
            ordered: dict[str, int] = defaultdict(int)
            for line in order.canonical["lines"]:
                ordered[line["sku"]] += line["quantity"]
            for sku, units in skus.items():
                assert units <= ordered[sku], (key, sku, units, ordered[sku])
            orders += 1
        assert orders > 0
        check_dealer_money(summary["receivables"], out, app)
        check_the_return_and_its_claim(app, returned)
    finally:
        svc.db.close()
        svc.app.close()


def check_dealer_money(money: dict, out: str, app) -> None:
    """The dealer-money table against what is stored: one invoice per dispatched dealer
    shipment, the statement's lines (one per invoiced dealer, up to two, and one nobody's),
    and the ageing 45 days on holding exactly what is still unpaid."""
    assert printed(out, "dealer invoices issued at dispatch") == str(money["invoices"])
    assert money["invoices"] == money["dispatched"] > 0
    invoices = invoices_by_dealer(app)
    assert sum(len(v) for v in invoices.values()) == money["invoices"]
    assert money["applied"] == min(2, len(invoices)) and money["unmatched"] == 1
    assert printed(out, "statement lines applied") == f"{money['applied']} / 1 / 0"
    waiting = app.receivables.unmatched_payments()
    assert [w["counterparty"] for w in waiting] == [UNKNOWN_PAYER]
    # The dealer with the most invoices paid its first in full, quoting its number.
    top = sorted(invoices, key=lambda d: (-len(invoices[d]), d))[0]
    assert invoices[top][0]["paid"] == invoices[top][0]["amount"]
    # Due 30 days after today's dispatch, 15 days late on the ageing day: all in 1-30.
    unpaid = {
        code: sum(Decimal(i["amount"]) - Decimal(i["paid"]) for i in items)
        for code, items in invoices.items()
    }
    for code, buckets in money["ageing"].items():
        assert Decimal(buckets["1-30"]) == unpaid[code]
        assert sum(Decimal(v) for v in buckets.values()) == unpaid[code]


def check_the_return_and_its_claim(app, returned):
    """The demo's return as stored: its refund is the order's line prices of every unit that
    came back, its one resellable unit is back in stock, and the carrier's credit is the
    price of the units disposed of."""
    ret = app.returns.get(returned["return_id"])
    order = app.orders.get_order(UUID(ret.order_id))
    price = {ln["sku"]: Decimal(ln["unit_price"]) for ln in order.canonical["lines"]}
    units = ret.units
    # No discount or tax on the demo's lines: a unit's refund is its price.
    expected = sum((price[u["sku"]] for u in units), Decimal(0))
    assert f"{expected:.2f} {order.canonical['currency']}" == returned["refund"]
    (back,) = [u for u in units if u["grade"] == "resellable"]
    inv = app.store.get_or_none(Inventory.create_id(ret.warehouse_id, back["sku"]))
    assert any(r.startswith(f"return:{ret.return_id}") for r in inv.receipts)
    claim = app.claims.get(returned["claim"]["id"])
    disposed = sum((price[u["sku"]] for u in units if u["grade"] == "dispose"), Decimal(0))
    assert Decimal(claim.paid["amount"]) == disposed
    entries = {e["kind"]: e for e in app.settlement.ledger_entries(ret.order_id)["items"]}
    assert Decimal(entries["claim_credit"]["amount"]) == -disposed
    assert Decimal(entries["return_handling"]["amount"]) == Decimal("0.80") * len(units)
