#!/usr/bin/env python3
"""Opens a customer invoice link the way a phone does and checks what the customer sees.

Usage:
    python3 Tests/e2e/phone_page.py INVOICE_LINK_URL EXPECTED_AMOUNT EXPECTED_NUMBER [SCREENSHOT.png]

Example:
    python3 Tests/e2e/phone_page.py http://127.0.0.1:18190/p/TOKEN "1 500,00 €" F-2026-0103 /tmp/phone.png

Runs headless Chromium (Debian `chromium` + `chromium-driver`) emulating a 390 px wide iPhone, with
JavaScript turned off, because the page must work without it. Checks:
  * #amount is displayed and its text is EXPECTED_AMOUNT (all whitespace, including U+00A0 and
    U+202F, compared as one plain space);
  * the invoice number (strong.number) is displayed and reads EXPECTED_NUMBER;
  * both lie fully inside the 390 px viewport, horizontally;
  * the page does not scroll sideways (scrollWidth <= innerWidth);
  * the stylesheet was applied (#amount is set larger than 24 px);
  * axe-core finds no violation of impact serious or critical (each is printed with its rule id, impact
    and first nodes' selectors; minor and moderate ones are printed and do not fail).
The layout measurements use WebDriver's script command; if Chromium refuses it while page JavaScript is
off, they are taken in a second session with JavaScript on, and the no-JS session keeps the visibility
checks. axe always runs in that second session: it is injected by WebDriver, but it schedules its work
with timers, and Chromium runs no timer while page JavaScript is off (axe's run never finishes). The
page has no script of its own, so both loads show the same document; the second load counts as one more
page view. axe's script comes from the installed PyPI package axe-selenium-python (no CDN); without it
the check fails. Exit status: 0 when every check passes, 1 when one fails, 2 on bad usage.
"""

import os
import re
import shutil
import sys

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from axe_check import AxeError, AxeMissing, axe_script, blocking, describe, run_axe  # noqa: E402

VIEWPORT_WIDTH = 390
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
MOBILE_EMULATION = {
    "deviceMetrics": {"width": VIEWPORT_WIDTH, "height": 844, "pixelRatio": 3.0},
    "userAgent": IPHONE_UA,
}
WAIT_SECONDS = 10
MIN_AMOUNT_FONT_PX = 24.0
EPSILON = 0.01  # sub-pixel rounding in layout rects

AMOUNT = (By.ID, "amount")
NUMBER = (By.CSS_SELECTOR, "strong.number")


class CheckFailed(Exception):
    pass


def normalise(text):
    """Every run of whitespace, including no-break and narrow no-break spaces, as one plain space."""
    return re.sub(r"[\s\u00a0\u202f\u2007\u2009]+", " ", text or "").strip()


def make_driver(javascript):
    options = webdriver.ChromeOptions()
    chromium = shutil.which("chromium")
    if chromium:
        options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", MOBILE_EMULATION)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    chromedriver = shutil.which("chromedriver")
    if not chromedriver:
        raise CheckFailed("chromedriver not found on PATH (apt-get install chromium-driver)")
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(60)
    return driver


def javascript_is_off(driver):
    """Page scripts must not run: a data: page that would retitle itself keeps its title."""
    driver.get("data:text/html,<title>nojs</title><script>document.title='js'</script>")
    return driver.title == "nojs"


def open_page(driver, url):
    driver.get(url)
    wait = WebDriverWait(driver, WAIT_SECONDS)
    try:
        wait.until(EC.presence_of_element_located(AMOUNT))
    except TimeoutException:
        title = driver.title
        heading = driver.find_elements(By.TAG_NAME, "h1")
        detail = heading[0].text if heading else ""
        raise CheckFailed(
            f"no #amount on the page after {WAIT_SECONDS}s (title {title!r}, heading {detail!r}); "
            "is this the neutral page for previews, or a paid/void/expired link?"
        )
    return wait


def check_visible(driver, wait, expected_amount, expected_number, failures):
    try:
        amount = wait.until(EC.visibility_of_element_located(AMOUNT))
    except TimeoutException:
        failures.append("#amount is on the page but not displayed")
        amount = None
    if amount is not None:
        shown = normalise(amount.text)
        if shown != normalise(expected_amount):
            failures.append(f"#amount reads {shown!r}, expected {normalise(expected_amount)!r}")
    try:
        number = wait.until(EC.visibility_of_element_located(NUMBER))
    except TimeoutException:
        failures.append("the invoice number (strong.number) is missing or not displayed")
        number = None
    if number is not None:
        shown = normalise(number.text)
        if shown != normalise(expected_number):
            failures.append(f"invoice number reads {shown!r}, expected {normalise(expected_number)!r}")
    return amount, number


def check_inside_viewport(name, element, failures):
    rect = element.rect
    left, right = rect["x"], rect["x"] + rect["width"]
    if left < -EPSILON or right > VIEWPORT_WIDTH + EPSILON or rect["width"] <= 0:
        failures.append(
            f"{name} is not fully inside the {VIEWPORT_WIDTH}px viewport: "
            f"x={left:.1f}, right edge={right:.1f}, width={rect['width']:.1f}"
        )
    return rect


def check_layout(driver, failures):
    """Needs WebDriver's script command; raises WebDriverException if it is unavailable."""
    metrics = driver.execute_script(
        "return {scrollWidth: document.documentElement.scrollWidth,"
        " bodyScrollWidth: document.body ? document.body.scrollWidth : 0,"
        " innerWidth: window.innerWidth,"
        " fontSize: getComputedStyle(document.getElementById('amount')).fontSize,"
        " sheets: document.styleSheets.length};"
    )
    if metrics is None:
        raise WebDriverException("execute_script returned nothing")
    if metrics["innerWidth"] != VIEWPORT_WIDTH:
        failures.append(
            f"window.innerWidth is {metrics['innerWidth']}, expected {VIEWPORT_WIDTH} (phone emulation off?)"
        )
    widest = max(metrics["scrollWidth"], metrics["bodyScrollWidth"])
    if widest > metrics["innerWidth"]:
        failures.append(
            f"the page scrolls sideways: scrollWidth {widest} > innerWidth {metrics['innerWidth']}"
        )
    check_font(metrics["fontSize"], failures)
    return metrics


def check_font(font_size, failures):
    match = re.match(r"([0-9.]+)px", font_size or "")
    if not match:
        failures.append(f"cannot read the computed font-size of #amount: {font_size!r}")
    elif float(match.group(1)) <= MIN_AMOUNT_FONT_PX:
        failures.append(
            f"#amount font-size is {font_size}, not above {MIN_AMOUNT_FONT_PX:g}px: "
            "the stylesheet did not load or apply"
        )


def check_accessibility(driver, script, failures, notes):
    """axe on the page as loaded; serious and critical violations fail, the others are noted."""
    violations = run_axe(driver, script)
    serious = blocking(violations)
    failures.extend(f"axe: {line}" for line in describe(serious))
    others = [violation for violation in violations if violation not in serious]
    notes.extend(f"axe, minor or moderate (not failing): {line}" for line in describe(others))
    if not violations:
        notes.append("axe: no violation")


def run(url, expected_amount, expected_number, screenshot, axe):
    failures = []
    notes = []
    layout_done = False

    # Pass 1: JavaScript off, as some customers browse, and as the page promises to work.
    driver = make_driver(javascript=False)
    try:
        if not javascript_is_off(driver):
            failures.append("JavaScript is still on in the no-JS session; its checks prove nothing")
        wait = open_page(driver, url)
        amount, number = check_visible(driver, wait, expected_amount, expected_number, failures)
        if amount is not None:
            rect = check_inside_viewport("#amount", amount, failures)
            notes.append(f"#amount at x={rect['x']:.1f} width={rect['width']:.1f}")
            # The computed style comes through WebDriver itself, no script needed.
            check_font(amount.value_of_css_property("font-size"), failures)
        if number is not None:
            check_inside_viewport("invoice number", number, failures)
        try:
            metrics = check_layout(driver, failures)
            layout_done = True
            notes.append(
                f"scrollWidth={metrics['scrollWidth']} innerWidth={metrics['innerWidth']} "
                f"amount font-size={metrics['fontSize']} (measured with page JS off)"
            )
        except WebDriverException as error:
            notes.append(f"script command unavailable with JS off ({error.msg or error}); measuring again with JS on")
        if screenshot:
            if driver.save_screenshot(screenshot):
                notes.append(f"screenshot: {screenshot}")
            else:
                failures.append(f"could not save the screenshot to {screenshot}")
    finally:
        driver.quit()

    # Pass 2: JavaScript on, for axe, and for the layout measurements if pass 1 could not take them.
    driver = make_driver(javascript=True)
    try:
        open_page(driver, url)
        if not layout_done:
            metrics = check_layout(driver, failures)
            notes.append(
                f"scrollWidth={metrics['scrollWidth']} innerWidth={metrics['innerWidth']} "
                f"amount font-size={metrics['fontSize']} (measured with page JS on)"
            )
        check_accessibility(driver, axe, failures, notes)
    finally:
        driver.quit()
    return failures, notes


def main(argv):
    if len(argv) not in (4, 5) or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    url, expected_amount, expected_number = argv[1], argv[2], argv[3]
    screenshot = argv[4] if len(argv) == 5 else None
    try:
        failures, notes = run(url, expected_amount, expected_number, screenshot, axe_script())
    except (AxeMissing, AxeError) as error:
        failures, notes = [str(error)], []
    except CheckFailed as error:
        failures, notes = [str(error)], []
    except WebDriverException as error:
        failures, notes = [f"browser error: {error.msg or error}"], []
    for note in notes:
        print(f"  {note}")
    if failures:
        print(f"FAIL phone page {url}")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(
        f"PASS phone page: amount {normalise(expected_amount)!r}, invoice {expected_number}, fits {VIEWPORT_WIDTH}px, "
        "no serious or critical axe violation"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
