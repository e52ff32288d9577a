"""The dashboard in headless Chromium, used as a person would: load, filter, click, download.

Screenshots of every page land in screenshots/ (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.queries import Warehouse

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PORT = 8071
PAGES = {
    "overview": "/",
    "adoption": "/adoption",
    "placeholder-emails": "/placeholder-emails",
    "recovery": "/recovery?grain=month",
    "resets": "/resets?grain=month",
    "lockouts": "/lockouts?grain=month",
    "accounts": "/accounts",
    "quality": "/quality",
}


@pytest.fixture
def browser(dash_duo, dash_app):
    dash_duo.start_server(dash_app, port=PORT)
    dash_duo.driver.set_window_size(1400, 1800)
    yield dash_duo
    settle(dash_duo)  # let the last page's requests finish before the server stops


def open_page(browser, path: str) -> None:
    browser.driver.get(f"{browser.server_url}{path}")
    browser.wait_for_element("#freshness", timeout=15)
    settle(browser)


def settle(browser, seconds: float = 10) -> None:
    """Wait until Dash has no callback in flight, so what we read is what a person would see."""
    deadline = time.time() + seconds
    time.sleep(0.3)
    while time.time() < deadline:
        if not browser.driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"):
            return
        time.sleep(0.2)


def query_of(browser) -> dict[str, list[str]]:
    return parse_qs(urlparse(browser.driver.current_url).query)


def wait_for_url(browser, predicate, seconds: float = 10) -> str:
    deadline = time.time() + seconds
    while time.time() < deadline:
        url = browser.driver.current_url
        if predicate(urlparse(url)):
            return url
        time.sleep(0.2)
    raise AssertionError(f"URL never matched; still {browser.driver.current_url}")


def choose(browser, dropdown_id: str, value: str) -> None:
    browser.find_element(f"#{dropdown_id}").click()
    option = browser.find_element(f"[role=option] input[value='{value}']")
    option.find_element(By.XPATH, "./../..").click()


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_without_a_console_error(browser, name):
    open_page(browser, PAGES[name])
    SCREENSHOTS.mkdir(exist_ok=True)
    browser.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    assert browser.get_logs() == []
    assert "Error" not in browser.find_element("body").text.split("\n")[0]


def test_an_account_page_loads_without_a_console_error(browser, demo_warehouse):
    from dashboard.account_list import AccountFilters
    from dashboard.metrics import Filters

    warehouse = Warehouse(demo_warehouse)
    start, end = warehouse.extent()
    busy = AccountFilters(has_failed_recovery=True, portal_access=True)
    account = warehouse.accounts(Filters(start, end), busy).iloc[0]["account_number"]
    open_page(browser, f"/accounts/{account}")
    browser.driver.save_screenshot(str(SCREENSHOTS / "account.png"))
    assert browser.get_logs() == []
    assert account in browser.find_element("body").text


def test_changing_the_grain_puts_it_in_the_url_and_survives_a_reload(browser):
    open_page(browser, "/resets")
    choose(browser, "filter-grain", "month")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["month"])
    browser.driver.refresh()
    browser.wait_for_element("#freshness", timeout=15)
    assert "Month" in browser.find_element("#filter-grain").text
    href = browser.find_element("a[href^='/export/resets.csv']").get_attribute("href")
    assert parse_qs(urlparse(href).query)["grain"] == ["month"]


def test_typing_a_start_date_changes_the_range(browser):
    open_page(browser, "/lockouts")
    start = browser.find_element("#filter-dates")
    start.send_keys(Keys.CONTROL, "a")
    start.send_keys("2026-01-05", Keys.ENTER)
    wait_for_url(browser, lambda url: parse_qs(url.query).get("start") == ["2026-01-05"])
    settle(browser)
    href = browser.find_element("a[href^='/export/lockouts.csv']").get_attribute("href")
    assert parse_qs(urlparse(href).query)["start"] == ["2026-01-05"]


def test_the_back_button_restores_the_previous_view(browser):
    open_page(browser, "/recovery")
    choose(browser, "filter-grain", "day")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["day"])
    choose(browser, "filter-grain", "month")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["month"])
    browser.driver.back()
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["day"])


def test_a_downloaded_csv_is_the_export_of_the_same_view(browser):
    open_page(browser, "/lockouts?grain=week&start=2026-01-01&end=2026-03-31")
    link = browser.find_element("a[href^='/export/lockouts.csv']")
    expected = requests.get(link.get_attribute("href"), timeout=30)
    name = expected.headers["Content-Disposition"].split("filename=")[1].strip('"')
    link.click()
    target = Path(browser.download_path) / name
    deadline = time.time() + 20
    while not target.exists() and time.time() < deadline:
        time.sleep(0.2)
    assert target.read_bytes() == expected.content
    rows = list(csv.DictReader(io.StringIO(expected.text)))
    assert rows[0]["period_start"] == "2025-12-29" and len(rows) == 14


def click_first_bar(browser, graph_selector: str) -> None:
    """Plotly's drag layer sits over the bars, so click at the bar's position, not the element."""
    bar = browser.find_element(f"{graph_selector} .bars path")
    ActionChains(browser.driver).move_to_element(bar).click().perform()


def test_loading_a_page_does_not_rewrite_its_url_or_add_history(browser):
    open_page(browser, "/lockouts")
    before = browser.driver.execute_script("return window.history.length")
    open_page(browser, "/quality")
    time.sleep(1)
    assert urlparse(browser.driver.current_url).query == ""
    assert browser.driver.execute_script("return window.history.length") == before + 1


def graph(name: str) -> str:
    return f"""[id='{{"chart":"{name}","type":"drill"}}']"""


def test_clicking_a_chart_bar_opens_the_account_list_of_exactly_that_slice(browser, demo_warehouse):
    from dashboard.account_list import AccountFilters
    from dashboard.params import parse_account_filters, parse_filters

    open_page(browser, "/recovery?grain=month&start=2025-03-01&end=2025-05-31")
    browser.wait_for_element(f"{graph('recovery-outcomes')} .bars path", timeout=15)
    click_first_bar(browser, graph("recovery-outcomes"))
    url = wait_for_url(browser, lambda url: url.path == "/accounts" and "outcome" in parse_qs(url.query))
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    assert (query["start"], query["end"]) == ("2025-03-01", "2025-03-31")
    warehouse = Warehouse(demo_warehouse)
    only = parse_account_filters(query)
    assert isinstance(only, AccountFilters) and only.outcome in {"succeeded", "failed", "abandoned"}
    expected = len(warehouse.accounts(parse_filters(query, warehouse.extent()), only))
    browser.wait_for_text_to_equal("#accounts-count", f"{expected:,} accounts", timeout=15)
    browser.driver.save_screenshot(str(SCREENSHOTS / "accounts-drilled.png"))


def test_clicking_an_account_row_opens_its_page(browser):
    open_page(browser, "/accounts?outcome=failed&start=2025-01-01&end=2025-06-30")
    first = browser.wait_for_element(".ag-center-cols-container .ag-row[row-index='0'] .ag-cell", timeout=15)
    account = browser.find_element(".ag-pinned-left-cols-container .ag-row[row-index='0'], .ag-row[row-index='0']")
    first.click()
    url = wait_for_url(browser, lambda url: url.path.startswith("/accounts/A"))
    number = urlparse(url).path.rsplit("/", 1)[1]
    assert number in account.text or account.get_attribute("row-id") == number
    browser.wait_for_contains_text("body", number, timeout=15)
    assert browser.get_logs() == []
