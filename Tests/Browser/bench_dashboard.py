"""Times the dashboard in headless Chromium against a running server; run by `finance bench dashboard`,
which loads a large ledger and starts the server.

Per run, a fresh browser context signs in, then navigates (a full page load: the access token lives
in memory only, so each load starts by refreshing it from the cookie):
- to the overview, until its net worth is shown, nothing is loading and every chart has drawn;
- to the transactions page, until its first row is shown.
Times are from the navigation's start (performance.now() in the page).
"""
import argparse
import os
import re
import statistics

from playwright.sync_api import sync_playwright

parser = argparse.ArgumentParser()
parser.add_argument("--base", required=True)
parser.add_argument("--email", required=True)
parser.add_argument("--password", required=True)
parser.add_argument("--runs", type=int, default=5)
args = parser.parse_args()

# Complete: the net worth shown, no part of the page still loading (each part is aria-busy until it
# is drawn), and the net-worth chart drawn.
OVERVIEW_DONE = """() => document.querySelector('[data-testid=net-worth]')
    && !document.querySelector('[aria-busy="true"]')
    && document.querySelector('main figure.chart svg')"""


def wait_or_explain(page, condition, what):
    try:
        page.wait_for_function(condition, polling="raf")
    except Exception:
        state = page.evaluate("""() => ({busy: [...document.querySelectorAll('[aria-busy="true"]')].map(e => e.className || e.tagName),
            figures: document.querySelectorAll('main figure.chart').length, alerts: [...document.querySelectorAll('[role=alert]')].map(e => e.textContent)})""")
        page.screenshot(path="/tmp/bench-dashboard-failure.png", full_page=True)
        raise SystemExit(f"{what} never completed: {state} (screenshot /tmp/bench-dashboard-failure.png)")


def summary(values):
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values):.0f} ms, best {values[0]:.0f} ms, worst {values[-1]:.0f} ms, p95 {p95:.0f} ms"


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
    overview, transactions = [], []
    for run in range(args.runs + 1):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(args.base + "/signin")
        page.get_by_label(re.compile("email", re.I)).fill(args.email)
        page.get_by_label(re.compile("password", re.I)).fill(args.password)
        page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        page.wait_for_selector("[data-testid=net-worth]")

        page.goto(args.base + "/", wait_until="commit")
        wait_or_explain(page, OVERVIEW_DONE, "the overview")
        overview_ms = page.evaluate("performance.now()")

        page.goto(args.base + "/transactions", wait_until="commit")
        page.wait_for_selector("[data-testid=tx-row]", state="visible")
        transactions_ms = page.evaluate("performance.now()")
        context.close()
        if run > 0:  # the first run warms the server's caches and the browser's compiler: not counted
            overview.append(overview_ms)
            transactions.append(transactions_ms)
    browser.close()

print(f"  overview complete (net worth, charts drawn), {args.runs} page loads: {summary(overview)}")
print(f"  transactions page, first rows shown, {args.runs} page loads: {summary(transactions)}")
