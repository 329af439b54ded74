"""Planning's versioned reference data: inbound lead times per supplier and mode, and the
storage cost rate. SAMPLE figures (not a carrier's or a 3PL's tariff): a deployment replaces
them and bumps the version, which every suggestion records.

Lead times are door-to-door days from the supplier's dispatch to the warehouse's receipt:
sea 35, rail 25, air 7, truck 5 (the defaults), overridden per (supplier, mode) below. The
mode of a suggestion is the lane's default: truck inside one country, rail from China to
Europe (the China-Europe rail corridor), otherwise sea.
"""

from __future__ import annotations

from decimal import Decimal

LEAD_TIMES_VERSION = "lead-times-sample-2026-12-v1"
MODE_DAYS = {"sea": 35, "air": 7, "rail": 25, "truck": 5}
SUPPLIER_DAYS: dict[tuple[str, str], int] = {
    ("supplier-CN", "sea"): 32,  # Shenzhen/Yantian sailings are frequent
    ("supplier-ID", "sea"): 28,
    ("supplier-GB", "truck"): 4,
}
EUROPE = frozenset({"DE", "FR", "NL", "PL", "IT", "ES", "BE", "AT", "CZ", "GB"})

STORAGE_VERSION = "storage-sample-2026-12-v1"
# Sample storage rate per cubic metre and day (USD): what a pallet-position tariff of about
# USD 26 per m3 a month works out to.
STORAGE_RATE_PER_M3_DAY = Decimal("0.85")
STORAGE_CURRENCY = "USD"


def supplier_of(origin_country: str) -> str:
    """The demo's supplier of goods made in `origin_country` (one per country)."""
    return f"supplier-{origin_country}"


def default_mode(origin_country: str, warehouse_country: str) -> str:
    if origin_country == warehouse_country:
        return "truck"
    if origin_country == "CN" and warehouse_country in EUROPE:
        return "rail"
    return "sea"


def lead_time(supplier: str, mode: str) -> tuple[int, str]:
    """(days, where they came from: the supplier's own figure or the mode's default)."""
    if (supplier, mode) in SUPPLIER_DAYS:
        return SUPPLIER_DAYS[(supplier, mode)], f"{supplier}/{mode}"
    return MODE_DAYS[mode], f"default/{mode}"
