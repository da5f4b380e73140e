"""End to end in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium): a real
uvicorn on 127.0.0.1 serves the app on a FakeAlpaca; the test logs in with the token, reads the top
signals, executes one after confirming, and watches the order go from submitted to filled. The page's
screenshot is saved (``signals_page.png`` in the test's tmp dir, and in $TRADEFORGE_SCREENSHOTS if set).
Skipped, with the reason, only where no browser can be started."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time

import pytest

TOKEN = "browser-token-canary-0123456789"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1366,1300")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(page_source, store, risk, clock):
    import uvicorn

    from tradeforge.engine.api import create_app

    source = page_source
    app = create_app(signal_source=source, store=store, risk=risk, clock=clock, token=TOKEN)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start on 127.0.0.1")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", source
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("no browser: Debian's chromium and chromium-driver are not installed "
                    "(apt-get install -y chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tf-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # a browser that cannot start on this machine is the one reason to skip
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"headless Chromium could not be started: {type(exc).__name__}: {str(exc)[:200]}")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, timeout=20.0):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:  # the page re-renders its rows: an element found a moment ago may be gone, so look again
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        target = os.environ.get("TRADEFORGE_SCREENSHOTS") or tempfile.gettempdir()
        os.makedirs(target, exist_ok=True)
        driver.save_screenshot(os.path.join(target, "signals_timeout.png"))
        raise


def _save(driver, tmp_path, name):
    png = driver.get_screenshot_as_png()
    path = tmp_path / name
    path.write_bytes(png)
    target = os.environ.get("TRADEFORGE_SCREENSHOTS")
    if target:
        os.makedirs(target, exist_ok=True)
        shutil.copy(path, os.path.join(target, name))
    return png


def test_page_lists_signals_and_executes_a_confirmed_trade(server, browser, fake, tmp_path):
    from selenium.webdriver.common.by import By

    url, source = server
    browser.get(url + "/")
    browser.find_element(By.ID, "token").send_keys(TOKEN)  # the login form; the token is never in a URL
    browser.find_element(By.ID, "go").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#rows tr[data-symbol]"))
    expected = source(source.calls[-1])
    rows = browser.find_elements(By.CSS_SELECTOR, "#rows tr[data-symbol]")
    assert [r.get_attribute("data-symbol") for r in rows] == [s["symbol"] for s in expected]
    assert 1 <= len(rows) <= 10
    first, sig = rows[0], expected[0]
    cells = first.find_elements(By.TAG_NAME, "td")
    assert cells[2].text == f"{sig['price']:.2f}"
    assert f"{100 * sig['confidence']:.1f} %" in cells[3].text
    assert f"{100 * sig['expected_return']:.2f} %" in cells[4].text
    assert cells[6].text == sig["time_horizon"]
    assert first.find_elements(By.CSS_SELECTOR, "svg.spark polyline")  # the small chart
    _wait(browser, lambda d: "$100,000.00" in d.find_element(By.ID, "equity").text)
    _save(browser, tmp_path, "signals_page.png")

    # Cancel in the confirmation: nothing is sent
    def button(symbol):  # looked up each time: the page re-renders its rows on every refresh
        return browser.find_element(By.CSS_SELECTOR, f'#rows tr[data-symbol="{symbol}"] button.execute')

    button(expected[1]["symbol"]).click()
    dialog = _wait(browser, lambda d: d.find_element(By.ID, "confirm") if d.find_element(By.ID, "confirm")
                   .get_attribute("open") is not None else None)
    assert dialog.find_element(By.ID, "c-symbol").text == expected[1]["symbol"]
    browser.find_element(By.ID, "c-cancel").click()
    _wait(browser, lambda d: d.find_element(By.ID, "confirm").get_attribute("open") is None)
    assert not fake.orders

    # Confirm: one paper bracket order, its state shown in the row
    button(sig["symbol"]).click()
    _wait(browser, lambda d: d.find_element(By.ID, "confirm").get_attribute("open") is not None)
    assert browser.find_element(By.ID, "c-symbol").text == sig["symbol"]
    assert browser.find_element(By.ID, "c-qty").text == f"BUY {int(1000 // sig['price'])}"
    _save(browser, tmp_path, "signals_confirm.png")
    browser.find_element(By.ID, "c-ok").click()
    state = f'[data-state-for="{sig["symbol"]}"]'
    _wait(browser, lambda d: "submitted" in d.find_element(By.CSS_SELECTOR, state).text.lower())
    parents = [o for o in fake.orders if o["client_order_id"].startswith("tf-signals-")]
    assert len(parents) == 1 and parents[0]["symbol"] == sig["symbol"]
    assert parents[0]["order_class"] == "bracket" and len(parents[0]["legs"]) == 2
    p = sig["price"]
    fake.push_bar(sig["symbol"], "2024-01-02T15:01:00Z", p, p * 1.0005, p * 0.9995, p, 1000.0)
    _wait(browser, lambda d: "filled" in d.find_element(By.CSS_SELECTOR, state).text.lower())
    assert not button(sig["symbol"]).is_enabled()
    _wait(browser, lambda d: sig["symbol"] in d.find_element(By.ID, "positions").text)

    # A refusal (the market closed meanwhile) is shown in its row, and nothing is sent
    fake.set_market_open(False)
    third = expected[2]["symbol"]
    button(third).click()
    _wait(browser, lambda d: d.find_element(By.ID, "confirm").get_attribute("open") is not None)
    browser.find_element(By.ID, "c-ok").click()
    _wait(browser, lambda d: "market is closed" in d.find_element(By.ID, "toast").text)
    refusal = f'[data-state-for="{third}"]'
    _wait(browser, lambda d: "market is closed" in d.find_element(By.CSS_SELECTOR, refusal).text)
    assert "refused" in browser.find_element(By.CSS_SELECTOR, refusal).text.lower()
    assert not [o for o in fake.orders if o["symbol"] == third]
    png = _save(browser, tmp_path, "signals_filled.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert fake.post_count(parents[0]["client_order_id"]) == 1
    assert len([r for r in fake.requests if r["method"] == "POST" and r["path"] == "/v2/orders"]) == 1
