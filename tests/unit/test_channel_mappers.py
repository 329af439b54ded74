import copy
import json
from pathlib import Path

import pytest

from adapters.kafka.config import KafkaSettings
from adapters.orders.channels import (
    MAPPERS,
    FieldError,
    MappedOrder,
    PayloadError,
    csv_rows,
    map_payload,
    parse_dealer_csv,
)
from adapters.orders.channels.dealer_csv import COLUMNS, MAX_ROWS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def amazon() -> dict:
    return load("amazon_order.json")


@pytest.fixture
def shopee() -> dict:
    return load("shopee_order.json")


@pytest.fixture
def shopify() -> dict:
    return load("shopify_order.json")


@pytest.fixture
def web() -> dict:
    return load("web_order.json")


def errors_of(channel: str, payload) -> dict[str, str]:
    with pytest.raises(PayloadError) as info:
        map_payload(channel, payload)
    return {e.loc: e.msg for e in info.value.errors}


# --- registry -----------------------------------------------------------------


def test_registry_lists_the_five_json_channels():
    assert set(MAPPERS) == {"amazon", "shopee", "shopify", "tiktok", "web"}


def test_every_json_channel_is_consumed_from_its_kafka_topic_by_default():
    settings = KafkaSettings.from_env({})
    assert settings.channel_of("orders.tiktok") == "tiktok"
    assert set(settings.orders_topics) == {f"orders.{c}" for c in MAPPERS}


def test_unknown_channel_is_reported_at_channel():
    with pytest.raises(PayloadError) as info:
        map_payload("ebay", {})
    assert [e.loc for e in info.value.errors] == ["channel"]
    assert "ebay" in str(info.value)


@pytest.mark.parametrize("channel", sorted(MAPPERS))
def test_non_object_payload_is_rejected(channel):
    assert errors_of(channel, ["not", "an", "order"]) == {"$": "expected a JSON object, got array"}


@pytest.mark.parametrize("channel", sorted(MAPPERS))
def test_samples_map_to_json_serialisable_orders(channel):
    mapped = map_payload(channel, load(f"{channel}_order.json"))
    assert isinstance(mapped, MappedOrder)
    assert json.loads(json.dumps(mapped.canonical)) == mapped.canonical
    assert all(isinstance(line["unit_price"], str) for line in mapped.canonical["lines"])


def test_payload_error_str_joins_every_error():
    error = PayloadError([FieldError("a", "bad"), FieldError("b[0].c", "worse")])
    assert str(error) == "a: bad; b[0].c: worse"


# --- amazon -------------------------------------------------------------------


def test_amazon_sample_maps_to_canonical(amazon):
    mapped = map_payload("amazon", amazon)
    assert mapped.canonical == {
        "external_id": "113-4829176-5520234",
        "placed_at": "2026-11-20T08:15:00+00:00",
        "currency": "USD",
        "customer": {
            "name": "Jane Doe",
            "email": "x7k2m9q4r1d8w3p@marketplace.amazon.com",
            "phone": "+1 805-555-0142",
        },
        "ship_to": {
            "name": "Jane Doe",
            "line1": "1200 Harbor Blvd",
            "line2": "Apt 4B",
            "city": "Oxnard",
            "region": "CA",
            "postcode": "93035-1234",
            "country": "US",
        },
        # ItemPrice is per line: 25.00 / 2 and 29.97 / 3; ItemTax 1.83 and 2.58
        "lines": [
            {
                "sku": "SKU-TEA-001",
                "quantity": 2,
                "unit_price": "12.50",
                "discount": "0.00",
                "tax": "1.83",
            },
            {
                "sku": "SKU-PHONE-CASE",
                "quantity": 3,
                "unit_price": "9.99",
                "discount": "0.00",
                "tax": "2.58",
            },
        ],
        "dealer_id": None,
        # Amazon.com (ATVPDKIKX0DER) prices exclude sales tax: 25.00 + 29.97 = 54.97 of items,
        # 1.83 + 2.58 = 4.41 of tax on top, 59.38 = OrderTotal
        "amounts": {
            "items_subtotal": "54.97",
            "items_discount": "0.00",
            "shipping": "0.00",
            "shipping_discount": "0.00",
            "tax": "4.41",
            "fees": "0.00",
            "total": "59.38",
            "tax_included": False,
            "mismatch": None,
        },
        "cancelled": None,
        "marketplace_id": "ATVPDKIKX0DER",
    }
    assert mapped.source_paths["external_id"] == "AmazonOrderId"
    assert mapped.source_paths["ship_to.country"] == "ShippingAddress.CountryCode"
    assert mapped.source_paths["lines[1].sku"] == "OrderItems[1].SellerSKU"
    assert mapped.source_paths["lines[0].unit_price"] == "OrderItems[0].ItemPrice.Amount"


def test_amazon_accepts_order_items_inside_the_order_object(amazon):
    nested = {**amazon["Order"], "OrderItems": amazon["OrderItems"]}
    assert map_payload("amazon", nested) == map_payload("amazon", amazon)


def test_amazon_zero_quantity_is_reported_at_its_native_path(amazon):
    amazon["OrderItems"][0]["QuantityOrdered"] = 0
    assert errors_of("amazon", amazon) == {
        "OrderItems[0].QuantityOrdered": "expected a positive integer, got 0"
    }


def test_amazon_reports_all_problems_at_once(amazon):
    amazon["Order"]["PurchaseDate"] = "yesterday"
    del amazon["Order"]["ShippingAddress"]["City"]
    amazon["OrderItems"][0]["QuantityOrdered"] = "2"
    del amazon["OrderItems"][1]["SellerSKU"]
    amazon["OrderItems"][1]["ItemPrice"] = {"CurrencyCode": "CAD", "Amount": "twelve"}
    errors = errors_of("amazon", amazon)
    assert set(errors) == {
        "PurchaseDate",
        "ShippingAddress.City",
        "OrderItems[0].QuantityOrdered",
        "OrderItems[1].SellerSKU",
        "OrderItems[1].ItemPrice.Amount",
        "OrderItems[1].ItemPrice.CurrencyCode",
    }
    assert errors["ShippingAddress.City"] == "missing required field"
    assert "CAD" in errors["OrderItems[1].ItemPrice.CurrencyCode"]
    assert "string" in errors["OrderItems[0].QuantityOrdered"]


def test_amazon_currency_falls_back_to_item_price(amazon):
    del amazon["Order"]["OrderTotal"]
    mapped = map_payload("amazon", amazon)
    assert mapped.canonical["currency"] == "USD"
    assert mapped.source_paths["currency"] == "OrderItems[0].ItemPrice.CurrencyCode"


def test_amazon_uneven_line_price_keeps_enough_places_to_reconcile(amazon):
    amazon["OrderItems"][0].update(
        QuantityOrdered=3, ItemPrice={"CurrencyCode": "USD", "Amount": "10.00"}
    )
    amazon["OrderItems"][1].update(
        QuantityOrdered=4, ItemPrice={"CurrencyCode": "USD", "Amount": "10.01"}
    )
    lines = map_payload("amazon", amazon).canonical["lines"]
    assert [line["unit_price"] for line in lines] == ["3.333333", "2.5025"]


def test_amazon_zero_decimal_currency(amazon):
    # yen have no minor unit: every amount of the order is whole yen
    amazon["Order"]["OrderTotal"] = {"CurrencyCode": "JPY", "Amount": "6000"}
    for item in amazon["OrderItems"]:
        item["ItemPrice"] = {"CurrencyCode": "JPY", "Amount": "3000"}
        item["ItemTax"] = {"CurrencyCode": "JPY", "Amount": "0"}
    lines = map_payload("amazon", amazon).canonical["lines"]
    assert [line["unit_price"] for line in lines] == ["1500", "1000"]


def test_amazon_normalises_and_uses_first_present_address_line(amazon):
    address = amazon["Order"]["ShippingAddress"]
    address.update(
        AddressLine1="", AddressLine2=" 1200 Harbor Blvd ", AddressLine3="Unit 9", CountryCode="us"
    )
    amazon["Order"]["BuyerInfo"] = {"BuyerEmail": "x@marketplace.amazon.com"}
    mapped = map_payload("amazon", amazon)
    ship_to = mapped.canonical["ship_to"]
    assert (ship_to["line1"], ship_to["line2"], ship_to["country"]) == (
        "1200 Harbor Blvd",
        "Unit 9",
        "US",
    )
    assert mapped.source_paths["ship_to.line1"] == "ShippingAddress.AddressLine2"
    assert mapped.canonical["customer"]["name"] == "Jane Doe"
    assert mapped.source_paths["customer.name"] == "ShippingAddress.Name"


def test_amazon_missing_address_is_one_error_not_one_per_field(amazon):
    del amazon["Order"]["ShippingAddress"]
    del amazon["Order"]["BuyerInfo"]
    assert errors_of("amazon", amazon) == {"ShippingAddress": "missing required object"}


def test_amazon_empty_item_list(amazon):
    amazon["OrderItems"] = []
    assert list(errors_of("amazon", amazon)) == ["OrderItems"]


# --- shopee -------------------------------------------------------------------


def test_shopee_sample_maps_to_canonical(shopee):
    mapped = map_payload("shopee", shopee)
    order = mapped.canonical
    assert order["external_id"] == "241120K7QW2M3B"
    # create_time 1795162500 is 16:15 in Kuala Lumpur (UTC+8)
    assert order["placed_at"] == "2026-11-20T08:15:00+00:00"
    assert order["currency"] == "MYR"
    assert order["customer"] == {"name": "Tan Wei Ling", "email": None, "phone": "60123456789"}
    assert order["ship_to"] == {
        "name": "Tan Wei Ling",
        "line1": "12, Jalan SS 21/37, Damansara Utama, 47400 Petaling Jaya, Selangor",
        "line2": None,
        "city": "Petaling Jaya",
        "region": "Selangor",
        "postcode": "47400",
        "country": "MY",
    }
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]) for ln in order["lines"]] == [
        ("SKU-TEA-001", 3, "29.90"),
        ("SKU-PHONE-CASE", 1, "19.00"),
    ]
    # the first item has no variations, so its SKU comes from item_sku
    assert mapped.source_paths["lines[0].sku"] == "item_list[0].item_sku"
    assert mapped.source_paths["lines[1].sku"] == "item_list[1].model_sku"
    assert mapped.source_paths["placed_at"] == "create_time"


def test_shopee_accepts_the_bare_order_object(shopee):
    bare = shopee["response"]["order_list"][0]
    assert map_payload("shopee", bare) == map_payload("shopee", shopee)


def test_shopee_price_and_name_fallbacks(shopee):
    order = shopee["response"]["order_list"][0]
    del order["item_list"][0]["model_discounted_price"]
    order["recipient_address"]["name"] = ""
    order["recipient_address"].update(city="", district="Kota Damansara")
    mapped = map_payload("shopee", order)
    assert mapped.canonical["lines"][0]["unit_price"] == "32.90"
    assert mapped.source_paths["lines[0].unit_price"] == "item_list[0].model_original_price"
    assert mapped.canonical["customer"]["name"] == "tealover.pj"
    assert mapped.canonical["ship_to"]["city"] == "Kota Damansara"


def test_shopee_zero_decimal_currency(shopee):
    order = shopee["response"]["order_list"][0]
    order["currency"] = "VND"
    for item in order["item_list"]:
        item["model_discounted_price"] = 125000.0
    # dong have no minor unit: the shipping fee and total are whole too
    order["estimated_shipping_fee"] = 30000.0
    order["total_amount"] = 530000.0
    lines = map_payload("shopee", order).canonical["lines"]
    assert {line["unit_price"] for line in lines} == {"125000"}


def test_shopee_errors_use_order_relative_paths(shopee):
    order = shopee["response"]["order_list"][0]
    order["create_time"] = "1795162500"
    order["item_list"][1]["model_quantity_purchased"] = True
    order["item_list"][1]["model_sku"] = ""
    order["item_list"][1]["item_sku"] = ""
    assert errors_of("shopee", shopee) == {
        "create_time": "expected unix seconds as an integer, got string",
        "item_list[1].model_quantity_purchased": "expected a positive integer, got boolean True",
        "item_list[1].model_sku": "missing required field",
    }


def test_shopee_response_must_hold_exactly_one_order(shopee):
    shopee["response"]["order_list"].append(copy.deepcopy(shopee["response"]["order_list"][0]))
    assert errors_of("shopee", shopee) == {
        "response.order_list": "expected exactly one order, got 2"
    }


def test_shopee_api_error_envelope(shopee):
    shopee.update(error="error_auth", message="Invalid access_token.", response={})
    assert set(errors_of("shopee", shopee)) == {"error", "response.order_list"}


# --- shopify ------------------------------------------------------------------


def test_shopify_sample_maps_to_canonical(shopify):
    mapped = map_payload("shopify", shopify)
    order = mapped.canonical
    assert order["external_id"] == "5724893450321"
    assert order["placed_at"] == "2026-11-20T08:15:00+00:00"
    assert order["currency"] == "EUR"
    assert order["customer"] == {
        "name": "Lucas Martin",
        "email": "lucas.martin@example.fr",
        "phone": "+33612345678",
    }
    assert order["ship_to"]["line2"] == "Bâtiment B"
    assert order["ship_to"]["region"] is None
    assert order["ship_to"]["country"] == "FR"
    # each line's tax is its tax_lines' (French VAT, included in the price)
    assert order["lines"] == [
        {
            "sku": "SKU-WINE-RED",
            "quantity": 6,
            "unit_price": "14.90",
            "discount": "0.00",
            "tax": "14.90",
        },
        {
            "sku": "SKU-TEA-001",
            "quantity": 1,
            "unit_price": "8.50",
            "discount": "0.00",
            "tax": "1.42",
        },
    ]
    assert mapped.source_paths["lines[0].unit_price"] == "line_items[0].price"
    assert mapped.source_paths["ship_to.country"] == "shipping_address.country_code"


def test_shopify_accepts_the_bare_order_object(shopify):
    assert map_payload("shopify", shopify["order"]) == map_payload("shopify", shopify)


def test_shopify_line_without_sku_is_an_error(shopify):
    shopify["order"]["line_items"][1]["sku"] = None
    shopify["order"]["line_items"][0]["sku"] = "   "
    assert errors_of("shopify", shopify) == {
        "line_items[0].sku": "missing required field",
        "line_items[1].sku": "missing required field",
    }


def test_shopify_price_problems(shopify):
    items = shopify["order"]["line_items"]
    items[0]["price"] = "14.905"
    items[1]["price"] = "8,50"
    items[1]["quantity"] = -1
    errors = errors_of("shopify", shopify)
    assert set(errors) == {"line_items[0].price", "line_items[1].price", "line_items[1].quantity"}
    assert "more decimal places than EUR allows" in errors["line_items[0].price"]


def test_shopify_naive_timestamp_is_rejected(shopify):
    shopify["order"]["created_at"] = "2026-11-20T09:15:00"
    assert "no UTC offset" in errors_of("shopify", shopify)["created_at"]


# --- web ----------------------------------------------------------------------


def test_web_sample_is_normalised(web):
    web["currency"] = " gbp "
    web["ship_to"]["country"] = "gb"
    web["customer"]["name"] = "  Amelia Clarke "
    web["lines"][0]["unit_price"] = "7.250"
    mapped = map_payload("web", web)
    order = mapped.canonical
    assert order["placed_at"] == "2026-11-20T08:15:00+00:00"
    assert (order["currency"], order["ship_to"]["country"]) == ("GBP", "GB")
    assert order["customer"]["name"] == "Amelia Clarke"
    assert order["lines"][0] == {
        "sku": "SKU-TEA-001",
        "quantity": 2,
        "unit_price": "7.25",
        "discount": "0.00",
        "tax": "0.00",
    }
    assert mapped.source_paths["lines[1].unit_price"] == "lines[1].unit_price"


def test_web_type_errors_name_canonical_paths(web):
    web["customer"] = "Amelia"
    web["ship_to"]["postcode"] = 12345
    web["lines"][1] = {"sku": "SKU-PHONE-CASE", "quantity": 1.5, "unit_price": None}
    web["lines"].append("SKU-WINE-RED")
    assert errors_of("web", web) == {
        "customer": "expected an object, got string",
        "ship_to.postcode": "expected a string, got int",
        "lines[1].quantity": "expected a positive integer, got float 1.5",
        "lines[1].unit_price": "missing required field",
        "lines[2]": "expected an object, got string",
    }


# --- dealer CSV ---------------------------------------------------------------

ROW = {
    "dealer_id": "DLR-1",
    "order_number": "1001",
    "placed_at": "2026-11-20T08:15:00Z",
    "currency": "EUR",
    "customer_name": "Café Noord",
    "customer_email": "",
    "customer_phone": "",
    "ship_name": "Café Noord",
    "ship_line1": "Noordplein 8",
    "ship_line2": "",
    "ship_city": "Rotterdam",
    "ship_region": "ZH",
    "ship_postcode": "3035 EH",
    "ship_country": "NL",
    "sku": "SKU-TEA-001",
    "quantity": "6",
    "unit_price": "4.15",
}


def csv_text(*rows: dict, delimiter: str = ",", columns=COLUMNS) -> str:
    lines = [delimiter.join(columns)]
    lines += [delimiter.join({**ROW, **row}[c] for c in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def csv_errors(data) -> dict[str, str]:
    with pytest.raises(PayloadError) as info:
        parse_dealer_csv(data)
    return {e.loc: e.msg for e in info.value.errors}


def test_dealer_sample_groups_rows_into_orders():
    orders = parse_dealer_csv((FIXTURES / "dealer_orders.csv").read_bytes())
    assert [o.canonical["external_id"] for o in orders] == [
        "PO-55120",
        "7781",
        "PO-55121",
    ]
    first, austin, _ = orders
    assert first.canonical["dealer_id"] == "DLR-ROTTERDAM"
    assert first.canonical["placed_at"] == "2026-11-20T08:15:00+00:00"
    assert first.canonical["lines"] == [
        {"sku": "SKU-WINE-RED", "quantity": 12, "unit_price": "9.80"},
        {"sku": "SKU-TEA-001", "quantity": 24, "unit_price": "4.15"},
    ]
    assert first.source_paths["lines[1].quantity"] == "line 3: quantity"
    assert austin.canonical["ship_to"]["line1"] == "4500 S Congress Ave, Suite 120"
    assert austin.canonical["customer"]["phone"] is None


def test_dealer_rows_of_one_order_need_not_be_adjacent():
    text = csv_text({}, {"order_number": "1002"}, {"sku": "SKU-WINE-RED", "quantity": "2"})
    orders = parse_dealer_csv(text)
    assert [o.canonical["external_id"] for o in orders] == ["1001", "1002"]
    assert [line["sku"] for line in orders[0].canonical["lines"]] == ["SKU-TEA-001", "SKU-WINE-RED"]
    assert orders[0].source_paths["lines[1].sku"] == "line 4: sku"


def test_dealer_semicolon_file_with_decimal_comma():
    text = csv_text({"unit_price": "4,15", "ship_line1": "Noordplein 8, achterom"}, delimiter=";")
    (order,) = parse_dealer_csv(text.encode("utf-8"))
    assert order.canonical["lines"][0]["unit_price"] == "4.15"
    assert order.canonical["ship_to"]["line1"] == "Noordplein 8, achterom"


def test_dealer_utf8_bom_is_ignored():
    (order,) = parse_dealer_csv(b"\xef\xbb\xbf" + csv_text({}).encode("utf-8"))
    assert order.canonical["dealer_id"] == "DLR-1"
    assert order.canonical["customer"]["name"] == "Café Noord"


def test_dealer_latin1_file():
    (order,) = parse_dealer_csv(csv_text({}).encode("latin-1"))
    assert order.canonical["customer"]["name"] == "Café Noord"


def test_dealer_malformed_rows_report_their_line_numbers():
    text = csv_text({}, {"quantity": "two"}, {"unit_price": "€4"}, {"placed_at": "20/11/2026"})
    text += "DLR-1,1001,too,few,fields\r\n"
    assert csv_errors(text) == {
        "line 3: quantity": "expected a positive whole number, got 'two'",
        "line 4: unit_price": "expected a decimal amount like '12.50', got '€4'",
        "line 5: placed_at": "'20/11/2026' differs from '2026-11-20T08:15:00Z' on line 2 "
        "for order DLR-1:1001",
        "line 6: row": "expected 17 fields, got 5",
    }


def test_dealer_line_numbers_count_quoted_newlines():
    text = csv_text(
        {"ship_line1": '"Noordplein 8\nachterom"'}, {"order_number": "1002", "quantity": "0"}
    )
    assert csv_errors(text) == {"line 4: quantity": "expected a positive integer, got 0"}


def test_dealer_inconsistent_order_level_column():
    text = csv_text({}, {"currency": "USD", "sku": "SKU-WINE-RED"})
    errors = csv_errors(text)
    assert list(errors) == ["line 3: currency"]
    assert "line 2" in errors["line 3: currency"]


def test_dealer_missing_header_column():
    columns = [c for c in COLUMNS if c not in ("sku", "ship_country")]
    errors = csv_errors(csv_text({}, columns=columns))
    assert list(errors) == ["line 1: header"]
    assert "ship_country, sku" in errors["line 1: header"]


def test_dealer_missing_keys_and_required_cells():
    text = csv_text({"dealer_id": ""}, {"ship_city": "", "customer_name": ""})
    assert csv_errors(text) == {
        "line 2: dealer_id": "missing required field",
        "line 3: customer_name": "missing required field",
        "line 3: ship_city": "missing required field",
    }


@pytest.mark.parametrize("data", [b"", "  \r\n", "\ufeff"])
def test_dealer_empty_file(data):
    assert list(csv_errors(data)) == ["line 1: header"]


def test_dealer_header_only():
    assert csv_errors(csv_text()) == {"line 2: row": "no order rows after the header"}


def test_dealer_row_limit(monkeypatch):
    assert MAX_ROWS == 10_000
    # a smaller limit keeps the test fast; the counting logic is the same
    monkeypatch.setattr(csv_rows, "MAX_ROWS", 3)
    assert len(parse_dealer_csv(csv_text({}, {}, {}))) == 1
    assert csv_errors(csv_text({}, {}, {}, {}, {})) == {
        "line 5: row": "too many rows; the limit is 3 per file"
    }
