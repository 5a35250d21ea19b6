# The dashboard's suite in a real browser: Debian's Chromium driven by Playwright (PyPI), with
# axe-core (bundled by axe-playwright-python) for accessibility. Installs what is missing, then runs
# the README's command. Source it, then call check_browser with the debug build in place.

install_browser_if_missing() {
    if [ ! -x /usr/bin/chromium ]; then
        echo "Installing chromium from Debian..."
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    if ! python3 -c 'import playwright, axe_playwright_python, pytest' 2>/dev/null; then
        echo "Installing playwright, axe-playwright-python and pytest from PyPI..."
        # A Debian system Python refuses pip outside a venv (PEP 668): CI's machine is its own to change.
        python3 -m pip install -q playwright axe-playwright-python pytest >/dev/null 2>&1 \
            || python3 -m pip install -q --break-system-packages playwright axe-playwright-python pytest >/dev/null
    fi
}

check_browser() {
    install_browser_if_missing
    local log
    log=$(mktemp)
    set +e
    python3 -m pytest Tests/Browser -q -p no:cacheprovider 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then echo "the browser suite failed (exit $status)"; exit "$status"; fi
    if ! grep -Eq '[0-9]+ passed' "$log"; then echo "the browser suite ran no test"; exit 1; fi
    rm -f "$log"
}
