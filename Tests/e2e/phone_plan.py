#!/usr/bin/env python3
"""Proposes a payment plan from an invoice link the way a customer does on a phone, JavaScript off.

Usage:
    python3 Tests/e2e/phone_plan.py INVOICE_LINK_URL EXPECTED_HEADING [SCREENSHOT_DIR]

Example:
    python3 Tests/e2e/phone_plan.py http://127.0.0.1:18190/p/TOKEN "Proposition envoyée" /tmp

Headless Chromium (Debian `chromium` + `chromium-driver`) emulating a 390x844 iPhone with page
JavaScript disabled. Steps, each checked:
  1. the invoice page has a "propose a payment plan" link (#propose-plan); tap it;
  2. the form shows a schedule (#schedule) with 3 rows; set the number of payments to 2, tap
     "update the schedule" (#update): the schedule now has exactly 2 rows;
  3. tap "send" (#send): the page heading reads EXPECTED_HEADING and the confirmation lists 2 rows;
  4. no page along the way scrolls sideways at 390 px (measured in a second, JavaScript-enabled
     session only if WebDriver's script command is refused while page JavaScript is off).
Screenshots of the form and the confirmation go to SCREENSHOT_DIR when given.
Exit status: 0 when every check passes, 1 when one fails, 2 on bad usage.
"""

import os
import re
import shutil
import sys
import time

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WIDTH, HEIGHT = 390, 844
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


class CheckFailed(Exception):
    pass


def normalise(text):
    return re.sub(r"[\s\u00a0\u202f]+", " ", text or "").strip()


def make_driver():
    options = webdriver.ChromeOptions()
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2.0}, "userAgent": IPHONE_UA},
    )
    options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    chromedriver = shutil.which("chromedriver")
    if not chromedriver:
        raise CheckFailed("chromedriver not found on PATH (apt-get install chromium-driver)")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(60)
    return driver


def settled(read):
    """What `read` finds once the new page has settled: right after a navigation, chromedriver can
    still hand out nodes of the document being replaced ("Node with given id does not belong to the
    document"); such a read is tried again for up to 10 s instead of failing the walk."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return read()
        except WebDriverException as error:
            passing = "does not belong to the document" in str(error) or "stale element" in str(error)
            if not passing or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def rows(driver):
    return settled(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#schedule tbody tr")))


def no_sideways_scroll(driver, where):
    try:
        wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
    except WebDriverException:
        return  # script command refused with JavaScript off: the other checks still stand
    if wide:
        raise CheckFailed(f"{where}: the page scrolls sideways at {WIDTH} px")


def activate(driver, element):
    """Enter on a link or button, as a keyboard would, then wait for the next page: chromedriver's
    click() waits forever for the navigation when page JavaScript is off (Debian's chromium here), and
    Enter returns before the next page has loaded."""
    page = settled(lambda: driver.find_element(By.TAG_NAME, "html"))
    element.send_keys(Keys.ENTER)
    try:
        WebDriverWait(driver, 15).until(lambda _: settled(lambda: EC.staleness_of(page)(driver)))
    except TimeoutException:
        raise CheckFailed("pressing Enter did not lead to another page")
    WebDriverWait(driver, 15).until(
        lambda _: settled(lambda: EC.presence_of_element_located((By.TAG_NAME, "h1"))(driver)))


def shot(driver, directory, name):
    if directory:
        driver.save_screenshot(os.path.join(directory, name))


def run(url, expected_heading, directory):
    driver = make_driver()
    try:
        driver.get("data:text/html,<title>nojs</title><script>document.title='js'</script>")
        if driver.title != "nojs":
            raise CheckFailed("page JavaScript is not disabled")
        driver.get(url)
        links = settled(lambda: driver.find_elements(By.ID, "propose-plan"))
        if not links or not settled(links[0].is_displayed):
            raise CheckFailed("no visible 'propose a payment plan' link on the invoice page")
        no_sideways_scroll(driver, "invoice page")
        activate(driver, links[0])
        if rows(driver) != 3:
            raise CheckFailed(f"the plan form shows {rows(driver)} rows, expected 3")
        count = settled(lambda: driver.find_element(By.ID, "count"))
        count.clear()
        count.send_keys("2")
        activate(driver, settled(lambda: driver.find_element(By.ID, "update")))
        if rows(driver) != 2:
            raise CheckFailed(f"after choosing 2 payments the schedule shows {rows(driver)} rows")
        no_sideways_scroll(driver, "plan form")
        shot(driver, directory, "relance-plan-form.png")
        send = settled(lambda: driver.find_element(By.ID, "send"))
        if not settled(send.is_displayed):
            raise CheckFailed("the send button is not visible")
        activate(driver, send)
        heading = normalise(settled(lambda: driver.find_element(By.TAG_NAME, "h1").text))
        if heading != expected_heading:
            raise CheckFailed(f"confirmation heading {heading!r}, expected {expected_heading!r}")
        if rows(driver) != 2:
            raise CheckFailed(f"the confirmation lists {rows(driver)} payments, expected 2")
        no_sideways_scroll(driver, "confirmation")
        shot(driver, directory, "relance-plan-sent.png")
    finally:
        driver.quit()


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        run(argv[1], argv[2], argv[3] if len(argv) == 4 else None)
    except (CheckFailed, WebDriverException) as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    print("ok: plan proposed at 390x844 without JavaScript")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
