"""The customs desk in a real browser: the queue, a declaration amended (duties and flags
recomputed live before saving) and approved by keyboard, the queue changing; a hold over 48 h
with its checklist; a warehouse key refused; Arabic right to left, Spanish; no serious
accessibility violation; screenshots for the README."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import assert_accessible, screenshot, sign_in, switch_language, wait


def queue_ids(driver) -> list[str]:
    return [r.get_attribute("data-id") for r in driver.find_elements(By.CSS_SELECTOR, "#queue tr[data-id]")]  # fmt: skip


def test_customs_amends_and_approves_a_declaration_and_the_queue_changes(driver, live):
    us3, us4 = live.seed["declarations"]["US-3"], live.seed["declarations"]["US-4"]
    sign_in(driver, live.url, live.keys["customs"], "/pages/customs")
    before = queue_ids(driver)
    assert us3 in before and us4 in before
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{us3}']")
    assert "value_deviation" in row.text and "more than 30% away" in row.text  # in words
    assert_accessible(driver)
    screenshot(driver, "customs-queue")

    driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{us3}'] a").click()
    wait(driver).until(lambda d: us3 in d.current_url)
    duty_before = driver.find_element(By.ID, "duty").text
    assert "value_deviation" in driver.find_element(By.ID, "flags-h").find_element(By.XPATH, "..").text  # fmt: skip
    # e: to the first line's fields; the unit value set to the catalogue's: previewed live.
    driver.find_element(By.TAG_NAME, "body").send_keys("e")
    assert driver.switch_to.active_element.get_attribute("name") == "l1_description"
    value = driver.find_element(By.NAME, "l1_unit_value")
    value.clear()
    value.send_keys("79.00")
    wait(driver).until(lambda d: "preview-flags" in d.find_element(By.ID, "preview").get_attribute("innerHTML"))  # fmt: skip
    preview = driver.find_element(By.ID, "preview").text
    assert "Flags after the change: none" in preview, preview
    assert driver.find_element(By.ID, "duty").text == duty_before  # nothing saved yet
    assert_accessible(driver)
    screenshot(driver, "customs-declaration-amend-preview")
    driver.find_element(By.ID, "amend-reason").send_keys("price confirmed with the seller")
    driver.find_element(By.ID, "amend-button").click()
    wait(driver).until(lambda d: "amended=1" in d.current_url)
    assert driver.find_element(By.ID, "duty").text != duty_before
    assert "No flags" in driver.find_element(By.ID, "flags-h").find_element(By.XPATH, "..").text

    # a: to the approve button, Enter approves; back on the queue, without this declaration.
    driver.find_element(By.TAG_NAME, "body").send_keys("a")
    assert driver.switch_to.active_element.get_attribute("id") == "approve-button"
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: "done=approved" in d.current_url)
    after = queue_ids(driver)
    assert us3 not in after and us4 in after and len(after) == len(before) - 1
    status = driver.find_element(By.NAME, "status")
    status.find_element(By.CSS_SELECTOR, "option[value='approved']").click()
    driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
    wait(driver).until(lambda d: "status=approved" in d.current_url)
    assert us3 in queue_ids(driver)


def test_j_and_k_move_through_the_queue_and_enter_opens(driver, live):
    sign_in(driver, live.url, live.keys["customs"], "/pages/customs?status=")
    ids = queue_ids(driver)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    body.send_keys("j")
    body.send_keys("k")
    body.send_keys("j")
    current = driver.find_elements(By.CSS_SELECTOR, "#queue tr.current")
    assert [r.get_attribute("data-id") for r in current] == [ids[1]]
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: ids[1] in d.current_url)


def test_a_hold_over_48_hours_is_red_with_its_likely_causes(driver, live):
    held = live.seed["declarations"]["US-HELD"]
    sign_in(driver, live.url, live.keys["customs"], "/pages/customs?status=approved")
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-id='{held}']")
    assert "red" in row.get_attribute("class") and "held over 48 h" in row.text
    row.find_element(By.TAG_NAME, "a").click()
    panel = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "section.hold"))
    assert "over 48 hours" in panel.text and "documents requested" in panel.text
    assert len(panel.find_elements(By.CSS_SELECTOR, ".checklist li")) >= 5
    assert_accessible(driver)
    screenshot(driver, "customs-hold")


def test_a_warehouse_key_is_refused_the_customs_desk(driver, live):
    sign_in(driver, live.url, live.keys["fra"])
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/pages/customs']")
    driver.get(live.url + "/pages/customs")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    assert "warehouse" in driver.find_element(By.CSS_SELECTOR, "main").text
    assert not driver.find_elements(By.ID, "queue")


def test_the_desk_in_arabic_is_right_to_left_and_in_spanish(driver, live):
    sign_in(driver, live.url, live.keys["customs"], "/pages/customs")
    switch_language(driver, live.url, "ar", "/pages/customs")
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == "rtl"
    assert driver.find_element(By.TAG_NAME, "h1").text == "قائمة مراجعة الجمارك"
    table = driver.find_element(By.ID, "queue")
    assert table.value_of_css_property("direction") == "rtl"
    assert_accessible(driver)
    screenshot(driver, "customs-queue-ar")
    switch_language(driver, live.url, "es", "/pages/customs")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "ltr"
    assert driver.find_element(By.TAG_NAME, "h1").text == "Cola de revisión de aduanas"
    assert "Filtrar" in driver.find_element(By.CSS_SELECTOR, "form.filters button").text
    amounts = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#queue td.num")]
    assert any("US$" in a for a in amounts), amounts  # Spanish money format
