"""What the buyer pays, read from each channel's native sample: the parts add up to the channel's
total (worked out in the comments from the sample's own numbers), a total the parts do not reach
is kept and the gap recorded, and Amazon's SP-API responses are taken as Amazon returns them."""

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.orders.channels import PayloadError, map_payload, native_sample, parse_dealer_csv
from domains.orders.amounts import order_total
from domains.orders.intake import Intake

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def amounts(channel: str, payload) -> dict:
    return map_payload(channel, payload).canonical["amounts"]


def errors_of(channel: str, payload) -> dict[str, str]:
    with pytest.raises(PayloadError) as info:
        map_payload(channel, payload)
    return {e.loc: e.msg for e in info.value.errors}


def adds_up(a: dict) -> bool:
    """The amounts formula, on the mapped strings."""
    d = {k: Decimal(v) for k, v in a.items() if k not in ("tax_included", "mismatch")}
    computed = (
        d["items_subtotal"]
        - d["items_discount"]
        + d["shipping"]
        - d["shipping_discount"]
        + (0 if a["tax_included"] else d["tax"])
        + d["fees"]
    )
    return computed == d["total"] and a["mismatch"] is None


# --- Amazon -------------------------------------------------------------------------------


def test_amazon_uk_responses_side_by_side_add_up_with_vat_inside_the_prices():
    a = amounts("amazon", native_sample("amazon"))
    # Amazon.co.uk (A1F83G8C2ARO7P): prices include VAT.
    # items 15.00 + 9.99 = 24.99; promotion 1.50; shipping 3.99
    # total 24.99 - 1.50 + 3.99 = 27.48 = OrderTotal
    # tax (inside): ItemTax 2.50 + 1.67 + ShippingTax 0.67 - PromotionDiscountTax 0.25 = 4.59
    assert (a["items_subtotal"], a["items_discount"], a["shipping"]) == ("24.99", "1.50", "3.99")
    assert (a["tax"], a["tax_included"], a["total"]) == ("4.59", True, "27.48")
    assert adds_up(a)


def test_amazon_us_sample_adds_sales_tax_on_top():
    a = amounts("amazon", load("amazon_order.json"))
    # Amazon.com: 25.00 + 29.97 = 54.97 of items, ItemTax 1.83 + 2.58 = 4.41 added: 59.38
    assert (a["items_subtotal"], a["tax"], a["tax_included"]) == ("54.97", "4.41", False)
    assert a["total"] == "59.38" and adds_up(a)


def test_amazon_line_discount_and_tax_come_from_its_promotion_and_item_tax():
    lines = map_payload("amazon", native_sample("amazon")).canonical["lines"]
    # the tea: PromotionDiscount 1.50; ItemTax 2.50 less the promotion's tax 0.25 = 2.25
    assert (lines[0]["discount"], lines[0]["tax"]) == ("1.50", "2.25")
    assert (lines[1]["discount"], lines[1]["tax"]) == ("0.00", "1.67")


def unwrapped(responses: dict) -> dict:
    return {"order": responses["order"]["payload"], "items": responses["items"]["payload"]}


def test_amazon_takes_the_responses_with_or_without_their_payload_wrappers():
    responses = native_sample("amazon")
    order = responses["order"]["payload"]
    items = responses["items"]["payload"]["OrderItems"]
    expected = map_payload("amazon", responses)
    assert map_payload("amazon", unwrapped(responses)) == expected
    # the Order object with its OrderItems, bare or in a getOrder payload, and the older shape
    assert map_payload("amazon", {**order, "OrderItems": items}) == expected
    assert map_payload("amazon", {"payload": {**order, "OrderItems": items}}) == expected
    assert map_payload("amazon", {"Order": order, "OrderItems": items}) == expected


def test_amazon_wrong_shape_names_the_shapes_it_takes():
    getorder_only = native_sample("amazon")["order"]["payload"]
    del getorder_only["AmazonOrderId"]
    errors = errors_of("amazon", {"orders": [getorder_only]})
    assert set(errors) == {"$"}
    for shape in ('"OrderItems"', '{"order": <getOrder response>', "<getOrderItems response>"):
        assert shape in errors["$"]


def test_amazon_getorder_response_alone_says_the_items_are_missing_and_where_they_go():
    errors = errors_of("amazon", native_sample("amazon")["order"])
    assert set(errors) == {"OrderItems"}
    assert "missing the order's items" in errors["OrderItems"]
    assert "<getOrderItems response>" in errors["OrderItems"]


def test_amazon_side_by_side_without_the_items_response_says_what_is_missing():
    responses = native_sample("amazon")
    del responses["items"]
    errors = errors_of("amazon", responses)
    assert set(errors) == {"items"}
    assert "getOrderItems response" in errors["items"] and "got nothing" in errors["items"]


def test_amazon_items_of_another_order_are_refused():
    responses = native_sample("amazon")
    responses["items"]["payload"]["AmazonOrderId"] = "203-0000000-0000000"
    errors = errors_of("amazon", responses)
    assert "203-0000000-0000000" in errors["items.AmazonOrderId"]


def test_amazon_response_errors_are_reported():
    responses = native_sample("amazon")
    responses["items"]["errors"] = [{"code": "InvalidInput", "message": "Invalid order id"}]
    assert errors_of("amazon", responses) == {
        "items.errors": "Amazon SP-API error: InvalidInput: Invalid order id"
    }


def test_amazon_cancelled_order_and_its_marketplace():
    responses = native_sample("amazon")
    responses["order"]["payload"]["OrderStatus"] = "Canceled"
    responses["items"]["payload"]["OrderItems"][0]["BuyerRequestedCancel"] = {
        "IsBuyerRequestedCancel": "true",
        "BuyerCancelReason": "Ordered by mistake",
    }
    canonical = map_payload("amazon", responses).canonical
    assert canonical["cancelled"] == {"at": None, "reason": "Ordered by mistake"}
    assert canonical["marketplace_id"] == "A1F83G8C2ARO7P"


# --- Shopify ------------------------------------------------------------------------------


def test_shopify_discounts_shipping_and_tax_add_up_to_total_price():
    a = amounts("shopify", native_sample("shopify"))
    # line items 2 x 12.50 + 9.99 = 34.99 (total_line_items_price); discount_allocations
    # 2.50 + 1.00 = 3.50; shipping line 6.00 discounted to 3.00; tax 2.28 on top (US):
    # 34.99 - 3.50 + 6.00 - 3.00 + 2.28 = 36.77 = total_price
    assert (a["items_subtotal"], a["items_discount"]) == ("34.99", "3.50")
    assert (a["shipping"], a["shipping_discount"], a["tax"]) == ("6.00", "3.00", "2.28")
    assert a["total"] == "36.77" and not a["tax_included"] and adds_up(a)


def test_shopify_vat_inclusive_sample_adds_up():
    a = amounts("shopify", load("shopify_order.json"))
    # 6 x 14.90 + 8.50 = 97.90, shipping 5.90: 103.80 = total_price; VAT 17.30 inside
    assert (a["items_subtotal"], a["shipping"], a["total"]) == ("97.90", "5.90", "103.80")
    assert a["tax_included"] and a["tax"] == "17.30" and adds_up(a)


def test_shopify_line_discounts_and_taxes():
    lines = map_payload("shopify", native_sample("shopify")).canonical["lines"]
    assert [(ln["discount"], ln["tax"]) for ln in lines] == [("2.50", "1.63"), ("1.00", "0.65")]


def test_shopify_cancellation_is_read_in_utc():
    payload = native_sample("shopify")
    payload["order"].update(cancelled_at="2026-11-20T08:00:00-08:00", cancel_reason="customer")
    cancelled = map_payload("shopify", payload).canonical["cancelled"]
    assert cancelled == {"at": "2026-11-20T16:00:00+00:00", "reason": "customer"}


# --- Shopee -------------------------------------------------------------------------------


def test_shopee_total_the_parts_do_not_reach_is_kept_and_the_gap_recorded():
    a = amounts("shopee", load("shopee_order.json"))
    # items 3 x 29.90 + 19.00 = 108.70, estimated shipping 4.90: 113.60; the buyer paid
    # total_amount 113.90 (the shipping actually charged is only in get_escrow_detail)
    assert a["total"] == "113.90"
    assert a["mismatch"] == {
        "reported_total": "113.90",
        "computed_total": "113.60",
        "difference": "0.30",
    }


def test_shopee_adds_up_when_the_estimated_fee_is_what_the_buyer_paid():
    payload = load("shopee_order.json")
    order = payload["response"]["order_list"][0]
    order["estimated_shipping_fee"] = 5.2  # 108.70 + 5.20 = 113.90 = total_amount
    a = amounts("shopee", payload)
    assert (a["shipping"], a["total"]) == ("5.20", "113.90") and adds_up(a)


def test_shopee_cancellation_and_shop():
    payload = load("shopee_order.json")
    payload["shop_id"] = 601234567
    order = payload["response"]["order_list"][0]
    order.update(order_status="IN_CANCEL", buyer_cancel_reason="Change of mind")
    canonical = map_payload("shopee", payload).canonical
    assert canonical["cancelled"] == {"at": None, "reason": "Change of mind"}
    assert canonical["marketplace_id"] == "601234567"


# --- TikTok Shop --------------------------------------------------------------------------


def test_tiktok_units_are_grouped_by_seller_sku():
    lines = map_payload("tiktok", native_sample("tiktok")).canonical["lines"]
    # three line_items: two units of the tea at 12.99, one phone case at 8.99; the tea's tax is
    # its units' item_tax, 0.94 + 0.94
    assert lines == [
        {"sku": "SKU-TEA-001", "quantity": 2, "unit_price": "12.99", "tax": "1.88", "discount": "0.00"},
        {"sku": "SKU-PHONE-CASE", "quantity": 1, "unit_price": "8.99", "tax": "0.66", "discount": "0.00"},
    ]  # fmt: skip


def test_tiktok_amounts_add_up_to_total_amount():
    a = amounts("tiktok", native_sample("tiktok"))
    # sale prices 12.99 + 12.99 + 8.99 = 34.97 (payment.sub_total); shipping 5.99 less TikTok's
    # 2.00 discount (shipping_fee 3.99); US sales tax 2.54 on top: 34.97 + 3.99 + 2.54 = 41.50
    assert (a["items_subtotal"], a["shipping"], a["shipping_discount"]) == ("34.97", "5.99", "2.00")
    assert (a["tax"], a["tax_included"], a["total"]) == ("2.54", False, "41.50")
    assert adds_up(a)


def test_tiktok_units_sold_at_different_prices_keep_their_line_total():
    payload = native_sample("tiktok")
    payload["data"]["orders"][0]["line_items"][1]["sale_price"] = "12.98"
    line = map_payload("tiktok", payload).canonical["lines"][0]
    assert Decimal(line["unit_price"]) * line["quantity"] == Decimal("12.99") + Decimal("12.98")


def test_tiktok_api_error_and_cancellation():
    payload = native_sample("tiktok")
    payload["code"] = 36009003
    payload["message"] = "Order not found"
    assert "36009003" in errors_of("tiktok", payload)["code"]
    order = native_sample("tiktok")["data"]["orders"][0]
    order.update(status="CANCELLED", cancel_reason="Buyer changed mind", cancel_time=1795170000)
    cancelled = map_payload("tiktok", order).canonical["cancelled"]
    assert cancelled == {"at": "2026-11-20T10:20:00+00:00", "reason": "Buyer changed mind"}


def test_tiktok_outside_the_us_prices_include_tax():
    order = native_sample("tiktok")["data"]["orders"][0]
    order["recipient_address"]["region_code"] = "GB"
    assert amounts("tiktok", order)["tax_included"] is True


# --- web and dealer -----------------------------------------------------------------------


def test_web_order_states_its_own_amounts():
    payload = load("web_order.json")
    payload.update(shipping="4.95", discount="1.00", tax="5.86", tax_included=True, total="31.44")
    payload["lines"][0]["discount"] = "0.50"
    a = amounts("web", payload)
    # lines 2 x 7.25 + 12.99 = 27.49; discounts 1.00 + the line's 0.50; shipping 4.95:
    # 27.49 - 1.50 + 4.95 = 30.94, not the 31.44 the shop sent: recorded, total kept
    assert (a["items_subtotal"], a["items_discount"], a["total"]) == ("27.49", "1.50", "31.44")
    assert a["mismatch"]["difference"] == "0.50"


def test_web_order_without_amounts_is_worth_its_lines():
    a = amounts("web", load("web_order.json"))
    assert a["total"] == "27.49" and adds_up(a)  # 2 x 7.25 + 12.99


def test_dealer_order_gets_amounts_on_intake_and_keeps_its_raw_payload():
    mapped = parse_dealer_csv((FIXTURES / "dealer_orders.csv").read_bytes())[0]
    raw = copy.deepcopy(mapped.canonical)
    item = Intake("dealer", mapped.canonical, mapped.canonical, mapped.source_paths)
    subtotal = sum(Decimal(ln["unit_price"]) * ln["quantity"] for ln in raw["lines"])
    assert Decimal(item.canonical["amounts"]["total"]) == subtotal
    assert item.raw_payload == raw  # what the dealer sent, unchanged


# --- orders stored before amounts existed, and volatile fields ----------------------------


def test_an_order_stored_without_amounts_keeps_its_old_total():
    canonical = copy.deepcopy(load("web_order.json"))
    # quantity x unit price, as before: 2 x 7.25 + 12.99
    assert order_total(canonical) == Decimal("27.49")


@pytest.mark.parametrize(
    ("channel", "name", "path", "value"),
    [
        ("amazon", "amazon_order.json", ("Order", "LastUpdateDate"), "2026-11-21T00:00:00Z"),
        ("shopify", "shopify_order.json", ("order", "updated_at"), "2026-11-21T00:00:00+00:00"),
        ("shopee", "shopee_order.json", ("request_id",), "another-request"),
        ("tiktok", "tiktok_order.json", ("data", "orders", 0, "update_time"), 1795200000),
    ],
)
def test_volatile_envelope_fields_leave_the_canonical_order_alone(channel, name, path, value):
    payload = load(name)
    before = map_payload(channel, payload).canonical
    holder = payload
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = value
    assert map_payload(channel, payload).canonical == before
