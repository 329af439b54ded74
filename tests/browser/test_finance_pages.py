"""Finance in a real browser: upload a carrier bill, see its over-billed rows red, dispute one,
download the XLSX report and read it back; the cost views with their chart, also in Arabic; a
warehouse key refused. Each page is checked with axe-core and saved as a screenshot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec

from api.app import create_app
from tests.browser.helpers import assert_accessible, screenshot, sign_in, switch_language, wait
from tests.e2e.test_customs_http import ship_from_fra
from tests.e2e.test_finance_pages_http import bill_for

BAD_BG = "rgba(253, 236, 234, 1)"  # --bad-bg (#fdecea) in api/pages/static/pages.css


def labelled_bill(live: Any, ext: str, folder: Path) -> tuple[str, Path]:
    """A parcel from Frankfurt to Berlin labelled on the live store (no customs border), and a
    bill for it: its carrier and the file, as finance would have it on disk."""
    c: Any = TestClient(create_app(live.svc))  # no `with`: the live server keeps the services
    c.keys = {name: {"Authorization": f"Bearer {key}"} for name, key in live.keys.items()}
    c.svc = live.svc
    sid, _ = ship_from_fra(c, ext, "SKU-BIKE-LIGHT", 1, "16.00", "DE", "10115")
    c.post(f"/v1/shipments/{sid}/carrier", json={"policy": "cheapest"}, headers=c.keys["fra"])
    label = c.post(f"/v1/shipments/{sid}/label", json={}, headers=c.keys["fra"])
    assert label.status_code == 201, label.text
    path = folder / f"{ext.lower()}.csv"
    path.write_bytes(bill_for(c, label.json()))
    return label.json()["carrier"], path


@pytest.fixture(scope="module")
def bill_file(live, tmp_path_factory) -> tuple[str, Path]:
    return labelled_bill(live, "NOVEMBER", tmp_path_factory.mktemp("bills"))


def downloaded(folder: Path, suffix: str, seconds: float = 10) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file arrived in {folder}")


def test_finance_uploads_a_bill_disputes_a_red_row_and_downloads_the_report(
    driver, live, bill_file, tmp_path
):
    carrier, path = bill_file
    sign_in(driver, live.url, live.keys["finance"], "/pages/finance")
    assert_accessible(driver)
    driver.find_element(By.ID, "bill-file").send_keys(str(path))
    driver.find_element(By.ID, "bill-carrier").send_keys(carrier)
    driver.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    opened = wait(driver, 30).until(ec.element_to_be_clickable((By.ID, "open-bill")))
    assert "2 discrepancies found" in driver.find_element(By.ID, "upload-result").text
    screenshot(driver, "finance-upload")
    opened.click()

    wait(driver).until(ec.presence_of_element_located((By.ID, "work")))
    red = driver.find_elements(By.CSS_SELECTOR, "tr.red")
    # Lines 3 (the same waybill again) and 4 (a waybill we never had) were charged, not owed.
    assert [r.get_attribute("id") for r in red] == ["discrepancy-1", "discrepancy-2"]
    cell = red[0].find_element(By.CSS_SELECTOR, "td:nth-child(2)")
    assert cell.value_of_css_property("background-color") == BAD_BG
    assert_accessible(driver)
    screenshot(driver, "finance-bill")

    driver.find_element(By.ID, "reason").send_keys("charged twice for one parcel")
    driver.find_element(By.CSS_SELECTOR, "button[value='1:disputed']").click()
    row = wait(driver).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#discrepancy-1[data-state=disputed]"))
    )
    assert "charged twice for one parcel (finance)" in row.text
    assert driver.find_element(By.ID, "discrepancy-2").get_attribute("data-state") == "open"
    (bill,) = [b for b in live.svc.app.settlement.bills() if b.filename == path.name]
    first = bill.discrepancies[0]
    assert (first["resolution"], first["resolved_by"]) == ("disputed", "finance")

    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    driver.find_element(By.ID, "download-xlsx").click()
    book = load_workbook(downloaded(tmp_path, ".xlsx"))
    lines = book["Lines"]
    header = [c.value for c in lines[1]]
    filled = {
        r[header.index("line")].value: r[0].fill.fgColor.rgb.endswith("FFC7CE")
        for r in lines.iter_rows(min_row=2)
    }
    assert filled == {2: False, 3: True, 4: True}  # the red rows of the page, red in the file
    found = book["Discrepancies"]
    cols = [c.value for c in found[1]]
    states = {r[cols.index("number")].value: r[cols.index("resolution")].value for r in found.iter_rows(min_row=2)}  # fmt: skip
    assert states == {1: "disputed", 2: None}


DROP = """
const [zone, text, name] = arguments;
const files = new DataTransfer();
files.items.add(new File([text], name, {type: "text/csv"}));
zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: files, bubbles: true, cancelable: true}));
const over = zone.classList.contains("over");
zone.dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true, cancelable: true}));
return [over, zone.classList.contains("over"), document.getElementById("bill-file").files[0].name];
"""


def test_a_bill_dropped_on_the_form_is_uploaded_with_its_progress_shown(driver, live, tmp_path):
    carrier, path = labelled_bill(live, "DROPPED", tmp_path)
    sign_in(driver, live.url, live.keys["finance"], "/pages/finance")
    zone = driver.find_element(By.ID, "drop-zone")
    # The file as a drop from the desktop hands it to the page (a DataTransfer of one File).
    text = path.read_text()
    highlighted, after, chosen = driver.execute_script(DROP, zone, text, "dropped.csv")
    assert (highlighted, after, chosen) == (True, False, "dropped.csv")
    carrier_field = driver.find_element(By.ID, "bill-carrier")
    carrier_field.send_keys(carrier)
    carrier_field.send_keys(Keys.TAB)  # the layout, then the button: all by keyboard
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Upload and reconcile"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver, 30).until(ec.element_to_be_clickable((By.ID, "open-bill")))
    bar = driver.find_element(By.ID, "upload-progress")
    assert bar.is_displayed() and bar.get_attribute("value") == "100"
    # A bill of its own parcel: the same two over-billed lines as any bill_for() makes.
    assert (
        "dropped.csv is reconciled: 2 discrepancies found"
        in driver.find_element(By.ID, "upload-result").text
    )


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_cost_views_chart_the_costs_in_each_language(driver, live, bill_file, lang):
    sign_in(driver, live.url, live.keys["finance"], "/pages/finance/costs")
    if lang != "en":
        switch_language(driver, live.url, lang, "/pages/finance/costs?group_by=warehouse")
    else:
        driver.get(live.url + "/pages/finance/costs?group_by=warehouse")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == (
        "rtl" if lang == "ar" else "ltr"
    )
    chart = driver.find_element(By.CSS_SELECTOR, "svg.chart[role=img]")
    rows = driver.find_elements(By.CSS_SELECTOR, "tbody th[scope=row]")
    # One bar per warehouse in the table: FRA shipped the labelled parcel.
    assert "FRA" in [r.text for r in rows]
    assert len(chart.find_elements(By.TAG_NAME, "rect")) == len(rows)
    assert_accessible(driver)
    screenshot(driver, "finance-costs" + ("" if lang == "en" else f"-{lang}"))


def test_a_warehouse_key_is_refused_the_finance_pages(driver, live):
    sign_in(driver, live.url, live.keys["fra"])
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/pages/finance']")
    driver.get(live.url + "/pages/finance")
    assert "may not open this page" in driver.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert not driver.find_elements(By.ID, "upload")
