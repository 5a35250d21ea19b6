"""Renders docs/screenshots: every page of the dashboard, desktop (1280 px) and phone (390 px), light
and dark, signed in with the demo login. Start a demo first (`swift run finance demo`), then:

    python3 Tests/Browser/screenshots.py [--base http://127.0.0.1:8080]
"""
import argparse
import json
import os
import re
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
parser = argparse.ArgumentParser()
parser.add_argument("--base", default="http://127.0.0.1:8080")
parser.add_argument("--out", default=str(ROOT / "docs/screenshots"))
args = parser.parse_args()
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)


def first_account():
    login = urllib.request.Request(args.base + "/api/v1/auth/login", method="POST", headers={"Content-Type": "application/json"},
                                   data=json.dumps({"email": "demo@example.com", "password": "demo password 2026"}).encode())
    token = json.load(urllib.request.urlopen(login))["access_token"]
    accounts = urllib.request.Request(args.base + "/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    return next(a for a in json.load(urllib.request.urlopen(accounts))["items"] if a["type"] == "checking")["id"]


PAGES = {"overview": "/", "accounts": "/accounts", "account": f"/accounts/{first_account()}", "transactions": "/transactions",
         "investments": "/investments", "banks": "/banks", "rules": "/rules", "settings": "/settings"}
DEVICES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"])
    for device, viewport in DEVICES.items():
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=viewport, color_scheme=scheme, locale="en-US",
                                          device_scale_factor=1)
            page = context.new_page()
            page.goto(args.base + "/signin")
            page.wait_for_selector("main h1")
            page.screenshot(path=out / f"signin-{device}-{scheme}.png")
            page.goto(args.base + "/register")
            page.wait_for_selector("main h1")
            page.screenshot(path=out / f"register-{device}-{scheme}.png")
            page.goto(args.base + "/signin")
            page.wait_for_selector("main h1")
            page.get_by_label(re.compile("email", re.I)).fill("demo@example.com")
            page.get_by_label(re.compile("password", re.I)).fill("demo password 2026")
            page.get_by_role("button", name=re.compile("sign in", re.I)).click()
            page.wait_for_selector("[data-testid=net-worth]")
            for name, path in PAGES.items():
                page.goto(args.base + path)
                page.wait_for_selector("main h1")
                page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
                page.wait_for_timeout(300)
                # A desktop shot shows the page down to 1,800 px (a long list is cut there); a phone's, its screen.
                height = min(page.evaluate("document.documentElement.scrollHeight"), 1800) if device == "desktop" else viewport["height"]
                page.screenshot(path=out / f"{name}-{device}-{scheme}.png", full_page=True,
                                clip={"x": 0, "y": 0, "width": viewport["width"], "height": height})
            context.close()
    browser.close()
print(f"screenshots in {out}")
