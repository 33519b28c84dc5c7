#!/usr/bin/env python3
"""Signs in to the dashboard and looks at every page at desktop and phone size.

Usage:
    python3 Tests/e2e/dashboard_pages.py BASE_URL EMAIL PASSWORD [SCREENSHOT_DIR]

Example:
    python3 Tests/e2e/dashboard_pages.py http://127.0.0.1:8080 owner@example.com 'secret' /tmp

Headless Chromium (Debian `chromium` + `chromium-driver`). Signs in through /login, then at 1280x800 and
at 390x844 opens the home page, the invoice list, the first invoice of the list, the requests inbox, the
templates, one template's editor, "what works", the settings and the users, and checks on each:
  * the page is the dashboard page asked for (not the sign-in form), with exactly one h1;
  * it does not scroll sideways (wide tables scroll inside their own box);
  * every visible form field has a label (a <label for>, a wrapping <label>, or aria-label);
  * no request left the site (no external URL in src or href attributes of assets).
Screenshots dashboard-PAGE-WIDTH.png go to SCREENSHOT_DIR when given.
Exit status: 0 when every check passes, 1 when one fails, 2 on bad usage.
"""

import os
import shutil
import sys

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SIZES = [(1280, 800), (390, 844)]
LABELS = """
return [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
  .filter(e => !(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.closest('label')
               && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id || e.outerHTML.slice(0, 60));
"""
EXTERNAL = """
return [...document.querySelectorAll('[src], link[href], script')]
  .map(e => e.getAttribute('src') || e.getAttribute('href') || 'inline script')
  .filter(u => u === 'inline script' || /^(https?:)?\\/\\//.test(u));
"""


class CheckFailed(Exception):
    pass


def make_driver(width, height):
    options = webdriver.ChromeOptions()
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    if width < 500:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}}
        )
    else:
        options.add_argument(f"--window-size={width},{height}")
    chromedriver = shutil.which("chromedriver")
    if not chromedriver:
        raise CheckFailed("chromedriver not found on PATH (apt-get install chromium-driver)")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(60)
    return driver


def sign_in(driver, base, email, password):
    driver.get(base + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    form = driver.find_element(By.TAG_NAME, "form")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.TAG_NAME, "form") != form)
    if "/login" in driver.current_url:
        message = driver.find_elements(By.ID, "message")
        raise CheckFailed("sign-in refused: " + (message[0].text if message else "no message"))


def check_page(driver, base, path, expected_h1, name, width, directory):
    driver.get(base + path)
    if "/login" in driver.current_url:
        raise CheckFailed(f"{path}: sent to the sign-in page")
    headings = driver.find_elements(By.TAG_NAME, "h1")
    if len(headings) != 1:
        raise CheckFailed(f"{path} at {width}px: {len(headings)} h1 elements")
    if expected_h1 not in headings[0].text:
        raise CheckFailed(f"{path}: h1 {headings[0].text!r} does not contain {expected_h1!r}")
    if driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth + 1"):
        raise CheckFailed(f"{path} at {width}px: the page scrolls sideways")
    unlabelled = driver.execute_script(LABELS)
    if unlabelled:
        raise CheckFailed(f"{path}: fields without a label: {unlabelled}")
    external = driver.execute_script(EXTERNAL)
    if external:
        raise CheckFailed(f"{path}: external or script assets: {external}")
    if directory:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": min(max(height, 400), 5000), "deviceScaleFactor": 1, "mobile": width < 500},
        )
        driver.save_screenshot(os.path.join(directory, f"dashboard-{name}-{width}.png"))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def run(base, email, password, directory):
    for width, height in SIZES:
        driver = make_driver(width, height)
        try:
            sign_in(driver, base, email, password)
            check_page(driver, base, "/dashboard", "Today", "home", width, directory)
            check_page(driver, base, "/dashboard/invoices?status=all", "Invoices", "invoices", width, directory)
            links = driver.find_elements(By.CSS_SELECTOR, "#invoices tbody a")
            if not links:
                raise CheckFailed("the invoice list is empty")
            invoice_path = links[0].get_attribute("href").replace(base, "")
            check_page(driver, base, invoice_path, "Invoice", "invoice", width, directory)
            check_page(driver, base, "/dashboard/requests", "Requests", "requests", width, directory)
            check_page(driver, base, "/dashboard/templates", "Templates", "templates", width, directory)
            check_page(driver, base, "/dashboard/templates/late/fr?combined=0", "Wording", "template", width, directory)
            check_page(driver, base, "/dashboard/results", "What works", "results", width, directory)
            check_page(driver, base, "/dashboard/settings", "Settings", "settings", width, directory)
            check_page(driver, base, "/dashboard/users", "Users", "users", width, directory)
        finally:
            driver.quit()


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(argv[1].rstrip("/"), argv[2], argv[3], argv[4] if len(argv) == 5 else None)
    except (CheckFailed, WebDriverException) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("ok: dashboard pages at 1280x800 and 390x844")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
