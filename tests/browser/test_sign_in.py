"""Signing in and out in a real browser; the sign-in page is accessible in each language."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.helpers import assert_accessible, screenshot, sign_in, switch_language, wait


def test_a_person_signs_in_with_their_key_and_out_again(driver, live):
    driver.get(live.url + "/pages")  # not signed in: sent to the sign-in page
    assert "/pages/sign-in" in driver.current_url
    assert_accessible(driver)
    screenshot(driver, "sign-in")
    sign_in(driver, live.url, live.keys["finance"])
    assert driver.find_element(By.CSS_SELECTOR, ".sign-out span").text == "finance (finance)"
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href='/pages/customs']")
    cookie = driver.get_cookie("crossdock_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert driver.execute_script("return document.cookie").find("crossdock_session") == -1
    driver.find_element(By.CSS_SELECTOR, ".sign-out button").click()
    wait(driver).until(lambda d: "/pages/sign-in" in d.current_url)
    driver.get(live.url + "/pages")
    assert "/pages/sign-in" in driver.current_url


@pytest.mark.parametrize("lang", ["es", "ar"])
def test_the_sign_in_page_in_spanish_and_arabic(driver, live, lang):
    switch_language(driver, live.url, lang, "/pages/sign-in")
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert heading == {"es": "Iniciar sesión", "ar": "تسجيل الدخول"}[lang]
    assert_accessible(driver)
