"""`make bench-pages`: each page's first render in headless Chromium, on the configured warehouse.

First render = from navigation (a full page load, as from a bookmark or a typed URL) until Dash has
no callback in flight, every chart is drawn and every grid shows its first rows, as a person would
wait for it; medians of `--repeat` loads. The browser keeps the library scripts cached, as it does
for anyone who has opened the dashboard before. Each page is timed twice: as kept (the page drawn
before and the daily tables in the server's memory, as after the warmer has run), and with both
emptied first, as in the seconds after a load before the warmer has run. The server is this app
under waitress, as `make run` serves it. The browser signs in first, through
the login page, as a `bench` user with the analyst role (every chart page and the quality page)
and a fresh random password; the user is disabled again when the run ends.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from portal.config import load_config


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"):
        options.add_argument(flag)
    options.add_argument("--window-size=1400,1800")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _settled(driver) -> bool:
    """Whether the page is drawn; an element replaced while we look means it is still changing."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        if not driver.find_elements(By.ID, "freshness"):
            return False
        if driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"):
            return False
        graphs = driver.find_elements(By.CSS_SELECTOR, ".dash-graph")
        if not all(g.find_elements(By.CSS_SELECTOR, ".main-svg") for g in graphs):
            return False
        # A grid paged on the server has drawn when its first rows have arrived and none is loading.
        grids = driver.find_elements(By.CSS_SELECTOR, ".ag-root-wrapper")
        return all(
            g.find_elements(By.CSS_SELECTOR, ".ag-cell") and not g.find_elements(By.CSS_SELECTOR, ".ag-loading")
            for g in grids
        )
    except StaleElementReferenceException:
        return False


BENCH_USER = "bench"
BENCH_ROLE = "analyst"


def bench_pages(account: str) -> list[str]:
    """Every page the bench user may open, in navbar order, then the page of `account`.

    Read from Dash's page registry, which `create_app` fills: a new page is timed without a change here.
    """
    from dashboard.auth.roles import permissions_of
    from dashboard.web.layout import nav_pages
    from dashboard.web.urls import account_href

    allowed = permissions_of([BENCH_ROLE])
    return [*(page["path"] for page in nav_pages() if page.get("permission") in allowed), account_href(account)]


def sign_in(driver, base: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(BENCH_USER)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    began = time.perf_counter()
    while not _settled(driver):
        if time.perf_counter() - began > 60:
            raise TimeoutError("signing in did not open the overview")
        time.sleep(0.05)


def first_render(driver, url: str, timeout: float = 60) -> float:
    driver.get("about:blank")
    began = time.perf_counter()
    driver.get(url)
    while time.perf_counter() - began < timeout:
        if _settled(driver):
            return time.perf_counter() - began
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not settle in {timeout}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.cli.bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=8079)
    parser.add_argument("--account", help="an account number for the account page")
    parser.add_argument("--page", action="append", help="time only this page (repeatable); default: every page")
    args = parser.parse_args(argv)

    from waitress import create_server

    from dashboard.data import daily_cache
    from dashboard.data.warehouse import Warehouse
    from dashboard.web import page_cache
    from dashboard.web.app import create_app

    config = load_config()
    app = create_app(config)
    users = app.server.extensions["portal_users"]
    kept_pages = app.server.extensions[page_cache.EXTENSION]
    server = create_server(app.server, host="127.0.0.1", port=args.port, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    warehouse = Warehouse(config.warehouse.url)
    with warehouse.engine.connect() as connection:
        from sqlalchemy import func, select

        from portal import schema

        accounts = connection.execute(select(func.count()).select_from(schema.accounts)).scalar_one()
        account = args.account or connection.execute(select(func.min(schema.accounts.c.account_number))).scalar_one()
    pages = args.page or bench_pages(account)
    driver = _browser()
    try:
        base = f"http://127.0.0.1:{args.port}"
        sign_in(driver, base, users.tool_password(BENCH_USER, BENCH_ROLE, actor="bench"))
        print(f"warehouse {config.warehouse.url}: {accounts:,} accounts; medians of {args.repeat} loads of each page")
        print(f"{'page':<28}{'first render (s)':>18}{'just after a load (s)':>24}")
        for page in pages:
            # Untimed: a browser that has opened the dashboard before holds the scripts and their
            # compiled code (Chromium keeps compiled code from a script's third run on).
            for _ in range(2):
                first_render(driver, base + page)
        worst = {"warm": 0.0, "cold": 0.0}
        for page in pages:
            url = base + page
            warm_times, cold_times = [], []
            for _ in range(args.repeat):
                daily_cache.warm(warehouse.engine)
                warm_times.append(first_render(driver, url))
                daily_cache.clear()
                kept_pages.clear()  # just after a load nothing is drawn yet: the page is drawn on demand
                cold_times.append(first_render(driver, url))
            warm, cold = statistics.median(warm_times), statistics.median(cold_times)
            worst = {"warm": max(worst["warm"], warm), "cold": max(worst["cold"], cold)}
            print(f"{page:<28}{warm:>18.2f}{cold:>24.2f}")
        print(
            f"slowest page: {worst['warm']:.2f}s as kept (target: under 2s), "
            f"{worst['cold']:.2f}s in the first seconds after a load, before the server has read them or drawn the page"
        )
    finally:
        driver.quit()
        server.close()
        users.set_active(BENCH_USER, False, actor="bench")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
