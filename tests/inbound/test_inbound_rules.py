"""The inbound context's pure rules: carrier references, the packing list (file and lines),
discrepancies at the dock, the landed-cost allocation, the stage order, B2B customs without
low-value reliefs, and which warehouse a transfer would serve."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from adapters.inbound.packing_list import normalise_header, read_packing_list
from domains.common import InvalidTransition, ValidationFailed
from domains.inbound import landed
from domains.inbound.model import InboundShipment
from domains.inbound.receiving import discrepancies, good_units, packing_lines
from domains.inbound.references import awb_check_ok, normalise_reference
from domains.inbound.transfers import home_warehouse, parcels_of, plan

TODAY = date(2026, 11, 20)
TEA = SimpleNamespace(perishable=True, unit_value=Decimal("12.50"), currency="USD",
                      unit_weight_g=300, dimensions_mm=(90, 90, 120))  # fmt: skip
CASE = SimpleNamespace(perishable=False, unit_value=Decimal("6.90"), currency="USD",
                       unit_weight_g=60, dimensions_mm=(170, 90, 15))  # fmt: skip
CATALOGUE = {"SKU-TEA-001": TEA, "SKU-PHONE-CASE": CASE}


# ------------------------------------------------------------------------ references
@pytest.mark.parametrize(
    ("mode", "given", "stored"),
    [
        ("sea", "csqu 305438 3", "CSQU3054383"),
        ("air", "020-12345675", "020-12345675"),
        ("air", "02012345675", "020-12345675"),
        ("truck", "DE-TRK 42", "DE-TRK42"),
    ],
)
def test_valid_references_are_stored_normalised(mode, given, stored):
    assert normalise_reference(mode, given) == (stored, None)


@pytest.mark.parametrize(
    ("mode", "given", "why"),
    [
        ("sea", "CSQU3054384", "ISO 6346"),  # check digit 3, not 4
        ("sea", "CSQ3054383", "ISO 6346"),
        ("air", "020-12345674", "check digit"),
        ("air", "20-1234567", "air waybill"),
        ("rail", " ", "required"),
    ],
)
def test_bad_references_are_refused_with_the_standard_named(mode, given, why):
    stored, reason = normalise_reference(mode, given)
    assert stored is None and why in reason


def test_the_air_waybill_check_digit_is_the_serial_mod_7():
    assert awb_check_ok("12345675") and not awb_check_ok("12345676")


# ------------------------------------------------------------------------ packing list
CSV = (
    "Ctn No.,Item Code,Qty (pcs),Batch No,Best Before,N.W. (kg),G.W. (kg),CBM\n"
    "1,SKU-TEA-001,24,B-77,2027-06-30,7.2,8.0,0.05\n"
    "2,SKU-PHONE-CASE,100,,,6,7,0.04\n"
)


def test_a_forwarders_column_names_are_understood():
    rows = read_packing_list(CSV.encode())
    assert [r["sku"] for r in rows] == ["SKU-TEA-001", "SKU-PHONE-CASE"]
    assert rows[0]["quantity"] == "24" and rows[0]["lot"] == "B-77"
    assert rows[0]["expiry"] == "2027-06-30" and rows[0]["weight_kg"] == "7.2"
    assert rows[0]["gross_weight_kg"] == "8.0" and rows[0]["volume_m3"] == "0.05"
    assert rows[1]["where"] == "row 3"
    assert normalise_header("Carton_No.") == "carton no"


def test_an_xlsx_packing_list_reads_like_the_csv():
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for line in CSV.strip().split("\n"):
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    rows = read_packing_list(buf.getvalue(), "pl.xlsx")
    assert [(r["sku"], r["quantity"]) for r in rows] == [
        ("SKU-TEA-001", "24"),
        ("SKU-PHONE-CASE", "100"),
    ]


def test_a_file_without_the_required_columns_names_them():
    with pytest.raises(ValidationFailed) as exc:
        read_packing_list(b"Box,Description\n1,tea\n")
    assert {e["loc"] for e in exc.value.errors} == {"row 1.sku", "row 1.quantity"}


def test_bad_lines_are_named_by_row_and_by_the_files_own_column():
    text = (
        "Ctn No.,Item Code,Qty (pcs),Batch No,Best Before\n"
        "1,SKU-TEA-001,24,,\n"  # perishable: no lot, no expiry
        "2,SKU-NOPE,5,,\n"
        "3,SKU-PHONE-CASE,2.5,,\n"
        "4,SKU-PHONE-CASE,3,,31/12/2027\n"
    )
    rows = read_packing_list(text.encode())
    cartons, errors = packing_lines(rows, CATALOGUE.get, TODAY)
    assert cartons == []
    assert {e["loc"] for e in errors} == {
        "row 2.Batch No",
        "row 2.Best Before",
        "row 3.Item Code",
        "row 4.Qty (pcs)",
        "row 5.Best Before",
    }


def test_good_lines_make_cartons_with_per_unit_weight_and_catalogue_defaults():
    cartons, errors = packing_lines(read_packing_list(CSV.encode()), CATALOGUE.get, TODAY)
    assert errors == []
    tea = cartons[0]["lines"][0]
    assert tea["unit_weight_kg"] == "0.3000"  # 7.2 kg over 24 units
    assert tea["unit_value"] == "12.50" and tea["value_currency"] == "USD"  # catalogue's
    assert cartons[0]["gross_weight_kg"] == "8.0"


def test_an_expired_lot_is_refused():
    rows = [{"where": "r", "carton_no": "1", "sku": "SKU-TEA-001", "quantity": 1,
             "lot": "L", "expiry": "2026-11-20"}]  # fmt: skip
    _, errors = packing_lines(rows, CATALOGUE.get, TODAY)
    assert errors == [{"loc": "r.expiry", "msg": "expired on 2026-11-20"}]


# ------------------------------------------------------------------------ the dock
def test_short_over_damaged_and_missing_cartons_are_each_a_discrepancy():
    expected = {("C1", "A", None): 10, ("C2", "B", "L1"): 5, ("C3", "C", None): 4}
    counted = {
        ("C1", "A", None): {"good": 7, "damaged": 1, "reason": "torn"},
        ("C2", "B", "L1"): {"good": 6, "damaged": 0, "reason": "extra unit"},
        ("C9", "D", None): {"good": 2, "damaged": 0, "reason": "not on the list"},
    }
    found = {(d["carton_no"], d["kind"]): (d["quantity"], d["reason"])
             for d in discrepancies(expected, counted)}  # fmt: skip
    assert found == {
        ("C1", "damaged"): (1, "torn"),
        ("C1", "short"): (2, "torn"),
        ("C2", "over"): (1, "extra unit"),
        ("C3", "short"): (4, "not found at the dock"),
        ("C9", "over"): (2, "not on the list"),
    }
    assert good_units(counted) == {("A", None): 7, ("B", "L1"): 6, ("D", None): 2}


# ------------------------------------------------------------------------ landed cost
def lines_(**kw):
    base = [
        {"sku": "A", "lot": None, "units": 10, "unit_value": "10", "value_currency": "USD",
         "unit_weight_kg": "1", "unit_volume_m3": "0.001"},
        {"sku": "B", "lot": None, "units": 10, "unit_value": "30", "value_currency": "USD",
         "unit_weight_kg": "3", "unit_volume_m3": "0.003"},
    ]  # fmt: skip
    return base


FX = {"USD": Decimal(1), "EUR": Decimal("1.10")}
COSTS = {"freight": {"amount": "100", "currency": "USD"}, "insurance": None, "fees": []}


@pytest.mark.parametrize("basis", ["value", "weight", "volume"])
def test_costs_are_shared_in_proportion_to_the_basis(basis):
    # A carries 1 part in 4 on every basis here (value 100/400, weight 10/40, volume 0.01/0.04)
    d = landed.decide(basis, "USD", COSTS, {"amount": "20", "currency": "EUR"}, lines_(), FX)
    per = {ln["sku"]: Decimal(ln["overhead_per_unit"]) for ln in d["lines"]}
    overhead = Decimal(100) + Decimal(20) * FX["EUR"]
    assert Decimal(d["overhead"]) == overhead
    assert per == {"A": overhead / 4 / 10, "B": overhead * 3 / 4 / 10}


def test_the_basis_changes_who_carries_the_costs():
    items = lines_()
    items[1]["unit_weight_kg"] = "1"  # B as light as A but worth three times as much
    by_value = landed.decide("value", "USD", COSTS, None, items, FX)
    by_weight = landed.decide("weight", "USD", COSTS, None, items, FX)
    assert by_value["lines"][1]["allocated"] == "75.00"
    assert by_weight["lines"][1]["allocated"] == "50.00"


def test_shares_add_up_to_the_cent():
    shares = landed.share_out(Decimal("100.00"), {"a": Decimal(1), "b": Decimal(1),
                                                  "c": Decimal(1)})  # fmt: skip
    assert sum(shares.values()) == Decimal("100.00")


def test_the_unit_value_is_converted_into_the_shipments_currency():
    items = lines_()
    items[0]["value_currency"] = "EUR"
    d = landed.decide("value", "USD", COSTS, None, items, FX)
    assert d["lines"][0]["unit_value"] == "11.0000"
    assert d["inputs"]["fx"]["EUR"] == "1.10"


# ------------------------------------------------------------------------ stages
def shipment() -> InboundShipment:
    return InboundShipment(
        inbound_id="ASN-9", warehouse_id="FRA", origin={"kind": "supplier", "country": "CN"},
        mode="sea", carrier="X", reference="R", expected_arrival="2026-12-01", cartons=[],
        allocation_basis="value", currency="USD", booked_by="a",
    )  # fmt: skip


def test_each_stage_follows_the_one_before():
    s = shipment()
    with pytest.raises(InvalidTransition, match="next is departed, not delivered"):
        s.advance("delivered", "t", "a")
    s.advance("departed", "t", "a")
    with pytest.raises(InvalidTransition):
        s.advance("departed", "t", "a")


def test_an_earlier_arrival_is_recorded_but_is_not_later():
    s = shipment()
    assert s.reschedule("2026-11-28", "fast vessel", "t") is False
    assert s.reschedule("2026-12-05", "port strike", "t") is True
    assert [a["after"] for a in s.arrivals] == ["2026-11-28", "2026-12-05"]


# ------------------------------------------------------------------------ transfers
COUNTRIES = {"BHX": "GB", "FRA": "DE", "AMS": "NL", "LAX": "US"}


def territory(country: str) -> str:
    return "EU" if country in ("DE", "NL", "FR") else country


def test_an_order_is_served_from_its_country_else_its_customs_territory():
    assert home_warehouse("NL", COUNTRIES, territory) == "AMS"
    assert home_warehouse("FR", COUNTRIES, territory) == "AMS"  # first EU warehouse by code
    assert home_warehouse("JP", COUNTRIES, territory) is None


def test_the_shortage_is_moved_from_the_warehouse_with_spare_stock():
    waiting = [
        {"order_id": "o1", "destination": "GB", "lines": {"S": 6}},
        {"order_id": "o2", "destination": "GB", "lines": {"S": 4}},
        {"order_id": "o3", "destination": "US", "lines": {"S": 3}},
    ]
    available = {("BHX", "S"): 2, ("FRA", "S"): 5, ("LAX", "S"): 10}
    proposals = plan(waiting, available, COUNTRIES, territory)
    moves = {(p["target"], p["source"]): p["lines"]["S"] for p in proposals}
    # BHX needs 10, has 2: LAX spares 7 (10 - its own 3), FRA 5
    assert moves == {("BHX", "LAX"): 7, ("BHX", "FRA"): 1}


def test_a_transfer_is_priced_as_parcels_of_at_most_20_kg():
    assert [p.weight_g for p in parcels_of(45_000)] == [20_000, 20_000, 5_000]
