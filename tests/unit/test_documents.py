"""Commercial invoice and packing list PDFs: the figures read back from the PDF text are the
declaration's own, long documents paginate, output is deterministic, other scripts print."""

from __future__ import annotations

import copy
import io
import re

from pypdf import PdfReader

from adapters.customs.documents import render_commercial_invoice, render_packing_list


def declaration(lines: int = 2) -> dict:
    base = [
        {
            "line_no": 1,
            "sku": "TEA-OOLONG-250",
            "description": "Oolong tea, loose leaf, 250 g tin",
            "hs_code": "0902.30",
            "national_code": "0902300000",
            "origin_country": "CN",
            "quantity": 3,
            "unit": "pcs",
            "unit_value": "12.50",
            "total_value": "37.50",
            "net_weight_g": 900,
            "gross_weight_g": 950,
        },
        {
            "line_no": 2,
            "sku": "CUP-CERAMIC-6",
            "description": "Ceramic tea cups, set of 6",
            "hs_code": "6912.00",
            "national_code": None,
            "origin_country": "CN",
            "quantity": 2,
            "unit": "sets",
            "unit_value": "18.05",
            "total_value": "36.10",
            "net_weight_g": 1240,
            "gross_weight_g": 1400,
        },
    ]
    out = []
    for i in range(lines):
        line = dict(base[i % 2])
        line["line_no"] = i + 1
        if i >= 2:
            line["sku"] = f"{line['sku']}-{i + 1}"
            line["total_value"] = f"{i + 1}.{i % 100:02d}"
        out.append(line)
    parcels = [
        {
            "parcel_no": 1,
            "weight_g": 1000,
            "dimensions_mm": [300, 200, 150],
            "items": [{"sku": "TEA-OOLONG-250", "quantity": 3}],
        },
        {
            "parcel_no": 2,
            "weight_g": 1450,
            "dimensions_mm": [400, 300, 200],
            "items": [{"sku": "CUP-CERAMIC-6", "quantity": 2}],
        },
    ]
    return {
        "declaration_id": "DEC-000042",
        "shipment_id": "SHP-000017",
        "order_id": "ORD-000101",
        "external_id": "shopify-5501",
        "status": "approved",
        "incoterm": "DDP",
        "currency": "EUR",
        "destination_currency": "EUR",
        "exporter": {
            "name": "Crossdock Fulfilment Shenzhen",
            "line1": "88 Gaoxin South Road",
            "city": "Shenzhen",
            "postcode": "518057",
            "country": "CN",
        },
        "importer": {
            "name": "Jana Schmidt",
            "line1": "Invalidenstr. 12",
            "line2": "3. OG",
            "city": "Berlin",
            "postcode": "10115",
            "region": "BE",
            "country": "DE",
            "email": "jana@example.com",
            "phone": "+49 30 1234567",
        },
        "ioss_number": "IM2760000742",
        "importer_id": None,
        "invoice_number": "CI-2026-000042",
        "invoice_date": "2026-11-20",
        "lines": out,
        "parcels": parcels,
        "totals": {
            "goods_value": "73.60",
            "freight": "12.00",
            "insurance": "0.00",
            "duty": "1.20",
            "vat": "16.54",
            "total_taxes": "17.74",
            "net_weight_g": 2140,
            "gross_weight_g": 2450,
            "packages": 2,
        },
        "carrier": {
            "carrier": "ups",
            "service": "worldwide_saver",
            "waybill": "1Z999AA10123456784",
        },
        "tariff_version": "tariff-2026.11.01",
        "vat_version": "eu-vat-2026.10",
        "prohibited_list_version": 7,
    }


def pdf_text(data: bytes) -> tuple[int, str]:
    """Page count and the text of all pages, whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def tokens(text: str) -> set[str]:
    return set(text.split())


def row(*cells: object) -> re.Pattern[str]:
    """Consecutive cells of one table row, as whole words, in the extracted text."""
    return re.compile(r"(?<!\S)" + " ".join(re.escape(str(c)) for c in cells) + r"(?!\S)")


def test_invoice_figures_equal_the_declaration():
    d = declaration()
    pages, text = pdf_text(render_commercial_invoice(d))
    assert pages == 1
    words = tokens(text)
    for line in d["lines"]:
        # Whole tokens, so "37.50" cannot pass by being part of "137.50".
        assert line["total_value"] in words, line["total_value"]
        assert line["unit_value"] in words, line["unit_value"]
        assert line["hs_code"] in words, line["hs_code"]
        # The whole row, cell after cell: HS code (and national code), origin, quantity,
        # unit value, total value, currency, net weight.
        hs = " ".join(c for c in (line["hs_code"], line["national_code"]) if c)
        cells = (hs, line["origin_country"], f"{line['quantity']} {line['unit']}")
        money = (line["unit_value"], line["total_value"], d["currency"])
        assert row(*cells, *money, f"{line['net_weight_g']} g").search(text), line
    t = d["totals"]
    assert row("Goods value (EUR)", t["goods_value"]).search(text)
    assert row("Freight (EUR)", t["freight"]).search(text)
    assert row("Insurance (EUR)", t["insurance"]).search(text)
    assert row("Invoice total (EUR)", "85.60").search(text)  # exact Decimal sum
    assert row("Import duty (EUR)", t["duty"]).search(text)
    assert row("VAT (EUR)", t["vat"]).search(text)
    assert row("Total duties and taxes (EUR)", t["total_taxes"]).search(text)
    assert row("Net weight", f"{t['net_weight_g']} g (2.140 kg)").search(text)
    assert row("Gross weight", f"{t['gross_weight_g']} g (2.450 kg)").search(text)
    assert row("Packages", t["packages"]).search(text)
    for part in (
        "COMMERCIAL INVOICE",
        "CI-2026-000042",
        "2026-11-20",
        "DDP (Delivered Duty Paid)",
        "IM2760000742",
        "1Z999AA10123456784",
        "UPS Worldwide Saver",
        "Crossdock Fulfilment Shenzhen",
        "Jana Schmidt",
        "Germany (DE)",
        "tariff-2026.11.01",
        "eu-vat-2026.10",
        "Prohibited goods list v7",
        "DEC-000042",
        "I declare that the information on this invoice is true and correct",
        "Signature",
        "Page 1 of 1",
    ):
        assert part in text, part
    assert "Importer id" not in text  # absent ids are left out


def test_packing_list_figures_equal_the_declaration():
    d = declaration()
    pages, text = pdf_text(render_packing_list(d))
    assert pages == 1
    for parcel, line in zip(d["parcels"], d["lines"], strict=True):
        # Each parcel holds one whole line here, so the item's net weight is the line's.
        dims = " x ".join(str(x) for x in parcel["dimensions_mm"])
        cells = (parcel["parcel_no"], dims, f"{parcel['weight_g']} g", line["sku"])
        item = (line["description"], line["hs_code"], line["quantity"], f"{line['net_weight_g']} g")
        assert row(*cells, *item).search(text), parcel
    t = d["totals"]
    assert row("Packages", t["packages"], "Items", 5).search(text)
    assert row("Net weight", f"{t['net_weight_g']} g (2.140 kg)").search(text)
    assert row("Gross weight", f"{t['gross_weight_g']} g (2.450 kg)").search(text)
    assert "PACKING LIST" in text and "1Z999AA10123456784" in text


def test_money_is_printed_as_given_not_through_floats():
    d = declaration()
    d["lines"][0]["unit_value"] = "12.5000"
    d["lines"][0]["total_value"] = "0.30"
    d["totals"].update(goods_value="0.10", freight="0.20", insurance="0")
    _, text = pdf_text(render_commercial_invoice(d))
    words = tokens(text)
    assert {"12.5000", "0.30"} <= words
    assert row("Invoice total (EUR)", "0.30").search(text)  # not 0.30000000000000004


def test_long_declaration_paginates_with_repeated_headers():
    d = declaration(lines=60)
    pages, text = pdf_text(render_commercial_invoice(d))
    assert pages >= 2
    assert f"Page {pages} of {pages}" in text
    assert text.count("Total value") >= pages  # the table header repeats on every page
    assert "(continued)" in text
    words = tokens(text)
    for line in d["lines"]:
        assert line["total_value"] in words, line["total_value"]

    many = copy.deepcopy(d)
    many["parcels"] = [
        {
            "parcel_no": i + 1,
            "weight_g": 500 + i,
            "dimensions_mm": [200, 150, 100],
            "items": [{"sku": line["sku"], "quantity": line["quantity"]}],
        }
        for i, line in enumerate(d["lines"])
    ]
    pages, text = pdf_text(render_packing_list(many))
    assert pages >= 2 and f"Page {pages} of {pages}" in text
    words = tokens(text)
    assert all(f"{500 + i}" in words for i in range(60))


def test_a_row_taller_than_a_page_splits_instead_of_failing():
    d = declaration()
    d["lines"][0]["description"] = "tea leaves " * 600
    pages, text = pdf_text(render_commercial_invoice(d))
    assert pages >= 3 and row("Invoice total (EUR)", "85.60").search(text)
    assert pdf_text(render_packing_list(d))[0] >= 3


def test_output_is_deterministic():
    d = declaration()
    assert render_commercial_invoice(d) == render_commercial_invoice(copy.deepcopy(d))
    assert render_packing_list(d) == render_packing_list(copy.deepcopy(d))
    assert render_commercial_invoice(d)[:5] == b"%PDF-"


def test_prorated_item_net_weight_when_a_line_is_split_across_parcels():
    d = declaration()
    d["parcels"][0]["items"] = [{"sku": "TEA-OOLONG-250", "quantity": 2}]
    d["parcels"][1]["items"].append({"sku": "TEA-OOLONG-250", "quantity": 1})
    _, text = pdf_text(render_packing_list(d))
    tea = ("TEA-OOLONG-250", "Oolong tea, loose leaf, 250 g tin", "0902.30")
    assert row(*tea, 2, "600 g").search(text)  # 900 g * 2/3
    assert row(*tea, 1, "300 g").search(text)


def test_non_latin_names_and_optional_fields_do_not_crash():
    d = declaration()
    d["importer"].update(name="王小明", line1="福田区深南大道 1 号", city="深圳", country="CN")
    d["lines"][1]["description"] = "Чайные чашки 茶杯 <set> & saucers ☕ مرحبا"
    d.update(carrier=None, ioss_number=None, importer_id="DE123456789", incoterm="DAP")
    _, text = pdf_text(render_commercial_invoice(d))
    assert "王小明" in text and "福田区深南大道" in text and "<set> & saucers" in text
    assert row("Importer id", "DE123456789").search(text) and "IOSS" not in text
    assert "Payable by the importer on delivery (DAP)" in text
    _, text = pdf_text(render_packing_list(d))
    assert "王小明" in text
