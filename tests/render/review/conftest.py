"""Browser fixtures for review.html: one headless Debian Chromium driven by Selenium for the whole session, and a
place for the screenshots the tests save (build/test-artifacts/).

The browser is the distribution's (`make test-deps` installs chromium and chromium-driver); Selenium Manager is
kept offline, so nothing is downloaded. When Chromium cannot start, the tests that use it fail with the reason
(never skip): CI must run them.
"""

from __future__ import annotations

import base64
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from ...conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "build" / "test-artifacts"
WINDOW = (1280, 900)  # the width review.html must fit without a horizontal scroll bar
# Headless, in a container (no sandbox, no GPU, /dev/shm may be small), and quiet: no first-run pages, no
# background requests, no component or sync downloads, no QUIC probing.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One Chromium for the session, with a fresh profile and the console log readable (`get_log("browser")`)."""
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_OFFLINE", "true")  # Selenium Manager: use the given driver, download nothing
        try:
            driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        except WebDriverException as exc:
            reason = f"Chromium did not start ({CHROMIUM}, {CHROMEDRIVER}; `make test-deps` installs them): {exc.msg}"
        else:
            reason = ""
    if reason:  # failed outside the except block: the report shows the reason once, not a chain of two
        pytest.fail(reason, pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()


def save_full_page(driver: WebDriver, name: str) -> Path:
    """A screenshot of the whole page (not only the window) as build/test-artifacts/review-<name>.png."""
    return _capture(driver, None, name)


def save_element(driver: WebDriver, element: WebElement, name: str) -> Path:
    """A screenshot of one element, whole even where it is taller than the window, as
    build/test-artifacts/review-<name>.png."""
    return _capture(driver, element, name)


def _capture(driver: WebDriver, element: WebElement | None, name: str) -> Path:
    """The page laid out in a window as tall as the page and as wide as the window's content (so that nothing
    reflows: a capture "beyond the viewport" drops the scroll bar and lays the page out wider), then the element's
    box or the whole page."""
    driver.execute_script("window.scrollTo(0, 0)")
    width = driver.execute_script("return document.documentElement.clientWidth")
    height = math.ceil(driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"])
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        box = {"x": 0, "y": 0, "width": width, "height": height}
        if element is not None:
            box = driver.execute_script(
                "const r = arguments[0].getBoundingClientRect();"
                "return {x: r.left, y: r.top, width: r.width, height: r.height};",
                element,
            )
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "clip": {**box, "scale": 1}})
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return _write(f"review-{name}.png", base64.b64decode(shot["data"]))


def _write(name: str, content: bytes) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(content)
    print(f"screenshot: {os.path.relpath(path)}")
    return path
