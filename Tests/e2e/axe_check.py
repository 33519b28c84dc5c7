"""axe-core accessibility checks for the browser walks (dashboard_pages.py, phone_page.py).

axe's script comes from the installed PyPI package `axe-selenium-python` (it bundles axe-core's
axe.min.js), is read from disk and injected through WebDriver: nothing is fetched from a CDN, and the
page itself never loads a script. A run fails on any violation whose impact is serious or critical;
minor and moderate ones are reported by `describe` but do not fail.

    from axe_check import AxeError, AxeMissing, blocking, describe, run_axe
    violations = run_axe(driver)          # every violation axe finds on the current page
    for line in describe(blocking(violations)):
        print(line)
"""

import os

PACKAGE = "axe-selenium-python"
BLOCKING = ("serious", "critical")
NODES_SHOWN = 3


class AxeMissing(Exception):
    """The axe package is not installed: the walk cannot check accessibility and must fail."""


class AxeError(Exception):
    """axe was injected but did not give results."""


def axe_script():
    """axe.min.js as text, from the installed package; AxeMissing when the package or file is absent."""
    try:
        import axe_selenium_python
    except ImportError:
        raise AxeMissing(
            f"the Python package {PACKAGE!r} (axe-core for Selenium) is not installed: "
            f"python3 -m pip install {PACKAGE}"
        ) from None
    path = os.path.join(os.path.dirname(axe_selenium_python.__file__), "node_modules", "axe-core", "axe.min.js")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise AxeMissing(f"{PACKAGE} is installed but its axe.min.js cannot be read: {error}") from None


# The axe-core the package bundles (3.1) wrongly reports autocomplete="off" (or "on") on an input whose type is not
# text, such as <input type="tel" autocomplete="off">; HTML allows both on every input, and axe-core's own later
# versions accept them. The check's options give those two terms every input type; nothing else is relaxed.
# Results only for violations (passes and incomplete are large and unused here).
RUN = """
const done = arguments[arguments.length - 1];
const everyType = ['text', 'search', 'email', 'tel', 'url', 'number', 'password', 'date', 'month', 'week', 'time',
                   'datetime-local', 'range', 'color', 'file', 'checkbox', 'radio'];
axe.configure({checks: [{id: 'autocomplete-appropriate', options: {on: everyType, off: everyType}}]});
axe.run(document, {resultTypes: ['violations']})
  .then(results => done({violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' '))}))}))
  .catch(error => done({error: String(error)}));
"""


def run_axe(driver, script=None):
    """Injects axe into the current page and returns its violations as dicts (id, impact, help, nodes)."""
    driver.execute_script(script if script is not None else axe_script())
    driver.set_script_timeout(60)
    outcome = driver.execute_async_script(RUN)
    if not outcome or "error" in outcome:
        raise AxeError(f"axe did not run: {outcome.get('error') if outcome else 'no result'}")
    return outcome["violations"]


def blocking(violations):
    """The violations that fail a walk: impact serious or critical."""
    return [violation for violation in violations if violation["impact"] in BLOCKING]


def describe(violations):
    """One line per violation: rule id, impact, how many nodes, and the first nodes' selectors."""
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        shown = ", ".join(nodes[:NODES_SHOWN])
        if len(nodes) > NODES_SHOWN:
            shown += f" (+{len(nodes) - NODES_SHOWN} more)"
        lines.append(f"{violation['id']} ({violation['impact']}, {len(nodes)} nodes: {shown}): {violation['help']}")
    return lines
