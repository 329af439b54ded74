"""The cost ledger and the customs rule agree: a DDP shipment's duty and VAT in the ledger are
its declaration's, and a shipment inside one customs territory (no declaration) costs no duty
or import VAT, as its landed-cost quote said. On each store (the ledger reads the views)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from tests.application.test_customs_borders import pack


def test_the_cost_ledger_charges_the_declarations_duty_and_nothing_inside_a_territory(app):
    """The cost ledger's duty and VAT for a DDP shipment are the declaration's (no border, no
    declaration: zero), so the ledger never disagrees with the declaration or the quote."""
    o_out, packed = pack(app, "SZX", "US", "90001", "USD", ext="L-OUT")
    o_in, _ = pack(app, "LAX", "US", "90001", "USD", ext="L-IN")
    d = app.customs.get_declaration(UUID(packed["declaration_id"]))
    for o in (o_in, o_out):
        app.transport.choose_carrier(o.id, 1, None, {})
        app.transport.create_label(o.id, 1)
    rows = {r["order_id"]: r for r in app.settlement.cost_ledger()}
    inside, outside = rows[str(o_in.id)], rows[str(o_out.id)]
    assert Decimal(inside["duty"]) == Decimal(inside["import_vat"]) == 0
    # 2 x 7.50 = 15.00 USD of phone cases at 5.3% = 0.795 -> 0.80 USD (FOB), no US VAT
    assert Decimal(outside["duty"]) == Decimal(d.duties["duty"]) == Decimal("0.80")
    assert Decimal(outside["import_vat"]) == Decimal(d.duties["vat"]) == 0
