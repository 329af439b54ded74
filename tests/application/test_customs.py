"""Customs at the application level: declarations drafted at packing (duties, flags, the data
versions they cite), the review desk (approve, reject, amend with recomputed duties), the
dispatch gate, clearance, published rules and landed cost.

Shipments leave Shenzhen for Los Angeles: the US charges duty on the goods alone (FOB) from the
first dollar (its de minimis is suspended), at 5.3 % for plastic articles (HS 3926, the phone
case) and 4.9 % for earphones (HS 851830), with no VAT; orders are in USD, so no FX is involved.
"""

from __future__ import annotations

import json
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from adapters.customs.rules import shipped_files
from domains.common import InvalidTransition, NotFound, ValidationFailed
from domains.customs.tariff import CustomsLine, Money
from tests.application.builders import packed_order

PLASTICS, EARPHONES = Decimal("0.053"), Decimal("0.049")


def cents(amount: Decimal) -> str:
    return str(amount.quantize(Decimal("0.01")))


def declared(app, channel="web", quantity=4, price="7.50", external_id="C-1"):
    """Phone cases packed in Shenzhen for Los Angeles (a dealer order is DLR-US-01's);
    answers (order, declaration)."""
    o, packed = packed_order(
        app, "SZX", "SKU-PHONE-CASE", quantity, price, external_id=external_id, channel=channel
    )
    assert packed["declaration_id"] is not None
    return o, app.customs.get_declaration(UUID(packed["declaration_id"]))


def ready_to_dispatch(app, o):
    app.transport.choose_carrier(o.id, 1, None, {})
    app.transport.create_label(o.id, 1)


# ---------------------------------------------------------------------------- drafting
def test_a_clean_web_shipment_is_declared_with_its_duty_and_approved_at_packing(app):
    o, d = declared(app, quantity=4, price="7.50")
    assert (d.status, d.flags, d.incoterm) == ("approved", [], "DDP")
    # 4 x 7.50 = 30.00 USD of goods; duty 5.3 % = 1.59 USD; no VAT in the US.
    assert (d.duties["goods_value"], d.duties["duty"], d.duties["vat"]) == (
        "30.00", cents(Decimal("30.00") * PLASTICS), "0.00",
    )  # fmt: skip
    (declared_line,) = d.document["lines"]
    assert {k: declared_line[k] for k in ("hs_code", "quantity", "total_value", "net_weight_g")} == {
        "hs_code": "3926.90", "quantity": 4, "total_value": "30.00", "net_weight_g": 4 * 60,
    }  # fmt: skip
    assert d.versions["tariff"] == app.customs.tariffs.version
    assert app.customs.declaration_for(o.id, 1).id == d.id


def test_a_domestic_shipment_needs_no_declaration(app):
    o, packed = packed_order(app, "LAX", "SKU-PHONE-CASE", 2, "7.50")
    assert packed["declaration_id"] is None and app.customs.declaration_for(o.id, 1) is None
    ready_to_dispatch(app, o)
    assert app.transport.dispatch(o.id, 1)[0]["order_status"] == "dispatched"


def test_a_price_far_from_the_catalogue_is_flagged_and_waits_for_review(app):
    _, d = declared(app, price="10.00")
    # The catalogue lists the phone case at 6.90 USD: 10.00 is (10.00 - 6.90) / 6.90 = 44.9 %
    # above it, beyond the 30 % allowed.
    assert d.status == "pending_review"
    assert [(f["code"], f["field"]) for f in d.flags] == [
        ("value_deviation", "lines[0].unit_value")
    ]
    assert "44.9%" in d.flags[0]["explanation"]


def test_a_dealer_shipment_waits_for_a_reviewer_even_without_flags(app):
    _, d = declared(app, channel="dealer")
    assert (d.status, d.flags, d.incoterm) == ("pending_review", [], "DAP")


# ---------------------------------------------------------------------------- dispatch gate
def test_dispatch_of_a_cross_border_shipment_waits_for_an_approved_declaration(app):
    o, d = declared(app, channel="dealer")
    ready_to_dispatch(app, o)
    with pytest.raises(InvalidTransition, match="declaration is pending_review"):
        app.transport.dispatch(o.id, 1)
    assert app.orders.get_order(o.id).shipment_status(1) == "labelled"
    app.customs.approve_declaration(d.id, "customs-1", "checked")
    assert app.transport.dispatch(o.id, 1)[0]["order_status"] == "dispatched"


# ---------------------------------------------------------------------------- review desk
def test_amending_a_line_recomputes_duties_before_recording(app):
    _, d = declared(app, quantity=4, price="7.50")
    amended, _ = app.customs.amend_declaration(
        d.id, "customs-1", "invoice shows 5.00", [{"line_no": 1, "unit_value": "5.00"}]
    )
    # 4 x 5.00 = 20.00 USD; duty 5.3 % = 1.06 USD (it was 1.59 on 30.00).
    assert amended.document["lines"][0]["total_value"] == "20.00"
    assert amended.duties["duty"] == cents(Decimal("20.00") * PLASTICS)
    assert amended.status == "pending_review"  # an amended declaration is reviewed again
    assert amended.reviews[-1] == {
        "action": "amend", "by": "customs-1", "reason": "invoice shows 5.00",
        "changes": [{"line_no": 1, "unit_value": "5.00"}],
    }  # fmt: skip
    assert app.customs.get_declaration(d.id).duties["duty"] == amended.duties["duty"]


def test_amending_the_hs_code_charges_the_new_codes_rate(app):
    _, d = declared(app, quantity=4, price="7.50")
    amended, _ = app.customs.amend_declaration(
        d.id, "customs-1", "they are earphones", [{"line_no": 1, "hs_code": "8518.30"}]
    )
    # 30.00 USD at 4.9 % = 1.47 USD
    assert amended.duties["duty"] == cents(Decimal("30.00") * EARPHONES)
    assert amended.duties["lines"][0]["rate_source"] == "851830"


def test_amending_a_lines_quantity_declares_that_quantitys_weight(app):
    _, d = declared(app, quantity=4, price="7.50")
    amended, _ = app.customs.amend_declaration(
        d.id, "customs-1", "one was left out", [{"line_no": 1, "quantity": 3}]
    )
    assert amended.document["lines"][0]["total_value"] == "22.50"  # 3 x 7.50
    assert amended.document["lines"][0]["net_weight_g"] == 3 * 60
    assert amended.document["gross_weight_g"] == 3 * 60


def test_an_amendment_with_a_quantity_or_value_that_is_no_number_is_refused_naming_it(app):
    _, d = declared(app)
    changes = [{"line_no": 1, "quantity": "three"}, {"line_no": 1, "unit_value": "cheap"}]
    with pytest.raises(ValidationFailed) as refused:
        app.customs.amend_declaration(d.id, "customs-1", "fix", changes)
    assert [e["loc"] for e in refused.value.errors] == [
        "changes[0].quantity",
        "changes[1].unit_value",
    ]
    assert app.customs.get_declaration(d.id).version == d.version  # nothing recorded


def test_an_amendment_naming_a_missing_line_or_a_fixed_field_is_refused_naming_each(app):
    _, d = declared(app)
    changes = [{"line_no": 9, "hs_code": "8518.30"}, {"line_no": 1, "sku": "SKU-OTHER"}]
    with pytest.raises(ValidationFailed) as refused:
        app.customs.amend_declaration(d.id, "customs-1", "fix", changes)
    assert [e["loc"] for e in refused.value.errors] == ["changes[0].line_no", "changes[1].sku"]
    assert app.customs.get_declaration(d.id).version == d.version  # nothing recorded


def test_a_review_needs_a_reason_and_applies_to_a_pending_declaration_only(app):
    _, d = declared(app, channel="dealer")
    with pytest.raises(InvalidTransition, match="a rejection needs a reason"):
        app.customs.reject_declaration(d.id, "customs-1", "  ")
    with pytest.raises(InvalidTransition, match="an amendment needs a reason"):
        app.customs.amend_declaration(d.id, "customs-1", "", [{"line_no": 1, "quantity": 3}])
    rejected, _ = app.customs.reject_declaration(d.id, "customs-1", "undervalued")
    assert rejected.status == "rejected"
    with pytest.raises(InvalidTransition, match="only one pending review is"):
        app.customs.approve_declaration(d.id, "customs-1", "second thoughts")
    with pytest.raises(InvalidTransition, match="a rejected declaration is not amended"):
        app.customs.amend_declaration(d.id, "customs-1", "fix", [{"line_no": 1, "quantity": 3}])


def test_an_unknown_declaration_is_not_found(app):
    nobody = uuid4()
    with pytest.raises(NotFound) as missing:
        app.customs.approve_declaration(nobody, "customs-1", "ok")
    assert (missing.value.kind, missing.value.key) == ("declaration", str(nobody))


# ---------------------------------------------------------------------------- clearance
def test_clearance_is_recorded_at_the_clocks_time_for_an_approved_declaration_only(app, clock):
    _, pending = declared(app, channel="dealer", external_id="C-1")
    with pytest.raises(InvalidTransition, match="only an approved declaration goes to customs"):
        app.customs.update_clearance(pending.id, "submitted", None, "broker")
    _, d = declared(app, external_id="C-2")
    with pytest.raises(InvalidTransition, match="clearance status is one of"):
        app.customs.update_clearance(d.id, "lost", None, "broker")
    app.customs.update_clearance(d.id, "submitted", None, "broker")
    clock.advance(hours=30)
    held, _ = app.customs.update_clearance(d.id, "held", "documents check", "broker")
    assert held.clearance_status == "held"
    assert held.clearance[-1] == {
        "status": "held", "reason": "documents check", "at": clock.now().isoformat(),
        "source": "broker",
    }  # fmt: skip


def test_a_declaration_with_customs_already_is_no_longer_amended(app):
    _, d = declared(app)
    app.customs.update_clearance(d.id, "submitted", None, "broker")
    with pytest.raises(InvalidTransition, match="with customs already"):
        app.customs.amend_declaration(
            d.id, "customs-1", "late fix", [{"line_no": 1, "quantity": 3}]
        )


# ---------------------------------------------------------------------------- rules
def test_rules_that_do_not_load_are_refused_whole_and_nothing_changes(app):
    version = app.customs.tariffs.version
    with pytest.raises(ValidationFailed) as refused:
        app.customs.publish_customs_rules({"markets.json": "{not json"}, "customs-1", "oops")
    assert [e["loc"] for e in refused.value.errors] == ["rules"]
    assert app.customs.tariffs.version == version


def test_a_newly_prohibited_good_flags_the_next_declaration_which_cites_the_new_rules(app):
    _, before = declared(app, external_id="C-1")
    restricted = json.loads(shipped_files()["restricted_goods.json"])
    ban = {"hs_prefix": "3926", "category": "plastics", "reason": "test ban", "level": "prohibited"}
    restricted["rules"]["US"] = [*restricted["rules"].get("US", []), ban]
    published, _ = app.customs.publish_customs_rules(
        {"restricted_goods.json": json.dumps(restricted)}, "customs-1", "ban plastics to the US"
    )
    assert published["changed"] and published["version"] != before.versions["tariff"]
    _, after = declared(app, external_id="C-2")
    assert after.versions["tariff"] == published["version"] and after.status == "pending_review"
    assert [(f["code"], f["inputs"]["hs_prefix"]) for f in after.flags] == [("prohibited", "3926")]
    assert app.customs.get_declaration(before.id).versions == before.versions  # kept its own


def test_a_landed_cost_quote_adds_duty_on_the_goods_to_goods_and_freight(app, clock):
    quote = app.customs.landed_cost_quote(
        [CustomsLine("3926.90", Decimal("30.00"), "USD", 4, "Silicone phone case", "CN")],
        Money(Decimal("12.00"), "USD"),
        "US",
        "DDP",
        "USD",
        clock.now().date(),
    )
    duty = Decimal(cents(Decimal("30.00") * PLASTICS))  # FOB: freight is not dutiable in the US
    assert Decimal(quote["duty"]) == duty
    assert Decimal(quote["total"]) == Decimal("30.00") + Decimal("12.00") + duty
    assert sum(Decimal(i["amount"]) for i in quote["items"]) == Decimal(quote["total"])
