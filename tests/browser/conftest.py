"""Browser tests: a live server over a seeded store, driven by Selenium in headless Chromium.

Debian's `chromium` and `chromium-driver` packages (`.ci/run` installs them; README "Pages").
Without them the tests skip with the reason; under CI=true a missing browser fails the run, as a
missing PostgreSQL or Kafka broker does (tests/conftest.py, tests/kafka_broker.py).

Fixtures: `live` (module scope: the server's `url`, the plain `keys` by name, what was `seed`ed,
the services `svc`), `driver` (module scope; cookies cleared before each test). Helpers in
tests/browser/helpers.py: `sign_in`, `screenshot`, `assert_accessible`.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable

CHROMIUM = os.environ.get("CROSSDOCK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CROSSDOCK_CHROMEDRIVER", "/usr/bin/chromedriver")


def browser_missing() -> str | None:
    """None when Chromium and its driver are here, else why not."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} not found: install Debian's {package} (see README, Pages)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    return None


def need_browser() -> None:
    reason = browser_missing()
    if reason is not None:
        unavailable(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    url: str
    keys: dict[str, str]
    seed: dict[str, Any]
    svc: Any


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    need_browser()
    import uvicorn

    from api.app import create_app
    from tests.browser.seed import seeded

    svc, keys, seed = seeded(tmp_path_factory.mktemp("pages"))
    port = free_port()
    config = uvicorn.Config(
        create_app(svc), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    yield Live(f"http://127.0.0.1:{port}", keys, seed, svc)
    server.should_exit = True
    thread.join(10)
    svc.db.close()
    svc.app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    except Exception as exc:  # installed but does not start: same rule as missing
        unavailable(f"Chromium did not start: {exc}")
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def driver(browser: Any, live: Live) -> Any:
    """The module's browser, signed out (no cookies) on the live server."""
    browser.get(live.url + "/pages/sign-in")
    browser.delete_all_cookies()
    return browser


SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
