"""The local Airflow UI in a real browser: sign in with the generated credentials, see the DAG list.

Headless Chromium driven through its WebDriver (Debian's ``chromium`` and ``chromium-driver``,
installed by ``make system-deps``), on the default Airflow version.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.airflow.conftest import Airflow, airhost

pytestmark = [pytest.mark.airflow, pytest.mark.browser, pytest.mark.timeout(1800)]

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = os.environ.get("AIRHOST_UI_SCREENSHOT")  # where to keep the last screen, if asked


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMEDRIVER).exists() and Path(CHROMIUM).exists()):
        pytest.fail("chromium and chromium-driver are missing: run 'make system-deps'")
    profile = tempfile.mkdtemp(prefix="airhost-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_the_ui_signs_in_with_the_generated_password_and_lists_the_example_dag(project_folder, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    root = project_folder
    airhost("up", "--config", str(root), "--timeout", "900", timeout=1500)
    Airflow(root).wait_for_dag("example_pipeline")
    status = json.loads(airhost("status", "--config", str(root), "--output", "json",
                                "--show-password").stdout)
    wait = WebDriverWait(browser, 60)
    browser.get(status["url"] + "/")
    wait.until(seen.presence_of_element_located((By.NAME, "username"))).send_keys(status["username"])
    browser.find_element(By.NAME, "password").send_keys(status["password"])
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda driver: "/auth/login" not in driver.current_url)
    browser.get(status["url"] + "/dags")
    try:
        link = wait.until(seen.presence_of_element_located(
            (By.XPATH, "//a[contains(., 'example_pipeline')]")))
    finally:
        if SCREENSHOT:
            browser.save_screenshot(SCREENSHOT)
    assert link.is_displayed()
    assert "/auth/login" not in browser.current_url
