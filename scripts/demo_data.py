"""A realistic day of cross-border orders in each channel's native payload shape.

Deterministic for a given seed, so running the demo twice pushes the same orders (and the second
run is answered as duplicates). The mix plants every case the review must catch: dealer orders
over their credit, cross-region dealer orders, prohibited goods, bad postcodes, orders that need
several warehouses, and SKUs that run out during the day.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.orders.channels.dealer_csv import COLUMNS as CSV_COLUMNS

DAY = datetime(2026, 11, 20, tzinfo=UTC)

# country -> (currency, [(city, region, postcode)])
PLACES: dict[str, tuple[str, list[tuple[str, str | None, str]]]] = {
    "US": (
        "USD",
        [
            ("Los Angeles", "CA", "90012"),
            ("Portland", "OR", "97205"),
            ("Seattle", "WA", "98101"),
            ("Austin", "TX", "73301"),
            ("New York", "NY", "10001"),
            ("Miami", "FL", "33101"),
        ],
    ),
    "GB": (
        "GBP",
        [
            ("London", "ENG", "SW1A 1AA"),
            ("Manchester", "ENG", "M1 1AE"),
            ("Leeds", "ENG", "LS1 4AP"),
        ],
    ),
    "DE": (
        "EUR",
        [("Berlin", "BE", "10115"), ("Munich", "BY", "80331"), ("Hamburg", "HH", "20095")],
    ),
    "FR": ("EUR", [("Paris", "IDF", "75001"), ("Lyon", "ARA", "69001")]),
    "NL": ("EUR", [("Amsterdam", "NH", "1012 AB"), ("Rotterdam", "ZH", "3012 BM")]),
    "ID": (
        "IDR",
        [("Jakarta", "JK", "10110"), ("Surabaya", "JI", "60111"), ("Bandung", "JB", "40111")],
    ),
    "MY": ("MYR", [("Kuala Lumpur", "14", "50450"), ("Petaling Jaya", "10", "47400")]),
    "SG": ("SGD", [("Singapore", None, "018956")]),
    "TH": ("THB", [("Bangkok", "10", "10110")]),
    "AU": ("AUD", [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000")]),
    "SA": ("SAR", [("Riyadh", "01", "11564"), ("Jeddah", "02", "21442")]),
    "CA": ("CAD", [("Toronto", "ON", "M5V 2T6")]),
}
CHANNEL_MARKETS = {
    "amazon": ["US"] * 6 + ["GB"] * 2 + ["DE"] * 2 + ["CA", "AU"],
    "shopee": ["ID"] * 5 + ["MY"] * 3 + ["SG", "TH"],
    "shopify": ["US", "US", "DE", "FR", "NL", "GB", "AU", "SA"],
    "web": ["US", "GB", "DE", "FR", "SA", "ID", "AU"],
}
NAMES = [
    "Ada Lovelace",
    "Budi Santoso",
    "Chen Jing",
    "Dewi Lestari",
    "Emma Schmidt",
    "Farah Aziz",
    "George Brown",
    "Hana Tanaka",
    "Ivan Petrov",
    "Julia Martin",
    "Khalid Al-Farsi",
    "Lucas Silva",
    "Maya Patel",
    "Nur Aisyah",
    "Oliver Smith",
    "Priya Nair",
    "Quentin Dubois",
    "Rina Wijaya",
]
# What sells where (weights favour realistic baskets); alcohol/pork planted for SA and ID.
COMMON = [
    "SKU-PHONE-CASE",
    "SKU-CHARGER-65W",
    "SKU-EARBUDS-TWS",
    "SKU-LED-STRIP",
    "SKU-YOGA-MAT",
    "SKU-SKINCARE-SET",
    "SKU-SNEAKER-42",
    "SKU-BACKPACK-20L",
    "SKU-SOLAR-LANTERN",
    "SKU-TEA-001",
    "SKU-TEA-002",
    "SKU-KETTLE-1L7",
    "SKU-POWERBANK-10K",
    "SKU-DRONE-MINI",
]
EU = [
    "SKU-CHOC-BAR",
    "SKU-KNIFE-SET",
    "SKU-BIKE-LIGHT",
    "SKU-BABY-FORMULA",
    "SKU-PERFUME-50",
    "SKU-WINE-RED",
    "SKU-BEER-6PK",
]
# The e-bike battery (UN3480, lithium-ion alone) is stocked only in Birmingham, whose one GB
# domestic service refuses loose lithium batteries: GB orders for it are held (no carrier).
UK = ["SKU-WOOL-SCARF", "SKU-TEA-EARLGREY", "SKU-GIN-70CL", "SKU-EBIKE-BATT"]
SEA = ["SKU-BATIK-SHIRT", "SKU-RATTAN-BAG", "SKU-COFFEE-1KG"]
US = ["SKU-VITAMIN-C", "SKU-PLAYING-CARDS"]
RISKY = {"SA": ["SKU-WINE-RED", "SKU-GIN-70CL", "SKU-PORK-JERKY"], "ID": ["SKU-GIN-70CL"]}


# Opening stock (warehouse -> sku -> units). Scarce SKUs run out during the day.
def opening_stock(products: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    stock: dict[str, dict[str, int]] = {w: {} for w in ("SZX", "LAX", "FRA", "BHX", "CGK")}
    for p in products:
        sku, origin = p["sku"], p["origin_country"]
        stock["SZX"][sku] = 400 if origin == "CN" else 30
        stock["LAX"][sku] = 120 if sku in COMMON + US else 10
        stock["FRA"][sku] = 150 if sku in EU else (60 if sku in COMMON else 10)
        stock["BHX"][sku] = 150 if sku in UK else (30 if sku in COMMON else 5)
        stock["CGK"][sku] = 200 if sku in SEA else (40 if sku in COMMON else 0)
    for w in stock:  # scarce: drones and formula sell out
        stock[w]["SKU-DRONE-MINI"] = {"SZX": 40, "LAX": 15}.get(w, 0)
        stock[w]["SKU-BABY-FORMULA"] = {"FRA": 25}.get(w, 0)
        stock[w]["SKU-EBIKE-BATT"] = {"BHX": 60}.get(w, 0)
    return stock


def _basket(
    rng: random.Random, country: str, prices: dict[str, Decimal]
) -> list[tuple[str, int, Decimal]]:
    pool = list(COMMON)
    if country in ("DE", "FR", "NL"):
        pool += EU * 2
    if country == "GB":
        pool += UK * 2
    if country in ("ID", "MY", "SG", "TH"):
        pool += SEA * 2
    if country in ("US", "CA"):
        pool += US * 2
    n = rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0]
    skus = rng.sample(sorted(set(pool)), n)
    if country in RISKY and rng.random() < 0.25:
        skus[0] = rng.choice(RISKY[country])
    if rng.random() < 0.12:  # a basket mixing regional goods forces a multi-warehouse split
        skus.append(rng.choice([s for s in EU + UK + SEA if s not in skus]))
    return [(s, rng.choices([1, 2, 3, 6], weights=[60, 25, 10, 5])[0], prices[s]) for s in skus]


def _address(rng: random.Random, country: str, bad_postcode: bool) -> tuple[str, str | None, str]:
    city, region, postcode = rng.choice(PLACES[country][1])
    return city, region, ("00-BAD" if bad_postcode else postcode)


def amazon(
    n: int, rng: random.Random, when: datetime, prices: dict[str, Decimal]
) -> dict[str, Any]:
    country = rng.choice(CHANNEL_MARKETS["amazon"])
    currency = PLACES[country][0]
    city, region, postcode = _address(rng, country, rng.random() < 0.01)
    name = rng.choice(NAMES)
    items = _basket(rng, country, prices)
    return {
        "Order": {
            "AmazonOrderId": f"113-{4000000 + n:07d}-{(n * 7919) % 10000000:07d}",
            "PurchaseDate": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "OrderStatus": "Unshipped",
            "FulfillmentChannel": "MFN",
            "OrderTotal": {
                "CurrencyCode": currency,
                "Amount": str(sum(p * q for _, q, p in items)),
            },
            "ShippingAddress": {
                "Name": name,
                "AddressLine1": f"{rng.randint(1, 999)} Market St",
                "City": city,
                "StateOrRegion": region,
                "PostalCode": postcode,
                "CountryCode": country,
            },
            "BuyerInfo": {"BuyerEmail": f"buyer{n}@marketplace.amazon.example", "BuyerName": name},
        },
        "OrderItems": [
            {
                "SellerSKU": s,
                "OrderItemId": f"{n}{i:03d}",
                "QuantityOrdered": q,
                "ItemPrice": {"CurrencyCode": currency, "Amount": str(p * q)},
            }
            for i, (s, q, p) in enumerate(items)
        ],
    }


def shopee(
    n: int, rng: random.Random, when: datetime, prices: dict[str, Decimal]
) -> dict[str, Any]:
    country = rng.choice(CHANNEL_MARKETS["shopee"])
    currency = PLACES[country][0]
    city, region, postcode = _address(rng, country, rng.random() < 0.01)
    items = _basket(rng, country, prices)
    return {
        "order_sn": f"2611{n:06d}SHP",
        "region": country,
        "currency": currency,
        "order_status": "READY_TO_SHIP",
        "create_time": int(when.timestamp()),
        "buyer_username": f"shopper_{n}",
        "recipient_address": {
            "name": rng.choice(NAMES),
            "phone": "6281234567",
            "city": city,
            "state": region or "",
            "region": country,
            "zipcode": postcode,
            "full_address": f"Jl. Merdeka {rng.randint(1, 99)}, {city}",
        },
        "item_list": [
            {
                "item_id": 1000 + i,
                "item_sku": s,
                "model_sku": "",
                "model_quantity_purchased": q,
                "model_original_price": float(p),
                "model_discounted_price": float(p),
            }
            for i, (s, q, p) in enumerate(items)
        ],
    }


def shopify(
    n: int, rng: random.Random, when: datetime, prices: dict[str, Decimal]
) -> dict[str, Any]:
    country = rng.choice(CHANNEL_MARKETS["shopify"])
    currency = PLACES[country][0]
    city, region, postcode = _address(rng, country, rng.random() < 0.01)
    first, last = rng.choice(NAMES).split(" ", 1)
    items = _basket(rng, country, prices)
    return {
        "order": {
            "id": 5800000000000 + n,
            "name": f"#{1000 + n}",
            "created_at": when.isoformat(),
            "currency": currency,
            "email": f"{first.lower()}@example.com",
            "customer": {
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}@example.com",
            },
            "shipping_address": {
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "address1": f"{rng.randint(1, 200)} High Street",
                "city": city,
                "province_code": region,
                "zip": postcode,
                "country_code": country,
            },
            "line_items": [
                {"id": n * 10 + i, "sku": s, "quantity": q, "price": str(p)}
                for i, (s, q, p) in enumerate(items)
            ],
        }
    }


def web(n: int, rng: random.Random, when: datetime, prices: dict[str, Decimal]) -> dict[str, Any]:
    country = rng.choice(CHANNEL_MARKETS["web"])
    city, region, postcode = _address(rng, country, rng.random() < 0.02)
    name = rng.choice(NAMES)
    return {
        "external_id": f"WEB-{100000 + n}",
        "placed_at": when.isoformat(),
        "currency": PLACES[country][0],
        "customer": {"name": name, "email": f"c{n}@example.org", "phone": None},
        "ship_to": {
            "name": name,
            "line1": f"{rng.randint(1, 300)} Station Road",
            "line2": None,
            "city": city,
            "region": region,
            "postcode": postcode,
            "country": country,
        },
        "lines": [
            {"sku": s, "quantity": q, "unit_price": str(p)}
            for s, q, p in _basket(rng, country, prices)
        ],
    }


DEALERS = {  # dealer -> (currency, [(country, region, city, postcode)]); some outside their regions
    "DLR-EU-01": (
        "EUR",
        [
            ("DE", "NW", "Cologne", "50667"),
            ("NL", "ZH", "Rotterdam", "3012 BM"),
            ("FR", "IDF", "Paris", "75001"),
        ],
    ),
    "DLR-US-01": (
        "USD",
        [
            ("US", "CA", "San Diego", "92101"),
            ("US", "WA", "Seattle", "98101"),
            ("US", "TX", "Dallas", "75201"),
        ],
    ),
    "DLR-GB-01": ("GBP", [("GB", "ENG", "Birmingham", "B1 1AA")]),
    "DLR-SEA-01": (
        "USD",
        [
            ("ID", "JK", "Jakarta", "10110"),
            ("SG", None, "Singapore", "018956"),
            ("TH", "10", "Bangkok", "10110"),
        ],
    ),
}


def dealer_csv(
    orders: list[tuple[int, datetime]], rng: random.Random, prices: dict[str, Decimal]
) -> bytes:
    """One CSV file of B2B orders, one row per line, as a dealer portal would upload it."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for n, when in orders:
        dealer = rng.choice(sorted(DEALERS))
        currency, sites = DEALERS[dealer]
        country, region, city, postcode = rng.choice(sites)
        skus = rng.sample(COMMON, rng.randint(1, 3))
        for s in skus:
            qty = rng.choice([10, 20, 40, 60])
            price = (prices[s] * Decimal("0.7")).quantize(Decimal("0.01"))
            w.writerow(
                [
                    dealer,
                    f"PO-{70000 + n}",
                    when.isoformat(),
                    currency,
                    f"{dealer} buyer",
                    "purchasing@dealer.example",
                    "",
                    f"{dealer} store",
                    "Trade Park 5",
                    "",
                    city,
                    region or "",
                    postcode,
                    country,
                    s,
                    qty,
                    price,
                ]
            )
    return out.getvalue().encode()


GENERATORS = {"amazon": amazon, "shopee": shopee, "shopify": shopify, "web": web}
MIX = [("amazon", 35), ("shopee", 25), ("shopify", 20), ("web", 15), ("dealer", 5)]


def day_of_orders(total: int, seed: int, products: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """[(channel, payload)] in time order; dealer entries are CSV files of up to 10 orders."""
    rng = random.Random(seed)
    prices = {p["sku"]: Decimal(p["unit_value"]) for p in products}
    out: list[tuple[str, Any]] = []
    pending_dealer: list[tuple[int, datetime]] = []
    channels, weights = zip(*MIX, strict=True)
    for n in range(total):
        when = DAY + timedelta(seconds=int(86400 * n / total))
        channel = rng.choices(channels, weights=weights)[0]
        if channel == "dealer":
            pending_dealer.append((n, when))
            if len(pending_dealer) == 10:
                out.append(("dealer", dealer_csv(pending_dealer, rng, prices)))
                pending_dealer = []
            continue
        out.append((channel, GENERATORS[channel](n, rng, when, prices)))
    if pending_dealer:
        out.append(("dealer", dealer_csv(pending_dealer, rng, prices)))
    return out


# ---------------------------------------------------------------------------- the day's inbound
# A sea container from a supplier in Shenzhen for Los Angeles, booked before the day's orders so
# that US orders can be pre-sold against it (issue 15). Amazon and the web shop may pre-sell
# drones and phone cases (each capped); Shopify and the dealers may not: their orders for what
# runs out wait for stock (backorders) and are released when the container is received.
INBOUND_ID = "ASN-DEMO-SZX-LAX-1"
INBOUND_SUPPLIER = {"kind": "supplier", "name": "Shenzhen Brightway Electronics", "country": "CN"}
INBOUND_CARRIER = "COSCO"
INBOUND_CONTAINER = "MSKU 604812 0"  # ISO 6346: owner MSK, category U, serial, check digit 0
PRESALE_CHANNELS = ("amazon", "web")
PRESALE_CAPS = {"SKU-DRONE-MINI": 40, "SKU-PHONE-CASE": 120}  # units pre-sold per channel at once
PRESALE_HANDLING_DAYS = {"LAX": 1}
# carton -> (sku, units, lot, unit value USD, net kg of the carton)
INBOUND_CARTONS = {
    "C01": ("SKU-DRONE-MINI", 60, "DRN-2611", "41.00", "27.0"),
    "C02": ("SKU-DRONE-MINI", 60, "DRN-2611", "41.00", "27.0"),
    "C03": ("SKU-PHONE-CASE", 150, "PC-2611", "1.60", "9.0"),
    "C04": ("SKU-PHONE-CASE", 150, "PC-2611", "1.60", "9.0"),
    "C05": ("SKU-LED-STRIP", 100, "LED-2611", "4.20", "14.0"),
    "C06": ("SKU-LED-STRIP", 100, "LED-2611", "4.20", "14.0"),
}
INBOUND_COSTS = {
    "freight": {"amount": "2850.00", "currency": "USD"},
    "insurance": {"amount": "95.00", "currency": "USD"},
    "fees": [
        {"name": "LAX terminal handling", "amount": "310.00", "currency": "USD"},
        {"name": "drayage to the warehouse", "amount": "420.00", "currency": "USD"},
    ],
}
# What the dock finds: one carton of phone cases crushed in part, one of LED strips short.
DOCK_FINDINGS = {"C04": ("damaged", 9, "carton crushed at one corner"),
                 "C06": ("short", 14, "carton short on opening")}  # fmt: skip


# After the container, what LAX still waits for and Shenzhen holds spare is moved by air (the
# transfer proposal's recommendation); its air waybill passes the IATA mod-7 check.
TRANSFER_ID = "TR-DEMO-SZX-LAX-1"
TRANSFER_AWB = "406-12345675"


def inbound_packing_list() -> list[dict[str, Any]]:
    """The forwarder's packing list, one row per carton (as `app.inbound.book` takes it)."""
    return [
        {"where": f"row {i + 2}", "carton_no": carton, "sku": sku, "quantity": qty, "lot": lot,
         "unit_value": value, "currency": "USD", "weight_kg": kg}
        for i, (carton, (sku, qty, lot, value, kg)) in enumerate(INBOUND_CARTONS.items())
    ]  # fmt: skip


def dock_counts() -> list[dict[str, Any]]:
    """The handheld's counts per carton: good units, damaged ones and why."""
    out = []
    for carton, (sku, qty, lot, _value, _kg) in INBOUND_CARTONS.items():
        kind, units, reason = DOCK_FINDINGS.get(carton, ("", 0, ""))
        damaged = units if kind == "damaged" else 0
        good = qty - units if kind else qty
        out.append({"carton_no": carton, "sku": sku, "lot": lot, "good": good,
                    "damaged": damaged, "reason": reason})  # fmt: skip
    return out
