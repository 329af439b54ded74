"""Finance over HTTP: the cost ledger and carrier bills reconciled three ways (quote, label,
bill line) with every difference flagged, the dispute workflow, exports; finance role only."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.e2e.test_transport_http import packed_shipment
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture


def labelled(c, ext):
    o, sid = packed_shipment(c, ext)
    c.post(f"/v1/shipments/{sid}/carrier", json={"policy": "cheapest"}, headers=c.keys["ann"])
    label = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["ann"]).json()
    return o, sid, label


def test_bill_reconciliation_flags_every_difference_and_disputes(floor):  # noqa: F811
    c = floor
    _, sid1, l1 = labelled(c, "F1")
    c.post(f"/v1/shipments/{sid1}/dispatch", headers=c.keys["ann"])
    _, sid2, l2 = labelled(c, "F2")
    c.post(f"/v1/shipments/{sid2}/void", json={"reason": "damaged box"}, headers=c.keys["ann"])
    carrier = l1["carrier"]
    expected = {r["waybill"]: r for r in c.svc.db.query("SELECT * FROM view_labels")}
    e1 = expected[l1["waybill"]]
    base = e1["quoted_base_cents"] / 100
    fuel = (e1["quoted_fuel_cents"] or 0) / 100
    head = "waybill,carrier,service,billed_weight_kg,base,fuel,surcharge_residential,currency,bill_line_ref\n"
    rows = [
        f"{l1['waybill']},{carrier},ground,{e1['chargeable_weight_kg']},{base:.2f},{fuel:.2f},,USD,1",
        f"{l1['waybill']},{carrier},ground,{e1['chargeable_weight_kg']},{base:.2f},{fuel:.2f},,USD,2",
        f"{l2['waybill']},{carrier},ground,1,{base:.2f},{fuel:.2f},,USD,3",
        f'NOPE1234567,{carrier},=HYPERLINK("http://x"),1,5.00,0,,USD,4',
        f"{l1['waybill']}X,{carrier},ground,1,5.00,0,4.50,USD,5",
    ]
    bill = "\n".join([head.strip(), *rows]) + "\n"
    assert (
        c.post(
            f"/v1/finance/carrier-bills?carrier={carrier}",
            content=bill.encode(),
            headers={**c.keys["admin"], "Content-Type": "text/csv"},
        ).status_code
        == 403
    )
    r = c.post(
        f"/v1/finance/carrier-bills?carrier={carrier}",
        content=bill.encode(),
        headers={**c.keys["finance"], "Content-Type": "text/csv", "X-Filename": "bill.csv"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    kinds = {(d["line"], d["kind"]) for d in body["discrepancies"]}
    assert (3, "duplicate_billing") in kinds  # line 3 of the file is the second charge
    assert (4, "voided_label_billed") in kinds
    assert (5, "unknown_waybill") in kinds and (6, "unknown_waybill") in kinds
    assert not any(line == 2 for line, _ in kinds)  # the first, correct charge is clean
    again = c.post(
        f"/v1/finance/carrier-bills?carrier={carrier}",
        content=bill.encode(),
        headers={**c.keys["finance"], "Content-Type": "text/csv"},
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]

    bid = body["id"]
    xlsx = c.get(f"/v1/finance/carrier-bills/{bid}/report.xlsx", headers=c.keys["finance"])
    wb = load_workbook(io.BytesIO(xlsx.content))
    sheet = wb["Lines"]
    header = [cell.value for cell in sheet[1]]
    lcol = header.index("line")
    red = {row[lcol].value: str(row[0].fill.fgColor.rgb) for row in sheet.iter_rows(min_row=2)}
    assert red[5].endswith("FFC7CE") and red[3].endswith("FFC7CE")
    assert not red[2].endswith("FFC7CE")  # the correct charge is not highlighted
    assert {"Lines", "Discrepancies", "Summary"} <= set(wb.sheetnames)
    csv = c.get(f"/v1/finance/carrier-bills/{bid}/report.csv", headers=c.keys["finance"]).text
    assert "'=HYPERLINK" in csv or "=HYPERLINK" not in csv

    n = next(d["number"] for d in body["discrepancies"] if d["kind"] == "voided_label_billed")
    assert (
        c.post(
            f"/v1/finance/carrier-bills/{bid}/discrepancies/{n}",
            json={"resolution": "disputed", "reason": " "},
            headers=c.keys["finance"],
        ).status_code
        == 422
    )
    ok = c.post(
        f"/v1/finance/carrier-bills/{bid}/discrepancies/{n}",
        json={"resolution": "disputed", "reason": "label was voided before dispatch"},
        headers=c.keys["finance"],
    )
    assert ok.status_code == 200 and ok.json()["resolution"] == "disputed"
    dispute = c.get(f"/v1/finance/disputes/{carrier}.csv", headers=c.keys["finance"]).text
    assert l2["waybill"] in dispute and "NOPE1234567" not in dispute

    bad = c.post(
        f"/v1/finance/carrier-bills?carrier={carrier}",
        content=(head + f"{l1['waybill']},{carrier},g,abc,x,0,,USD,1\n").encode(),
        headers={**c.keys["finance"], "Content-Type": "text/csv"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["line"] == 2

    costs = c.get("/v1/finance/costs?group_by=carrier", headers=c.keys["finance"]).json()
    assert costs["items"] and costs["items"][0]["carrier"] == carrier
    assert costs["items"][0]["cost"] > 0 and 0 < costs["items"][0]["cost_share_of_order_value"]
    per_line = c.get(
        f"/v1/finance/orders/{sid1.rsplit('-S', 1)[0]}/costs?allocate=value",
        headers=c.keys["finance"],
    ).json()
    assert per_line["lines"] and per_line["total"] == per_line["shipments"][0]["cost_base"]
    assert c.get("/v1/finance/costs", headers=c.keys["ann"]).status_code == 403
