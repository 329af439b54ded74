"""The logistics health dashboard in a real browser: every card shows the number
GET /v1/metrics/health gives for the same period and filters (the filters set with the keyboard),
an admin sets a target on a card and sees it judged, no serious accessibility violation, the
Arabic page right to left; screenshots in docs/screenshots/.

The seeded store (tests/browser/seed.py: parcels declared at Frankfurt, one held by customs)
gets two parcels out of Los Angeles here: one delivered a day after dispatch and returned, one
that goes quiet and is claimed as lost."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from api.app import create_app
from api.auth import new_key
from api.pages.i18n import Formatter, Translator
from api.pages.routes.dashboard import DOMAIN, display
from domains.returns.rules import LOST_AFTER_DAYS
from tests.browser.helpers import assert_accessible, screenshot, sign_in, switch_language, wait
from tests.e2e.delivery import deliver, dispatch, open_return
from tests.e2e.test_transport_http import packed_shipment


@pytest.fixture(scope="module")
def period(live) -> dict[str, str]:
    """Two LAX parcels driven through the API of the live server's services; the period
    around them (a month either side of the day they left)."""
    svc = live.svc
    clock = svc.app.store.clock
    key, entry = new_key("ann", "warehouse", "LAX")
    svc.keys.add([entry])
    c: Any = TestClient(create_app(svc))  # no `with`: its lifespan would close the services
    c.keys = {name: {"Authorization": f"Bearer {k}"} for name, k in live.keys.items()}
    c.keys["ann"] = {"Authorization": f"Bearer {key}"}
    c.clock, c.svc = clock, svc
    o, sid = packed_shipment(c, "DASH-D")
    clock.at += timedelta(hours=5)  # five hours on the shelf before it leaves
    deliver(c, sid, "ann")
    open_return(c, o["id"], "SKU-PHONE-CASE", 1, "no_longer_needed", "buyer")
    _, lost = packed_shipment(c, "DASH-L")
    clock.at += timedelta(hours=2)
    dispatch(c, lost, "ann")
    left = clock.now().date()
    clock.at += timedelta(hours=24, minutes=5)
    c.post("/v1/exceptions/check", headers=c.keys["admin"])
    clock.at += timedelta(days=LOST_AFTER_DAYS, minutes=1)
    assert c.post("/v1/claims/lost-check", headers=c.keys["admin"]).json()["opened"]
    return {"from": str(left - timedelta(days=30)), "to": str(left + timedelta(days=30))}


def api_health(live: Any, query: dict[str, str]) -> dict[str, Any]:
    url = f"{live.url}/v1/metrics/health?" + "&".join(f"{k}={v}" for k, v in query.items())
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {live.keys['finance']}"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - the live test server
        return json.loads(r.read())


def page_cards(driver: Any) -> dict[str, tuple[str, str]]:
    """Per card: its raw value and the figure a person reads."""
    out = {}
    for card in driver.find_elements(By.CSS_SELECTOR, "article.metric"):
        figure = card.find_element(By.CSS_SELECTOR, "[data-shown]").text
        out[card.get_attribute("data-metric")] = (card.get_attribute("data-value"), figure)
    return out


def as_read(text: str) -> str:
    """Text as the browser reports it: direction marks dropped, no-break spaces plain."""
    for mark in ("\u200f", "\u200e", "\u061c"):
        text = text.replace(mark, "")
    return text.replace("\xa0", " ").replace("\u202f", " ").strip()


def assert_same_numbers(driver: Any, api: dict[str, Any], lang: str = "en") -> None:
    fmt, _ = Formatter(lang), Translator(lang, DOMAIN)
    cards = page_cards(driver)
    assert set(cards) == {m["key"] for m in api["metrics"]}
    for m in api["metrics"]:
        raw, figure = cards[m["key"]]
        assert raw == (m["value"] or ""), m["key"]
        assert as_read(figure) == as_read(display(m, m["value"], fmt, _)), m["key"]


def test_the_dashboard_shows_the_apis_numbers_for_the_same_filters(driver, live, period):
    sign_in(driver, live.url, live.keys["finance"], "/pages/dashboard")
    query = "&".join(f"{k}={v}" for k, v in period.items())
    driver.get(f"{live.url}/pages/dashboard?{query}")
    assert_same_numbers(driver, api_health(live, period))
    # Filters by keyboard: LAX chosen in the warehouse list, then Enter on "Show".
    warehouse = driver.find_element(By.ID, "f-warehouse")
    warehouse.send_keys("LAX")
    assert Select(warehouse).first_selected_option.get_attribute("value") == "LAX"
    show = driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]")
    show.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: "warehouse=LAX" in d.current_url)
    lax = api_health(live, {**period, "warehouse": "LAX"})
    assert_same_numbers(driver, lax)
    by_key = {m["key"]: m for m in lax["metrics"]}
    assert by_key["loss_rate"]["value"] == "0.5000"  # one of the two LAX parcels was lost
    assert page_cards(driver)["loss_rate"][1] == "50.0%"
    assert not driver.find_elements(By.CSS_SELECTOR, "form.actions")  # finance reads only
    assert_accessible(driver)


def test_an_admin_sets_a_target_and_the_card_turns_red(driver, live, period):
    sign_in(driver, live.url, live.keys["admin"], "/pages/dashboard")
    query = "&".join(f"{k}={v}" for k, v in period.items())
    driver.get(f"{live.url}/pages/dashboard?{query}&trend=week")
    field = driver.find_element(By.ID, "target-loss_rate")
    field.send_keys("0.02")
    field.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: "#metric-loss_rate" in d.current_url)
    card = driver.find_element(By.ID, "metric-loss_rate")
    assert "missed" in card.get_attribute("class").split()
    assert "Off target" in card.text and "set by admin" in card.text
    field = driver.find_element(By.ID, "target-time_in_transit")
    field.send_keys("3")  # days: the delivered parcel took one
    field.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: "#metric-time_in_transit" in d.current_url)
    card = driver.find_element(By.ID, "metric-time_in_transit")
    assert "met" in card.get_attribute("class").split() and "On target" in card.text
    api = {m["key"]: m for m in api_health(live, period)["metrics"]}
    assert api["loss_rate"]["target"]["value"] == "0.02" and api["loss_rate"]["on_target"] is False
    assert_accessible(driver)
    screenshot(driver, "dashboard")


def test_the_arabic_dashboard_is_right_to_left(driver, live, period):
    sign_in(driver, live.url, live.keys["finance"], "/pages/dashboard")
    query = "&".join(f"{k}={v}" for k, v in period.items())
    switch_language(driver, live.url, "ar", quote(f"/pages/dashboard?{query}"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    assert driver.find_element(By.TAG_NAME, "h1").text == Translator("ar", DOMAIN)(
        "Logistics health"
    )
    assert_same_numbers(driver, api_health(live, period), "ar")
    assert_accessible(driver)
    screenshot(driver, "dashboard-ar")
