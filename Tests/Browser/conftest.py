"""The dashboard in a real browser: a real server in demo mode (a simulated bank linked for the
demo user), Debian's Chromium driven by Playwright.

    swift build && python3 -m pytest Tests/Browser

FINANCE_BIN names the server binary (default .build/debug/finance); CHROMIUM the browser
(default /usr/bin/chromium).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "demo@example.com"
PASSWORD = "demo password 2026"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class API:
    """The public JSON API, as a second client of the same user (another session)."""

    def __init__(self, base):
        self.base = base
        self.token = None

    def call(self, method, path, body=None, raw=None, content_type="application/json", token=True):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if raw is not None:
            data = raw
            headers["Content-Type"] = content_type
        if token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text and text[0] in "[{" else text)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            return error.code, (json.loads(text) if text.startswith("{") else text)

    def sign_in(self):
        status, body = self.call("POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, token=False)
        assert status == 200, body
        self.token = body["access_token"]
        return self

    def get(self, path):
        status, body = self.call("GET", path)
        assert status == 200, (path, status, body)
        return body


@pytest.fixture(scope="session")
def server():
    binary = Path(os.environ.get("FINANCE_BIN", ROOT / ".build/debug/finance"))
    assert binary.exists(), f"{binary} is missing: run `swift build` first"
    data = tempfile.mkdtemp(prefix="finance-browser-")
    port, simulator = free_port(), free_port()
    env = dict(os.environ, FINANCE_DATA_DIR=data, LOG_LEVEL="warning")
    env.pop("DATABASE_URL", None)
    log = open(Path(data) / "server.log", "w+")
    process = subprocess.Popen([str(binary), "demo", "--port", str(port), "--simulator-port", str(simulator)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while True:
        log.seek(0)
        if "Sign in as" in log.read():
            break
        if process.poll() is not None or time.time() > deadline:
            log.seek(0)
            raise RuntimeError("the demo server did not start:\n" + log.read()[-4000:])
        time.sleep(0.5)
    yield {"base": base, "simulator": f"http://127.0.0.1:{simulator}", "port": port}
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def api(server):
    return API(server["base"]).sign_in()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                                             args=["--no-sandbox"])
        yield browser
        browser.close()


class Watched:
    """A page whose console errors, failed requests, error answers and requests to any other
    origin are kept, to be asserted empty."""

    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.problems = []
        self.foreign = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.note_failure(r))
        page.on("response", lambda r: r.status >= 400 and not self.expected(r)
                and self.problems.append(f"{r.status} {r.request.method} {r.url}"))
        page.on("request", lambda r: r.url.startswith(("http://", "https://", "ws://", "wss://"))
                and not r.url.startswith(base) and self.foreign.append(r.url))
        self.allowed = set()

    def expected(self, response):
        # Signing in starts with a refresh that finds no cookie: that 401 is how the page learns it.
        return response.url.endswith("/api/v1/auth/web/refresh") and response.status == 401 or response.url in self.allowed

    def note_failure(self, request):
        # A page left while its stream or a read was open cancels them: not a failure of the page.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.problems.append(f"failed: {request.method} {request.url} {request.failure}")

    def goto(self, path):
        self.page.goto(self.base + path)
        return self.ready()

    def ready(self):
        """Waits until the page drew what it shows: its <h1>, and no part still loading."""
        self.page.wait_for_selector("main h1", state="visible", timeout=30_000)
        self.page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')", timeout=30_000)
        return self.page

    def sign_in(self):
        self.page.goto(self.base + "/signin")
        self.page.get_by_label(re.compile("email", re.I)).fill(EMAIL)
        self.page.get_by_label(re.compile("password", re.I)).fill(PASSWORD)
        self.page.get_by_role("button", name=re.compile("sign in", re.I)).click()
        self.page.wait_for_selector("[data-testid=net-worth]", timeout=30_000)
        return self.ready()


@pytest.fixture
def watched(browser, server, request):
    options = getattr(request, "param", {}) or {}
    context = browser.new_context(viewport=options.get("viewport", {"width": 1280, "height": 900}),
                                  locale=options.get("locale", "en-US"),
                                  color_scheme=options.get("color_scheme", "light"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    watch = Watched(page, server["base"])
    yield watch
    context.close()
