"""Finance's pages over HTTP (what needs a real browser is in tests/browser/test_finance_pages.py):
a bill uploaded through the page's form is reconciled by the same use case as the API, its
over-billed rows are red, rows are worked per row or as a selection with a reason, the downloads
are the API's files, the cost views chart every grouping, and other roles are refused."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from tests.e2e.test_finance_http import labelled
from tests.e2e.test_limits_http import bomb
from tests.e2e.test_pages_http import key_of, sign_in, token_in
from tests.e2e.test_warehouse_http import floor  # noqa: F401 - fixture

HEAD = "waybill,carrier,service,billed_weight_kg,base,fuel,currency,bill_line_ref"
HTMX = {"HX-Request": "true"}


def bill_for(c: Any, label: dict[str, Any]) -> bytes:
    """A bill for one labelled shipment: line 2 as quoted, line 3 charges it again (over-billed
    by the whole line), line 4 a waybill we never had (over-billed by its 5.00)."""
    c.svc.app.views.fresh()
    q = c.svc.db.query("SELECT * FROM view_labels WHERE waybill = ?", (label["waybill"],))[0]
    line = (
        f"{label['waybill']},{label['carrier']},{q['service']},{q['chargeable_weight_kg']},"
        f"{q['quoted_base_cents'] / 100:.2f},{(q['quoted_fuel_cents'] or 0) / 100:.2f},"
        f"{q['currency']}"
    )
    unknown = f"NOPE1234567,{label['carrier']},{q['service']},1,5.00,0,{q['currency']},3"
    return ("\n".join([HEAD, f"{line},1", f"{line},2", unknown]) + "\n").encode()


def bill_csv(c: Any, ext: str) -> tuple[str, bytes]:
    _, _, label = labelled(c, ext)
    return label["carrier"], bill_for(c, label)


@pytest.fixture
def desk(floor):  # noqa: F811
    """Signed in as finance, with a bill uploaded through the page: (client, bill page URL)."""
    sign_in(floor, key_of(floor, "finance"))
    carrier, data = bill_csv(floor, "P1")
    form = floor.get("/pages/finance")
    r = floor.post(
        "/pages/finance/bills",
        data={"carrier": carrier, "layout": "generic", "csrf_token": token_in(form.text)},
        files={"file": ("nov.csv", data, "text/csv")},
        headers=HTMX,
    )
    assert r.status_code == 201, r.text
    found = re.search(r'href="(/pages/finance/bills/[0-9a-f-]+)"', r.text)
    assert found and "2 discrepancies found" in r.text
    return floor, found[1]


def red_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="discrepancy-(\d+)" data-state="\w+" class="red"', html)


def test_an_uploaded_bill_shows_its_over_billed_rows_red_and_its_totals(desk):
    c, url = desk
    page = c.get(url)
    assert page.status_code == 200
    assert red_rows(page.text) == ["1", "2"]  # both differences are charges we did not owe
    assert "Over-billed" in page.text and "Under-billed" in page.text
    assert c.get("/pages/finance").text.count(url) == 1  # listed once among the bills


def test_a_row_is_disputed_with_a_reason_and_a_selection_accepted(desk):
    c, url = desk
    token = token_in(c.get(url).text)
    one = {"csrf_token": token, "reason": "charged twice", "row": "1:disputed"}
    r = c.post(f"{url}/resolve", data=one, headers=HTMX)
    assert r.status_code == 200 and 'id="discrepancy-1" data-state="disputed"' in r.text
    assert "charged twice (finance)" in r.text
    # The disputed row is not final: accepting both rows at once is allowed.
    both = {"csrf_token": token, "reason": "fine", "resolution": "accepted", "numbers": ["1", "2"]}
    r = c.post(f"{url}/resolve", data=both, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == url
    page = c.get(url).text
    assert page.count('data-state="accepted"') == 2 and 'name="numbers"' not in page


def test_a_bad_selection_says_why_and_changes_nothing(desk):
    c, url = desk
    token = token_in(c.get(url).text)
    nothing = {"csrf_token": token, "reason": "x", "resolution": "credited"}
    r = c.post(f"{url}/resolve", data=nothing, headers=HTMX)
    assert r.status_code == 422 and "select at least one discrepancy" in r.text
    no_reason = {"csrf_token": token, "reason": " ", "row": "2:credited"}
    r = c.post(f"{url}/resolve", data=no_reason, headers=HTMX)
    assert r.status_code == 422 and "a resolution needs a reason" in r.text
    forged = c.post(f"{url}/resolve", data={"reason": "x", "row": "2:credited"})
    assert forged.status_code == 403  # no CSRF token
    assert c.get(url).text.count('data-state="open"') == 2


def test_a_bad_file_is_refused_with_its_line_and_nothing_is_stored(desk):
    c, _ = desk
    token = token_in(c.get("/pages/finance").text)
    bad = (HEAD + "\nW1,ups,ground,abc,x,0,USD,1\n").encode()
    r = c.post(
        "/pages/finance/bills",
        data={"carrier": "ups", "csrf_token": token},
        files={"file": ("bad.csv", bad, "text/csv")},
        headers=HTMX,
    )
    assert r.status_code == 422 and "bad.csv was not recorded" in r.text and "line 2" in r.text
    assert "bad.csv" not in c.get("/pages/finance").text


def test_hostile_files_are_refused_by_the_apis_checks_and_nothing_is_stored(desk, monkeypatch):
    c, _ = desk
    token = token_in(c.get("/pages/finance").text)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # 10 MB of sheet XML deflated to a few KB: refused from the ZIP directory, never inflated.
    r = c.post(
        "/pages/finance/bills",
        data={"carrier": "ups", "csrf_token": token},
        files={"file": ("bomb.xlsx", bomb(10 * 1024 * 1024), xlsx)},
        headers=HTMX,
    )
    assert r.status_code == 413 and "bomb.xlsx was not recorded" in r.text
    monkeypatch.setenv("CROSSDOCK_MAX_BILL_BYTES", "2000")  # read when an app is built
    small = TestClient(create_app(c.svc))
    sign_in(small, key_of(c, "finance"))
    big = (HEAD + "\n" + "NOPE1234567,ups,ground,1,1.00,0,USD,1\n" * 100).encode()
    r = small.post(
        "/pages/finance/bills",
        data={"carrier": "ups", "csrf_token": token_in(small.get("/pages/finance").text)},
        files={"file": ("big.csv", big, "text/csv")},
        headers=HTMX,
    )
    assert r.status_code == 413 and r.json()["setting"] == "CROSSDOCK_MAX_BILL_BYTES"
    names = {b.filename for b in c.svc.app.settlement.bills()}
    assert names == {"nov.csv"}  # only the fixture's bill


def test_a_large_bills_discrepancies_are_paged_and_worked_on_their_page(desk):
    c, _ = desk
    token = token_in(c.get("/pages/finance").text)
    lines = [f"NOPE{n:07d},ups,ground,1,1.00,0,USD,{n}" for n in range(1, 202)]
    r = c.post(
        "/pages/finance/bills",
        data={"carrier": "ups", "csrf_token": token},
        files={"file": ("big.csv", ("\n".join([HEAD, *lines]) + "\n").encode(), "text/csv")},
    )
    url = r.url.path  # followed to the bill's page
    first = r.text
    # 201 unknown waybills, 200 to a page: 1-200 here, 201 alone on the next.
    assert first.count('<tr id="discrepancy-') == 200 and "1 to 200 of 201" in first
    assert '<a href="?offset=200">' in first
    second = c.get(f"{url}?offset=200").text
    assert re.findall(r'<tr id="discrepancy-(\d+)"', second) == ["201"]
    work = {"csrf_token": token, "reason": "not ours", "row": "201:disputed", "offset": "200"}
    done = c.post(f"{url}/resolve", data=work, follow_redirects=False)
    assert done.headers["location"] == f"{url}?offset=200"
    assert 'id="discrepancy-201" data-state="disputed"' in c.get(done.headers["location"]).text


def test_the_downloads_are_the_bills_report_and_dispute_file(desk):
    c, url = desk
    xlsx = c.get(f"{url}/report.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["Lines"]
    header = [cell.value for cell in sheet[1]]
    red = [
        r[header.index("line")].value
        for r in sheet.iter_rows(min_row=2)
        if r[0].fill.fgColor.rgb.endswith("FFC7CE")
    ]
    assert red == [3, 4]
    csv = c.get(f"{url}/report.csv?table=discrepancies").content.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("line,waybill") and "NOPE1234567" in csv
    carrier = re.search(r"/pages/finance/disputes/([^.]+)\.csv", c.get(url).text)
    assert carrier and c.get(f"/pages/finance/disputes/{carrier[1]}.csv").status_code == 200


@pytest.mark.parametrize("group_by", ["carrier", "lane", "month", "channel", "warehouse"])
def test_each_cost_view_charts_the_same_groups_as_the_api(desk, group_by):
    c, _ = desk
    page = c.get(f"/pages/finance/costs?group_by={group_by}")
    api = c.get(f"/v1/finance/costs?group_by={group_by}", headers=c.keys["finance"]).json()
    assert page.status_code == 200 and "<svg" in page.text
    keys = [str(g[group_by]) for g in api["items"]]
    assert keys and all(f'<th scope="row">{k}</th>' in page.text for k in keys)
    assert page.text.count("<rect") == len(keys)


def test_a_bill_that_does_not_exist_is_not_found(desk):
    c, url = desk
    missing = url[: -len("0000")] + ("0000" if not url.endswith("0000") else "1111")
    for path in (missing, f"{missing}/report.xlsx"):
        r = c.get(path)
        assert r.status_code == 404 and "There is no such carrier bill." in r.text


def test_other_roles_are_refused_the_finance_pages(floor):  # noqa: F811
    sign_in(floor, key_of(floor, "fra"))
    for url in ("/pages/finance", "/pages/finance/costs"):
        r = floor.get(url)
        assert r.status_code == 403 and "may not open this page" in r.text
