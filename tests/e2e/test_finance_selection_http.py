"""Finance over HTTP, what the finance pages call: the bills listed with their summaries, a
selection of discrepancies worked with one reason (all or none), and the discrepancies as CSV
with where each stands."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from tests.e2e.test_finance_http import labelled
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture

HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref"


def post_bill(c, carrier: str, rows: list[str], who: str = "finance"):
    return c.post(
        f"/v1/finance/carrier-bills?carrier={carrier}",
        content=("\n".join([HEAD, *rows]) + "\n").encode(),
        headers={**c.keys[who], "Content-Type": "text/csv", "X-Filename": "nov.csv"},
    )


def test_a_selection_is_disputed_at_once_and_the_bill_list_shows_where_it_stands(floor):  # noqa: F811
    c = floor
    _, _, label = labelled(c, "S1")
    carrier, wb = label["carrier"], label["waybill"]
    c.svc.app.views.fresh()  # the label is in the view the bill is matched against
    quoted = c.svc.db.query("SELECT * FROM view_labels WHERE waybill = ?", (wb,))[0]
    base, fuel = quoted["quoted_base_cents"], quoted["quoted_fuel_cents"] or 0
    line = f"{wb},{carrier},ground,{quoted['chargeable_weight_kg']},{base / 100:.2f},{fuel / 100:.2f},USD"
    # Line 2 as quoted; lines 3 and 4 charge it again; line 5 a waybill we never had.
    rows = [f"{line},1", f"{line},2", f"{line},3", f"NOPE1234567,{carrier},ground,1,5.00,0,USD,4"]
    bill = post_bill(c, carrier, rows).json()
    numbers = [d["number"] for d in bill["discrepancies"]]
    assert len(numbers) == 3
    bid, url = bill["id"], f"/v1/finance/carrier-bills/{bill['id']}/discrepancies"

    both = {"numbers": numbers[:2], "resolution": "disputed", "reason": "charged twice"}
    assert c.post(url, json=both, headers=c.keys["fra"]).status_code == 403
    for bad in ({**both, "numbers": []}, {**both, "numbers": [1, 1]}, {**both, "reason": ""}):
        assert c.post(url, json=bad, headers=c.keys["finance"]).status_code == 422
    r = c.post(url, json=both, headers=c.keys["finance"])
    assert r.status_code == 200, r.text
    assert [(d["number"], d["resolution"], d["reason"]) for d in r.json()["resolved"]] == [
        (n, "disputed", "charged twice") for n in numbers[:2]
    ]
    # Each repeat charges the whole quoted line again: (base + fuel) twice is disputed.
    twice = Decimal(2 * (base + fuel)).scaleb(-2)
    assert r.json()["summary"]["states"]["disputed"]["difference"] == {"USD": str(twice)}

    c.post(url, json={**both, "numbers": [numbers[0]], "resolution": "credited"},
           headers=c.keys["finance"])  # fmt: skip
    # The credited row is final, so a selection holding it is refused whole: row 3 stays open.
    again = {"numbers": numbers, "resolution": "accepted", "reason": "fine"}
    assert c.post(url, json=again, headers=c.keys["finance"]).status_code == 409
    listed = c.get("/v1/finance/carrier-bills", headers=c.keys["finance"]).json()["items"]
    (mine,) = [b for b in listed if b["id"] == bid]
    states = {s: v["count"] for s, v in mine["summary"]["states"].items()}
    assert states == {"open": 1, "accepted": 0, "disputed": 1, "credited": 1}
    (usd,) = mine["summary"]["amounts"]
    # Billed: three quoted lines and 5.00; expected: the first line only.
    assert Decimal(usd["billed"]) == Decimal(3 * (base + fuel) + 500).scaleb(-2)
    assert Decimal(usd["over"]) == Decimal(2 * (base + fuel) + 500).scaleb(-2)
    assert c.get("/v1/finance/carrier-bills", headers=c.keys["ann"]).status_code == 403

    got = c.get(
        f"/v1/finance/carrier-bills/{bid}/report.csv?table=discrepancies",
        headers=c.keys["finance"],
    )
    assert got.status_code == 200 and "-discrepancies.csv" in got.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [(int(t["number"]), t["resolution"]) for t in table] == [
        (numbers[0], "credited"), (numbers[1], "disputed"), (numbers[2], ""),
    ]  # fmt: skip
