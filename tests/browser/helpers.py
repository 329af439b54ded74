"""What browser tests do again and again: sign in, wait, take a screenshot, check accessibility."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import SCREENSHOTS

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def wait(driver: Any, seconds: float = 10) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def sign_in(driver: Any, base_url: str, key: str, next_url: str = "/pages") -> None:
    """Through the sign-in form, as a person does; back on `next_url` afterwards."""
    driver.get(f"{base_url}/pages/sign-in?next={next_url}")
    field = driver.find_element(By.ID, "api_key")
    field.send_keys(key)
    field.submit()
    wait(driver).until(lambda d: "/pages/sign-in" not in d.current_url)


def switch_language(driver: Any, base_url: str, lang: str, next_url: str) -> None:
    driver.get(f"{base_url}/pages/language?lang={lang}&next={next_url}")
    wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"html[lang='{lang}']")))


def screenshot(driver: Any, name: str) -> Path:
    """docs/screenshots/<name>.png, the whole page's height (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(700, min(int(height) + 120, 3000)))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 1000)
    return path


def axe_violations(driver: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations on the current page at the given impacts (vendored axe.min.js)."""
    driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));"
    )
    return [v for v in result if v.get("impact") in impacts]


def assert_accessible(driver: Any) -> None:
    """No serious or critical accessibility violation (labels, contrast, names, landmarks...)."""
    found = axe_violations(driver)
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n.get("target")) for n in v.get("nodes", [])[:3])
        for v in found
    ]
    assert not found, f"{driver.current_url}:\n" + "\n".join(summary)
