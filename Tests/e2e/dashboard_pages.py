#!/usr/bin/env python3
"""Signs in to the dashboard and looks at every page at desktop and phone size.

Usage:
    python3 Tests/e2e/dashboard_pages.py BASE_URL EMAIL PASSWORD [SCREENSHOT_DIR]

Example:
    python3 Tests/e2e/dashboard_pages.py http://127.0.0.1:8080 owner@example.com 'secret' /tmp

Headless Chromium (Debian `chromium` + `chromium-driver`). Signs in through /login, then at 1280x800 and
at 390x844 opens the home page, the invoice list, the first invoice of the list, the new-invoice form, the
import page, the customer list and the first customer's page, the requests inbox, the templates, one
template's editor, "what works", the settings and the users, in the person's language and again in the
other one after using the header's language switch, and checks on each:
  * the page is the dashboard page asked for (not the sign-in form), with exactly one h1;
  * it does not scroll sideways (wide tables scroll inside their own box);
  * every visible form field has a label (a <label for>, a wrapping <label>, or aria-label);
  * no request left the site (no external URL in src or href attributes of assets);
  * axe-core finds no violation of impact serious or critical (the sign-in page too); each one is
    printed with its rule id, impact and first nodes' selectors, and all are listed before failing.
And on each page's header: at 1280x800 the sections and "Sign out" show in the bar without a click; at
390x844 the bar is one row (at most a tenth of the screen's height) and its "Menu" opens on a tap to show
every section and "Sign out" inside the screen's width.
axe's script comes from the installed PyPI package axe-selenium-python (no CDN); without it the walk fails.
At desktop size it then works as an owner would: types a new invoice, imports a 50-row CSV with one bad
line (the line is shown and nothing can be confirmed), imports the corrected file and waits for the
result, and corrects an imported customer's phone number.
Screenshots dashboard-PAGE-WIDTH-LANG.png go to SCREENSHOT_DIR when given.
Exit status: 0 when every check passes, 1 when one fails, 2 on bad usage.
"""

import os
import shutil
import sys

os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from axe_check import AxeError, AxeMissing, axe_script, blocking, describe, run_axe  # noqa: E402

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

PHONE_HEADER_SHARE = 0.10  # the phone's bar may take this much of the screen's height
HEADER = """
const bar = document.querySelector('header.bar');
const shown = e => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
const links = [...bar.querySelectorAll('nav a')];
return {height: bar.getBoundingClientRect().height, screen: window.innerHeight, width: window.innerWidth,
        summary: shown(bar.querySelector('summary')), links: links.length,
        hidden: links.filter(a => !shown(a)).map(a => a.textContent),
        outside: links.filter(a => shown(a) && a.getBoundingClientRect().right > window.innerWidth + 1)
                      .map(a => a.textContent),
        signout: shown(bar.querySelector('.signout button'))};
"""


class CheckFailed(Exception):
    pass


class Axe:
    """Runs axe on each page of the walk and keeps what it finds, so the walk can list every page's problems."""

    def __init__(self, script):
        self.script = script
        self.failures = []
        self.notes = []

    def check(self, driver, label):
        violations = run_axe(driver, self.script)
        serious = blocking(violations)
        self.failures.extend(f"{label}: {line}" for line in describe(serious))
        self.notes.extend(f"{label}: {line}" for line in describe([v for v in violations if v not in serious]))


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


def wait(driver, seconds):
    # A page that reloads while a condition is checked leaves it holding the old page's elements: ask
    # again rather than fail (Selenium's default only ignores elements not found yet).
    return WebDriverWait(driver, seconds, ignored_exceptions=(StaleElementReferenceException,))


def sign_in(driver, base, email, password):
    driver.get(base + "/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    form = driver.find_element(By.TAG_NAME, "form")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver, 15).until(lambda d: d.find_element(By.TAG_NAME, "form") != form)
    if "/login" in driver.current_url:
        message = driver.find_elements(By.ID, "message")
        raise CheckFailed("sign-in refused: " + (message[0].text if message else "no message"))


def check_header(driver, width):
    """The bar shows every section on a wide screen; on a phone it is one row whose Menu opens on a tap.
    Runs before the screenshot, whose metrics override leaves a wrong viewport until the next page load."""
    state = driver.execute_script(HEADER)
    if state["links"] < 6:
        raise CheckFailed(f"header at {width}px: {state['links']} section links, expected at least 6")
    if width >= 500:
        if state["summary"] or state["hidden"] or not state["signout"]:
            raise CheckFailed(
                f"header at {width}px: sections hidden {state['hidden']}, Menu shown {state['summary']}, "
                f"Sign out shown {state['signout']}: the wide bar should show everything without a click"
            )
        return
    if state["height"] > PHONE_HEADER_SHARE * state["screen"]:
        raise CheckFailed(
            f"header at {width}px is {state['height']:.0f}px high, more than {PHONE_HEADER_SHARE:.0%} "
            f"of the {state['screen']}px screen"
        )
    if not state["summary"]:
        raise CheckFailed(f"header at {width}px: no Menu button")
    driver.find_element(By.CSS_SELECTOR, "header.bar summary").click()
    opened = driver.execute_script(HEADER)
    if opened["hidden"] or opened["outside"] or not opened["signout"]:
        raise CheckFailed(
            f"header at {width}px after tapping Menu: hidden {opened['hidden']}, wider than the screen "
            f"{opened['outside']}, Sign out shown {opened['signout']}"
        )
    driver.find_element(By.CSS_SELECTOR, "header.bar summary").click()


def check_page(driver, base, path, expected_h1, name, suffix, directory, axe):
    width = int(suffix.split("-")[0])
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
    axe.check(driver, f"{path} at {width}px")
    check_header(driver, width)
    if directory:
        driver.get(base + path)  # as it loads: axe scrolls wide tables to test them, and Menu was tapped
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": min(max(height, 400), 5000), "deviceScaleFactor": 1, "mobile": width < 500},
        )
        driver.save_screenshot(os.path.join(directory, f"dashboard-{name}-{suffix}.png"))
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# Each page's h1 (or a part of it) in each language.
H1 = {
    "en": {
        "home": "Today", "invoices": "Invoices", "invoice": "Invoice", "invoice-new": "New invoice",
        "import": "Import invoices", "customers": "Customers", "requests": "Requests", "templates": "Templates",
        "template": "Wording", "results": "What works", "settings": "Settings", "users": "Users",
    },
    "fr": {
        "home": "Aujourd’hui", "invoices": "Factures", "invoice": "Facture", "invoice-new": "Nouvelle facture",
        "import": "Importer des factures", "customers": "Clients", "requests": "Demandes", "templates": "Messages",
        "template": "Texte pour", "results": "Efficacité des relances", "settings": "Réglages", "users": "Utilisateurs",
    },
}


def language(driver):
    return driver.execute_script("return document.documentElement.lang")


def switch_language(driver, width):
    """Uses the header's language button (inside Menu on a phone), as a person would."""
    driver.get(driver.current_url)  # as it loads: the walk's checks leave axe's marks and an opened Menu
    before = language(driver)
    summary = driver.find_elements(By.CSS_SELECTOR, "header.bar summary")
    if summary and summary[0].is_displayed() and not driver.find_element(By.CSS_SELECTOR, "header.bar details").get_attribute("open"):
        summary[0].click()
    # A pointer click where the button is: Selenium counts what sits in a closed <details> as hidden, though the
    # wide bar shows it (display: contents), so its element click would refuse.
    ActionChains(driver).move_to_element(driver.find_element(By.CSS_SELECTOR, "button.language")).click().perform()
    wait(driver, 15).until(lambda d: language(d) != before)


def walk(driver, base, width, directory, axe):
    lang = language(driver)
    h1 = H1[lang]
    suffix = f"{width}-{lang}"
    check_page(driver, base, "/dashboard", h1["home"], "home", suffix, directory, axe)
    check_page(driver, base, "/dashboard/invoices?status=all", h1["invoices"], "invoices", suffix, directory, axe)
    links = driver.find_elements(By.CSS_SELECTOR, "#invoices tbody a")
    if not links:
        raise CheckFailed("the invoice list is empty")
    invoice_path = links[0].get_attribute("href").replace(base, "")
    check_page(driver, base, invoice_path, h1["invoice"], "invoice", suffix, directory, axe)
    check_page(driver, base, "/dashboard/invoices/new", h1["invoice-new"], "invoice-new", suffix, directory, axe)
    check_page(driver, base, "/dashboard/import", h1["import"], "import", suffix, directory, axe)
    check_page(driver, base, "/dashboard/customers", h1["customers"], "customers", suffix, directory, axe)
    people = driver.find_elements(By.CSS_SELECTOR, "#customers tbody a")
    if not people:
        raise CheckFailed("the customer list is empty")
    customer_path = people[0].get_attribute("href").replace(base, "")
    check_page(driver, base, customer_path, "", "customer", suffix, directory, axe)
    check_page(driver, base, "/dashboard/requests", h1["requests"], "requests", suffix, directory, axe)
    check_page(driver, base, "/dashboard/templates", h1["templates"], "templates", suffix, directory, axe)
    check_page(
        driver, base, "/dashboard/templates/late/fr?combined=0", h1["template"], "template", suffix, directory, axe
    )
    check_page(driver, base, "/dashboard/results", h1["results"], "results", suffix, directory, axe)
    check_page(driver, base, "/dashboard/settings", h1["settings"], "settings", suffix, directory, axe)
    check_page(driver, base, "/dashboard/users", h1["users"], "users", suffix, directory, axe)


def csv_rows(count, bad_line=None):
    """A spreadsheet as a billing program exports it: `count` invoices, the row on file line `bad_line` with an
    amount that is not one."""
    lines = ["Numéro;Client;Téléphone;Montant TTC;Échéance"]
    for index in range(1, count + 1):
        amount = "12O,00" if index + 1 == bad_line else f"{100 + index},50"
        lines.append(f"WALK-{index:03d};Client {index};+3361100{index:04d};{amount};2026-06-{1 + index % 28:02d}")
    return "\n".join(lines) + "\n"


def upload(driver, base, path):
    driver.get(base + "/dashboard/import")
    driver.find_element(By.ID, "file").send_keys(path)
    driver.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
    wait(driver, 30).until(lambda d: "/dashboard/import/" in d.current_url)


def work(driver, base, workdir):
    """What an owner does in a morning: types an invoice, imports a spreadsheet (a bad line found, fixed, then
    accepted) and corrects a customer's phone number."""
    driver.get(base + "/dashboard/invoices/new")
    driver.find_element(By.ID, "customer_name").send_keys("Walk Customer")
    driver.find_element(By.ID, "customer_phone").send_keys("+33 6 99 88 77 66")
    driver.find_element(By.ID, "number").send_keys("WALK-NEW-1")
    driver.find_element(By.ID, "amount").send_keys("250,00")
    for field, value in (("issued_on", "2026-03-01"), ("due_on", "2026-04-01")):
        element = driver.find_element(By.ID, field)
        driver.execute_script("arguments[0].value = arguments[1]", element, value)
    driver.find_element(By.CSS_SELECTOR, "main form button.primary").click()
    wait(driver, 15).until(lambda d: "/dashboard/invoices/new" not in d.current_url)
    heading = driver.find_element(By.TAG_NAME, "h1").text
    if "WALK-NEW-1" not in heading:
        raise CheckFailed(f"new invoice: landed on {driver.current_url} with h1 {heading!r}")

    bad = os.path.join(workdir, "walk-bad.csv")
    good = os.path.join(workdir, "walk.csv")
    with open(bad, "w", encoding="utf-8") as handle:
        handle.write(csv_rows(50, bad_line=17))
    with open(good, "w", encoding="utf-8") as handle:
        handle.write(csv_rows(50))
    upload(driver, base, bad)
    problems = driver.find_elements(By.CSS_SELECTOR, "#problems li")
    if len(problems) != 1 or not any(problems[0].text.startswith(w) for w in ("Line 17,", "Ligne 17,")):
        raise CheckFailed(f"import of a bad line: problems shown {[p.text for p in problems]}")
    if driver.find_elements(By.ID, "confirm"):
        raise CheckFailed("import of a bad line: the file can still be confirmed")
    upload(driver, base, good)
    summary = driver.find_element(By.ID, "summary").text
    if not summary.startswith("50 "):
        raise CheckFailed(f"import of the fixed file: summary {summary!r}")
    driver.find_element(By.CSS_SELECTOR, "#confirm button").click()
    wait(driver, 60).until(lambda d: d.find_elements(By.ID, "result"))
    result = driver.find_element(By.ID, "result").text
    if "50" not in result:
        raise CheckFailed(f"import result: {result!r}")

    driver.get(base + "/dashboard/customers?q=Client+7")
    people = [a for a in driver.find_elements(By.CSS_SELECTOR, "#customers tbody a") if a.text == "Client 7"]
    if not people:
        raise CheckFailed("the imported customer 'Client 7' is not in the list")
    people[0].click()
    phone = driver.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys("+33 6 55 44 33 22")
    phone.find_element(By.XPATH, "ancestor::form").find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver, 15).until(
        lambda d: d.find_element(By.ID, "phone").get_attribute("value") in ("+33655443322", "+33 6 55 44 33 22")
    )


def run(base, email, password, directory, axe):
    workdir = directory or "/tmp"
    for width, height in SIZES:
        driver = make_driver(width, height)
        try:
            driver.get(base + "/login")
            axe.check(driver, f"/login at {width}px")
            sign_in(driver, base, email, password)
            walk(driver, base, width, directory, axe)
            switch_language(driver, width)
            walk(driver, base, width, directory, axe)
            switch_language(driver, width)
            if width == SIZES[0][0]:
                work(driver, base, workdir)
        finally:
            driver.quit()


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        axe = Axe(axe_script())
    except AxeMissing as error:
        print(f"FAIL: {error}", file=sys.stderr)
        return 1
    failure = None
    try:
        run(argv[1].rstrip("/"), argv[2], argv[3], argv[4] if len(argv) == 5 else None, axe)
    except (CheckFailed, AxeError, WebDriverException) as error:
        failure = error
    for note in axe.notes:
        print(f"  axe, minor or moderate (not failing): {note}")
    if failure:
        print(f"FAIL: {failure}", file=sys.stderr)
    if axe.failures:
        where = "on the pages walked before that" if failure else "on the pages walked"
        print(
            f"FAIL: axe found {len(axe.failures)} serious or critical violation(s) {where}:\n  "
            + "\n  ".join(axe.failures),
            file=sys.stderr,
        )
    if failure or axe.failures:
        return 1
    print("ok: dashboard pages at 1280x800 and 390x844, no serious or critical axe violation")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
