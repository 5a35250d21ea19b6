"""The dashboard's checks in Chromium: what a person signing in would see and do."""
import datetime
from decimal import Decimal
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import API

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = ["/", "/accounts", "/accounts/{account}", "/transactions", "/investments", "/banks", "/rules", "/settings"]


def pages(api):
    account = api.get("/api/v1/accounts")["items"][0]["id"]
    return [path.format(account=account) for path in PAGES]


def formatted(page, amount, currency):
    """The amount as the page's locale writes it, by the browser's own Intl."""
    return page.evaluate("([a, c]) => new Intl.NumberFormat(undefined, {style: 'currency', currency: c}).format(a)",
                         [amount, currency])


def net_worth_text(page):
    return page.text_content("[data-testid=net-worth]").strip()


def manual_account(api, name):
    status, body = api.call("POST", "/api/v1/accounts", {"name": name, "type": "checking", "currency": "USD"})
    assert status == 201, body
    return body["id"]


@pytest.mark.parametrize("watched", [{"locale": "en-US"}, {"locale": "de-DE"}], indirect=True)
def test_net_worth_matches_the_api_to_the_cent(watched, api):
    page = watched.sign_in()
    overview = api.get("/api/v1/balances/overview")
    expected = formatted(page, overview["net_worth"], overview["base_currency"])
    assert net_worth_text(page) == expected
    assert watched.problems == []


def test_every_page_loads_cleanly_and_stays_on_this_server(watched, api, server):
    watched.sign_in()
    for path in pages(api):
        response = watched.page.goto(watched.base + path)
        assert response.status == 200
        csp = response.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
        watched.ready()
        assert watched.page.locator("h1").count() == 1, path
    assert watched.problems == []
    assert watched.foreign == [], "requests left the server's origin"


def test_filtering_by_account_and_dates_counts_what_the_api_counts(watched, api):
    watched.sign_in()
    account = next(a for a in api.get("/api/v1/accounts")["items"] if a["type"] == "checking")["id"]
    today = datetime.date.today()
    start, end = (today - datetime.timedelta(days=120)).isoformat(), (today - datetime.timedelta(days=10)).isoformat()
    totals = api.get(f"/api/v1/transactions?account_id={account}&from={start}&to={end}&limit=1")["totals"]
    expected = sum(t["count"] for t in totals)
    assert expected > 0
    page = watched.goto(f"/transactions?account_id={account}&from={start}&to={end}")
    page.wait_for_function("n => document.querySelector('[data-testid=tx-count]')?.textContent.replace(/\\D/g, '') === String(n)",
                           arg=expected)
    everything = sum(t["count"] for t in api.get("/api/v1/transactions?limit=1")["totals"])
    assert everything > expected
    # The export is of the same filter: a header and one line per transaction.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    lines = Path(download.value.path()).read_text().strip().splitlines()
    assert len(lines) == expected + 1
    assert watched.problems == []


def test_a_category_changed_inline_stays_and_is_audited(watched, api):
    watched.sign_in()
    page = watched.goto("/transactions")
    row = page.locator("[data-testid=tx-row]").first
    transaction = row.get_attribute("data-id")
    before = api.get(f"/api/v1/transactions/{transaction}")["category"]
    select = row.locator("[data-testid=tx-category]")
    choices = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o and o != before]
    choice = choices[0]
    with page.expect_response(lambda r: f"/api/v1/transactions/{transaction}" in r.url and r.request.method == "PATCH") as answer:
        select.select_option(choice)
    assert answer.value.status == 200
    assert api.get(f"/api/v1/transactions/{transaction}")["category"] == choice
    page.reload()
    watched.ready()
    again = page.locator(f"[data-testid=tx-row][data-id='{transaction}'] [data-testid=tx-category]")
    assert again.input_value() == choice
    trail = api.get("/api/v1/audit-events?limit=50")["items"]
    assert any(e.get("entity_id", "").lower() == transaction.lower() and e["action"] == "update" for e in trail)
    assert watched.problems == []


def test_an_ofx_file_dropped_on_the_import_area_adds_its_rows(watched, api):
    account = manual_account(api, "Dropped statements")
    watched.sign_in()
    page = watched.goto("/transactions")
    before = sum(t["count"] for t in api.get(f"/api/v1/transactions?account_id={account}&limit=1").get("totals", []))
    assert before == 0
    # The import goes to the account chosen beside the drop area.
    area = page.locator("[data-testid=import-drop]")
    area.scroll_into_view_if_needed()
    target = page.get_by_label(re.compile("account", re.I)).and_(page.locator("[data-testid=import-account]"))
    target.select_option(account)
    text = (FIXTURES / "statement.ofx").read_text()
    handle = page.evaluate_handle("""text => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], 'statement.ofx', {type: 'application/x-ofx'}));
        return transfer;
    }""", text)
    area.dispatch_event("dragenter", {"dataTransfer": handle})
    area.dispatch_event("dragover", {"dataTransfer": handle})
    area.dispatch_event("drop", {"dataTransfer": handle})
    # A preview first, then the import once confirmed.
    confirm = page.locator("[data-testid=import-confirm]")
    confirm.wait_for(state="visible")
    assert sum(t["count"] for t in api.get(f"/api/v1/transactions?account_id={account}&limit=1").get("totals", [])) == 0
    confirm.click()
    page.wait_for_selector("[data-testid=import-result]")
    assert "3" in page.text_content("[data-testid=import-result]")
    added = api.get(f"/api/v1/transactions?account_id={account}&limit=10")["items"]
    assert sorted(Decimal(t["amount"]) for t in added) == [Decimal("-1200"), Decimal("-4.5"), Decimal("2500")]
    assert watched.problems == []


def test_a_transaction_from_another_session_appears_on_the_open_overview(watched, api):
    account = manual_account(api, "Live cash")
    page = watched.sign_in()
    # The page's live status says its stream is open before the write happens.
    page.wait_for_selector("[data-testid=live-status][data-state=live]", timeout=30_000)
    before = api.get("/api/v1/balances/overview")
    assert net_worth_text(page) == formatted(page, before["net_worth"], before["base_currency"])
    status, body = api.call("POST", "/api/v1/transactions", {"account_id": account, "date": datetime.date.today().isoformat(),
                                                              "amount": "1234.56", "description": "Bonus"})
    assert status == 201, body
    after = api.get("/api/v1/balances/overview")
    assert after["net_worth"] != before["net_worth"]
    page.wait_for_function("t => document.querySelector('[data-testid=net-worth]').textContent.trim() === t",
                           arg=formatted(page, after["net_worth"], after["base_currency"]), timeout=15_000)
    assert watched.problems == []


def test_a_bank_links_through_plaids_hosted_page(watched, api, server):
    watched.sign_in()
    page = watched.goto("/banks")
    before = len(api.get("/api/v1/connections")["items"])
    page.get_by_role("button", name="Link a bank").click()
    page.get_by_role("button", name=re.compile("continue to plaid", re.I)).click()
    # Plaid's page (the simulator's, on its own port): choose a bank and continue.
    page.wait_for_url(server["simulator"] + "/hosted-link/**")
    page.get_by_label("Tartan Bank", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/banks$"))
    # The page says the bank is linked, or shows why not.
    page.wait_for_function("""() => document.querySelector('.page').textContent.includes('Tartan Bank linked.')
        || [...document.querySelectorAll('[role=alert]')].some((a) => !a.hidden && a.textContent.trim())""")
    alerts = [t for t in page.locator("[role=alert]").all_text_contents() if t.strip()]
    assert alerts == [] and page.locator("text=Tartan Bank linked.").count() == 1, alerts
    watched.ready()
    connections = api.get("/api/v1/connections")["items"]
    assert len(connections) == before + 1
    assert any(c["institution_name"] == "Tartan Bank" for c in connections)
    assert page.locator("article.bk-conn h2", has_text="Tartan Bank").count() == 1
    assert watched.problems == []


def test_a_portfolio_kept_by_hand_takes_a_trade(watched, api):
    watched.sign_in()
    page = watched.goto("/investments")
    adding = page.locator("form[aria-label='New portfolio']")
    adding.get_by_label("Name").fill("Kept by hand")
    adding.get_by_role("button", name="Add portfolio").click()
    page.wait_for_selector("text=Portfolio Kept by hand added.", state="attached")
    watched.ready()
    security = page.locator("form[aria-label='New security']")
    security.get_by_label("Symbol").fill("ACME")
    security.get_by_label("Name").fill("Acme Corporation")
    security.get_by_role("button", name="Add security").click()
    page.wait_for_selector("text=Security Acme Corporation added.", state="attached")
    trade = page.locator("form[aria-label='Record an investment transaction']")
    trade.get_by_label("Security").select_option(label="ACME · Acme Corporation")
    trade.get_by_label("Quantity").fill("10")
    trade.get_by_label("Price per unit").fill("12.50")
    trade.get_by_role("button", name="Record").click()
    page.wait_for_selector("text=Recorded: Buy", state="attached")
    portfolio = next(p for p in api.get("/api/v1/portfolios")["items"] if p["name"] == "Kept by hand")
    items = api.get(f"/api/v1/portfolios/{portfolio['id']}/items")["items"]
    assert [Decimal(i["quantity"]) for i in items] == [Decimal(10)]
    assert watched.problems == []


TABS = ["/accounts", "/transactions", "/rules", "/banks", "/settings", "/investments"]


def test_tabs_opened_at_once_all_stay_signed_in(watched, api):
    page = watched.sign_in()
    # Each new tab trades the shared cookie for its own access token at the same moment; a refresh
    # token works once, so the tabs must take turns or the session would end as if a copy were stolen.
    with page.context.expect_page() as last:
        page.evaluate("() => { for (const path of PATHS) window.open(path); }".replace("PATHS", str(TABS)))
    last.value.wait_for_load_state()
    tabs = [p for p in page.context.pages if p != page]
    assert len(tabs) == len(TABS)
    for tab in tabs:
        tab.wait_for_selector("main h1", state="visible", timeout=30_000)
        assert "/signin" not in tab.url, tab.url
    page.reload()
    watched.ready()
    assert page.url.rstrip("/") == watched.base
    assert watched.problems == []


@pytest.mark.parametrize("watched", [{"color_scheme": "light"}, {"color_scheme": "dark"}], indirect=True)
def test_no_serious_accessibility_violation_on_any_page(watched, api):
    axe = Axe()
    watched.sign_in()
    found = {}
    for path in pages(api) + ["/signin", "/register"]:
        if path in ("/signin", "/register"):
            watched.page.context.clear_cookies()
            watched.page.goto(watched.base + path)
            watched.page.wait_for_selector("main h1")
        else:
            watched.goto(path)
        results = axe.run(watched.page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    assert found == {}


@pytest.mark.parametrize("watched", [{"viewport": {"width": 390, "height": 844}},
                                     {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"}], indirect=True)
def test_a_phone_never_scrolls_sideways(watched, api):
    watched.sign_in()
    wide = {}
    for path in pages(api):
        page = watched.goto(path)
        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if width[0] > width[1]:
            wide[path] = width
    assert wide == {}
    assert watched.problems == []
