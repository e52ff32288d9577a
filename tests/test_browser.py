"""The dashboard in headless Chromium, used as a person would: load, filter, click, download.

Screenshots of every page land in screenshots/ (git-ignored) so a person can look at them.
"""

from __future__ import annotations

import csv
import io
import socket
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from axe_core_python.selenium import Axe
from dash.testing.application_runners import ThreadedRunner
from dash.testing.composite import DashComposite
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from tests.signin import make_user, password_of

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def free_port() -> int:
    """A port nothing listens on now: a fixed one collides with a second test run on the same machine."""
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()
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


@contextmanager
def served_in_chromium(request, app, tmp_path_factory) -> Iterator:
    """`app` served on a free port and one headless Chromium for it, no one signed in: what a module's
    `chromium` fixture holds."""
    SCREENSHOTS.mkdir(exist_ok=True)
    config = request.config
    with (
        ThreadedRunner() as runner,
        DashComposite(
            server=runner,
            browser=config.getoption("webdriver"),
            headless=config.getoption("headless"),
            options=config.hook.pytest_setup_options(),
            download_path=str(tmp_path_factory.mktemp("download")),
        ) as duo,
    ):
        duo.start_server(app, navigate=False, port=free_port())
        duo._url = duo.server.url  # no wait for Dash's page: signed out, "/" is the login page
        duo.signed_in_as = None
        yield duo


@pytest.fixture(scope="module")
def chromium(request, dash_app, tmp_path_factory):
    """One server and one Chromium for a module's tests: starting both, and signing in, for each test
    cost 7-10 s a test. Each test still begins on a clean browser (`as_user`)."""
    with served_in_chromium(request, dash_app, tmp_path_factory) as duo:
        yield duo


def as_user(duo, dash_app, roles: str | None, size: tuple[int, int] = (1400, 1800)):
    """The shared browser at `size`, in a new tab (no history, no session storage), signed in as a user
    of `roles` (nobody when None), with no console message left over. A session of the same roles is
    kept; any other is cleared first, as a new browser would start."""
    driver = duo.driver
    old_tab = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.switch_to.window(old_tab)
    driver.close()
    driver.switch_to.window(driver.window_handles[0])
    driver.set_window_size(*size)
    if roles is None or duo.signed_in_as != roles:
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        duo.signed_in_as = None
        if roles is not None:
            sign_in(duo, make_user(dash_app, roles))
            duo.signed_in_as = roles
    duo.get_logs()
    return duo


@pytest.fixture
def server(chromium, dash_app):
    """The app served to headless Chromium, nobody signed in yet."""
    yield as_user(chromium, dash_app, None)
    settle(chromium)  # let the last page's requests finish before the next test
    chromium.signed_in_as = "whoever the test signed in"


@pytest.fixture
def browser(chromium, dash_app):
    """Signed in as an analyst (every chart, the quality page, exports; emails masked)."""
    yield as_user(chromium, dash_app, "analyst")
    settle(chromium)


def sign_in(browser, name: str, password: str | None = None, path: str = "/") -> None:
    """Through the login page, as a person would: type the name and password, press the button."""
    browser.driver.get(f"{browser.server_url}/login?next={path}")
    browser.wait_for_element("#username", timeout=15).send_keys(name)
    browser.find_element("#password").send_keys(password or password_of(name))
    browser.find_element("#login-submit").click()
    if password is None:
        browser.wait_for_element("#signed-in-as", timeout=15)
        settle(browser)


def session_cookies(browser) -> dict[str, str]:
    return {cookie["name"]: cookie["value"] for cookie in browser.driver.get_cookies()}


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


def choose(browser, dropdown_id: str, value: str, tries: int = 3) -> None:
    """Pick a dropdown option once the page has settled; a re-render that replaces the dropdown under
    the click (the page redrawn for the previous choice) is waited out and the choice made again."""
    for attempt in range(tries):
        settle(browser)
        try:
            browser.find_element(f"#{dropdown_id}").click()
            option = browser.find_element(f"[role=option] input[value='{value}']")
            option.find_element(By.XPATH, "./../..").click()
            return
        except StaleElementReferenceException:
            if attempt == tries - 1:
                raise


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_loads_without_a_console_error(browser, name):
    open_page(browser, PAGES[name])
    browser.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    assert browser.get_logs() == []
    assert "Error" not in browser.find_element("body").text.split("\n")[0]


def test_an_account_page_loads_without_a_console_error(browser, warehouse):
    start, end = warehouse.extent()
    busy = AccountFilters(has_failed_recovery=True, portal_access=True)
    account = warehouse.accounts(Filters(start, end), busy).iloc[0]["account_number"]
    open_page(browser, f"/accounts/{account}")
    browser.driver.save_screenshot(str(SCREENSHOTS / "account.png"))
    assert browser.get_logs() == []
    assert account in browser.find_element("body").text


def test_a_page_without_a_grain_shows_the_one_that_fits_its_range(browser):
    open_page(browser, "/resets?start=2024-01-01&end=2026-10-31")  # almost three years: months
    assert "Month" in browser.find_element("#filter-grain").text
    open_page(browser, "/resets?start=2026-10-01&end=2026-10-31")
    assert "Day" in browser.find_element("#filter-grain").text


def test_changing_the_grain_puts_it_in_the_url_and_survives_a_reload(browser):
    open_page(browser, "/resets")
    choose(browser, "filter-grain", "week")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["week"])
    browser.driver.refresh()
    browser.wait_for_element("#freshness", timeout=15)
    assert "Week" in browser.find_element("#filter-grain").text
    href = browser.find_element("a[href^='/export/resets.csv']").get_attribute("href")
    assert parse_qs(urlparse(href).query)["grain"] == ["week"]


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
    choose(browser, "filter-grain", "week")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["week"])
    choose(browser, "filter-grain", "month")
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["month"])
    browser.driver.back()
    wait_for_url(browser, lambda url: parse_qs(url.query).get("grain") == ["week"])


def test_a_downloaded_csv_is_the_export_of_the_same_view(browser):
    open_page(browser, "/lockouts?grain=week&start=2026-01-01&end=2026-03-31")
    link = browser.find_element("a[href^='/export/lockouts.csv']")
    expected = requests.get(link.get_attribute("href"), cookies=session_cookies(browser), timeout=30)
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


def test_clicking_a_chart_bar_opens_the_account_list_of_exactly_that_slice(browser, warehouse):
    open_page(browser, "/recovery?grain=month&start=2025-03-01&end=2025-05-31")
    browser.wait_for_element(f"{graph('recovery-outcomes')} .bars path", timeout=15)
    click_first_bar(browser, graph("recovery-outcomes"))
    url = wait_for_url(browser, lambda url: url.path == "/accounts" and "outcome" in parse_qs(url.query))
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    assert (query["start"], query["end"]) == ("2025-03-01", "2025-03-31")
    only = AccountFilters.parse(query)
    assert isinstance(only, AccountFilters) and only.outcome in {"succeeded", "failed", "abandoned"}
    expected = len(warehouse.accounts(Filters.parse(query, warehouse.extent()), only))
    browser.wait_for_text_to_equal("#accounts-count", f"{expected:,} accounts", timeout=15)
    browser.driver.save_screenshot(str(SCREENSHOTS / "accounts-drilled.png"))


def test_clicking_a_fixed_bar_on_the_placeholder_page_opens_the_accounts_fixed_in_that_period(browser, warehouse):
    open_page(browser, "/placeholder-emails?grain=month&start=2026-10-01&end=2026-10-31")
    browser.wait_for_element(f"{graph('at-risk-changes')} .bars path", timeout=15)
    fixed_bars = browser.driver.find_elements(By.CSS_SELECTOR, f"{graph('at-risk-changes')} .trace.bars")[1]
    ActionChains(browser.driver).move_to_element(fixed_bars.find_element(By.CSS_SELECTOR, "path")).click().perform()
    url = wait_for_url(browser, lambda url: url.path == "/accounts" and "at_risk_change" in parse_qs(url.query))
    query = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
    assert (query["start"], query["end"], query["at_risk_change"]) == ("2026-10-01", "2026-10-31", "fixed")
    (fixed,) = warehouse.at_risk_changes(Filters(date(2026, 10, 1), date(2026, 10, 31), "month"))["fixed"]
    assert fixed > 0
    browser.wait_for_text_to_equal("#accounts-count", f"{fixed:,} accounts", timeout=15)


def test_chart_toolbars_offer_no_share_or_chart_studio_button(browser):
    open_page(browser, "/recovery")
    browser.wait_for_element(f"{graph('recovery-outcomes')} .modebar-btn", timeout=15)
    titles = [
        button.get_attribute("data-title") or ""
        for button in browser.driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .modebar-btn")
    ]
    assert any("PNG" in title for title in titles), titles
    assert not [title for title in titles if "Share" in title or "Chart Studio" in title or "Edit" in title]


def test_clicking_an_account_row_opens_its_page(browser):
    open_page(browser, "/accounts?outcome=failed&start=2025-01-01&end=2025-06-30")
    first_row = ".ag-pinned-left-cols-container .ag-row[row-index='0'], .ag-row[row-index='0']"
    # the grid may draw its first rows again once their count arrives: read and click the row as drawn then
    for attempt in range(3):
        try:
            browser.wait_for_element(".ag-center-cols-container .ag-row[row-index='0'] .ag-cell", timeout=15)
            row = browser.find_element(first_row)
            shown = (row.text, row.get_attribute("row-id"))
            browser.find_element(".ag-center-cols-container .ag-row[row-index='0'] .ag-cell").click()
            break
        except StaleElementReferenceException:
            if attempt == 2:
                raise
    url = wait_for_url(browser, lambda url: url.path.startswith("/accounts/A"))
    number = urlparse(url).path.rsplit("/", 1)[1]
    assert number in shown[0] or shown[1] == number
    browser.wait_for_contains_text("body", number, timeout=15)
    assert browser.get_logs() == []


def test_an_account_number_in_a_grid_is_a_link_to_its_page(browser):
    open_page(browser, "/accounts?outcome=failed&start=2025-01-01&end=2025-06-30")
    link_css = ".ag-pinned-left-cols-container .ag-row[row-index='0'] a.account-link"
    for attempt in range(3):  # the grid may draw its first rows again once their count arrives
        try:
            browser.wait_for_element(link_css, timeout=15)
            link = browser.find_element(link_css)
            number, href = link.text, link.get_attribute("href")
            link.click()
            break
        except StaleElementReferenceException:
            if attempt == 2:
                raise
    assert urlparse(href).path == f"/accounts/{number}"  # a real link: Ctrl-click and Enter work on it
    wait_for_url(browser, lambda url: url.path == f"/accounts/{number}")
    browser.wait_for_contains_text("body", "Last successful login", timeout=15)
    assert browser.get_logs() == []


def paged_grid(name: str) -> str:
    return f"""[id='{{"name":"{name}","type":"paged-grid"}}']"""


def first_rows(browser, grid: str) -> list:
    """The grid's first rows once the server has sent them (the loading rows are gone)."""
    browser.wait_for_element(f"{grid} .ag-center-cols-container .ag-row[row-index='1'] .ag-cell", timeout=15)
    deadline = time.time() + 15
    while browser.driver.find_elements(By.CSS_SELECTOR, f"{grid} .ag-loading") and time.time() < deadline:
        time.sleep(0.1)
    return browser.driver.find_elements(By.CSS_SELECTOR, f"{grid} .ag-center-cols-container .ag-row")


def test_the_placeholder_page_switches_to_the_usernames_list_and_a_row_opens_the_account(browser, warehouse):
    from dashboard.charts import placeholder

    open_page(browser, "/placeholder-emails?start=2026-01-01&end=2026-10-31&grain=month")
    first_rows(browser, paged_grid("at-risk"))
    browser.driver.find_element(By.XPATH, "//label[contains(., 'Usernames that are not emails')]").click()
    rows = first_rows(browser, paged_grid("username-not-email"))
    view = Filters.parse({"start": "2026-01-01", "end": "2026-10-31", "grain": "month"}, None)
    expected = warehouse.accounts(view, placeholder.USERNAME_NOT_EMAIL)
    count = browser.find_element("""[id='{"name":"username-not-email","type":"paged-grid-count"}']""")
    assert count.text == f"{len(expected):,} accounts"
    browser.driver.save_screenshot(str(SCREENSHOTS / "placeholder-usernames.png"))
    first = expected["account_number"].iloc[0]
    rows[0].find_element(By.CSS_SELECTOR, ".ag-cell").click()
    wait_for_url(browser, lambda url: url.path == f"/accounts/{first}")
    assert browser.get_logs() == []


def test_the_repeated_failures_grid_lists_most_failures_first_from_the_server(browser):
    open_page(browser, "/recovery?grain=month&start=2024-01-01&end=2026-10-31")
    first_rows(browser, paged_grid("repeated-failures"))
    column = "[col-id='failed_recovery_attempts']"
    cells = browser.driver.find_elements(By.CSS_SELECTOR, f"{paged_grid('repeated-failures')} .ag-row {column}")
    counts = [int(cell.text) for cell in cells if cell.text.strip().isdigit()]
    assert len(counts) >= 2 and counts == sorted(counts, reverse=True) and counts[-1] >= 2
    assert browser.get_logs() == []


def test_a_person_signs_in_through_the_login_page_and_out_again(server, dash_app):
    name = make_user(dash_app, "viewer")
    server.driver.get(f"{server.server_url}/lockouts")
    server.wait_for_element("#login-form", timeout=15)
    sign_in(server, name, "not the password", path="/lockouts")
    assert "Wrong username or password." in server.wait_for_element("#login-error").text
    server.get_logs()  # the refused sign-in's 401 is expected; only what follows must be clean
    server.find_element("#password").send_keys(password_of(name))
    server.find_element("#login-submit").click()
    server.wait_for_element("#freshness", timeout=15)
    assert urlparse(server.driver.current_url).path == "/lockouts"
    assert name in server.find_element("#signed-in-as").text
    server.driver.save_screenshot(str(SCREENSHOTS / "signed-in-viewer.png"))
    assert server.get_logs() == []
    server.find_element("#sign-out").click()
    server.wait_for_element("#login-form", timeout=15)
    server.driver.get(f"{server.server_url}/lockouts")
    server.wait_for_element("#login-form", timeout=15)


def test_a_viewer_sees_no_quality_link_no_downloads_and_is_refused_a_typed_quality_url(server, dash_app):
    sign_in(server, make_user(dash_app, "viewer"), path="/recovery")
    nav = server.find_element(".navbar").text
    assert "Recovery" in nav and "Data quality" not in nav and "Users" not in nav
    assert not server.driver.find_elements(By.CSS_SELECTOR, "a[href^='/export/']")
    server.driver.get(f"{server.server_url}/quality")
    server.wait_for_contains_text("body", "Not allowed", timeout=15)


def test_support_sees_a_customers_email_unmasked_on_the_account_page(server, dash_app, demo_warehouse):
    from sqlalchemy import create_engine, select

    from portal import schema

    a = schema.accounts
    with create_engine(demo_warehouse).connect() as connection:
        number, email = connection.execute(
            select(a.c.account_number, a.c.email).where(a.c.email.like("%@%.%")).order_by(a.c.account_number).limit(1)
        ).one()
    sign_in(server, make_user(dash_app, "support"), path=f"/accounts/{number}")
    assert server.wait_for_element("#account-email", timeout=15).text == email
    server.driver.save_screenshot(str(SCREENSHOTS / "account-support.png"))
    entries = dash_app.server.extensions["portal_users"].audit_entries(action="account_viewed_unmasked", target=number)
    assert "test-support" in set(entries["actor"])


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_an_admin_opens_the_admin_pages_without_a_console_error(admin_browser, path):
    admin_browser.driver.get(f"{admin_browser.server_url}{path}")
    admin_browser.wait_for_element("h2", timeout=15)  # admin pages have no freshness line
    settle(admin_browser)
    admin_browser.driver.save_screenshot(str(SCREENSHOTS / f"admin-{path.rsplit('/', 1)[1]}.png"))
    assert admin_browser.get_logs() == []
    assert "Admin" in admin_browser.find_element(".navbar").text


# --- the frame: the navbar at a desk and on a phone, toolbars clear of legends ------------------------

WIDE, NARROW = (1400, 860), (390, 844)
CHART_PAGES = ["/", "/adoption", "/placeholder-emails", "/recovery", "/resets", "/lockouts"]


def becomes(browser, css: str, *, shown: bool, seconds: float = 5) -> bool:
    """Whether the element is shown (or hidden) within a few seconds: a collapse or a menu animates."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if browser.find_element(css).is_displayed() == shown:
            return True
        time.sleep(0.1)
    return False


def at_width(browser, size: tuple[int, int], path: str = "/") -> None:
    browser.driver.set_window_size(*size)
    open_page(browser, path)


def test_the_admin_navbar_fits_on_one_line_at_1400_px(admin_browser):
    at_width(admin_browser, WIDE)
    assert admin_browser.driver.execute_script("return window.innerWidth") == WIDE[0]
    admin_browser.driver.save_screenshot(str(SCREENSHOTS / "navbar-1400.png"))
    navbar = admin_browser.find_element(".navbar")
    assert navbar.size["height"] < 70
    links = admin_browser.driver.find_elements(By.CSS_SELECTOR, ".navbar .nav-link")
    assert len(links) >= 9 and all(link.is_displayed() for link in links)
    for part in ("#find-account", "#signed-in-as", "#sign-out"):
        assert admin_browser.find_element(part).is_displayed(), part
    sign_out = admin_browser.find_element("#sign-out")
    assert sign_out.location["x"] + sign_out.size["width"] <= navbar.size["width"]  # on the line, not past it


def test_at_390_px_the_navbar_links_hide_behind_a_toggler_until_it_is_pressed(admin_browser):
    at_width(admin_browser, NARROW)
    recovery = ".navbar a.nav-link[href='/recovery']"
    toggler = admin_browser.find_element("#navbar-toggler")
    assert not admin_browser.find_element(recovery).is_displayed()
    assert toggler.get_attribute("aria-label") and toggler.get_attribute("aria-expanded") == "false"
    toggler.click()
    assert becomes(admin_browser, recovery, shown=True)
    assert toggler.get_attribute("aria-expanded") == "true"
    admin_browser.driver.save_screenshot(str(SCREENSHOTS / "navbar-390-open.png"))


def test_the_navbar_toggler_answers_the_keyboard(admin_browser):
    at_width(admin_browser, NARROW)
    admin_browser.find_element("#navbar-toggler").send_keys(Keys.ENTER)
    assert becomes(admin_browser, ".navbar a.nav-link[href='/recovery']", shown=True)


def test_a_page_chosen_from_the_narrow_menu_closes_it(admin_browser):
    at_width(admin_browser, NARROW)
    admin_browser.find_element("#navbar-toggler").click()
    assert becomes(admin_browser, ".navbar a.nav-link[href='/lockouts']", shown=True)
    admin_browser.find_element(".navbar a.nav-link[href='/lockouts']").click()
    wait_for_url(admin_browser, lambda url: url.path == "/lockouts")
    assert becomes(admin_browser, ".navbar a.nav-link[href='/recovery']", shown=False)


def test_the_admin_menu_opens_to_the_admin_pages(admin_browser):
    at_width(admin_browser, WIDE)
    users = ".navbar a[href='/admin/users']"
    assert not admin_browser.find_element(users).is_displayed()
    admin_browser.find_element("#admin-menu .dropdown-toggle").click()
    assert becomes(admin_browser, users, shown=True) and becomes(
        admin_browser, ".navbar a[href='/admin/audit']", shown=True
    )
    admin_browser.find_element(users).click()
    wait_for_url(admin_browser, lambda url: url.path == "/admin/users")


def test_the_account_list_has_no_grain_control_and_its_dates_still_filter_it(browser, warehouse):
    open_page(browser, "/accounts?has_failed_recovery=true")
    assert not browser.driver.find_elements(By.ID, "filter-grain")
    start = browser.find_element("#filter-dates")
    start.send_keys(Keys.CONTROL, "a")
    start.send_keys("2026-01-05", Keys.ENTER)
    url = wait_for_url(browser, lambda url: parse_qs(url.query).get("start") == ["2026-01-05"])
    view = Filters.parse({key: values[0] for key, values in parse_qs(urlparse(url).query).items()}, warehouse.extent())
    expected = len(warehouse.accounts(view, AccountFilters(has_failed_recovery=True)))
    browser.wait_for_text_to_equal("#accounts-count", f"{expected:,} accounts", timeout=15)
    assert browser.get_logs() == []


def overlapping_legends(browser) -> list[str]:
    """The charts on the page whose legend box meets their toolbar's box."""
    return browser.driver.execute_script(
        """
        const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        return [...document.querySelectorAll('.js-plotly-plot')].filter(plot => {
            const legend = plot.querySelector('g.legend'), toolbar = plot.querySelector('.modebar');
            return legend && toolbar && meet(legend.getBoundingClientRect(), toolbar.getBoundingClientRect());
        }).map(plot => plot.parentElement.id || plot.id);
        """
    )


@pytest.mark.parametrize("size", [WIDE, NARROW], ids=["1400", "390"])
def test_no_chart_legend_lies_under_its_toolbar(browser, warehouse, size):
    browser.driver.set_window_size(*size)
    account = warehouse.accounts_page(Filters.parse({}, warehouse.extent()), limit=1)[0]["account_number"].iloc[0]
    for path in [*CHART_PAGES, f"/accounts/{account}"]:
        open_page(browser, path)
        assert overlapping_legends(browser) == [], path


def test_every_page_opens_on_a_phone_without_a_console_error(browser):
    browser.driver.set_window_size(*NARROW)
    logs = {}
    for name, path in PAGES.items():
        open_page(browser, path)
        browser.driver.save_screenshot(str(SCREENSHOTS / f"{name}-390.png"))
        logs[name] = browser.get_logs()
    assert logs == {name: [] for name in PAGES}


def test_a_range_preset_writes_its_dates_in_the_url_and_shows_as_chosen(browser, warehouse):
    open_page(browser, "/lockouts")
    choose(browser, "filter-preset", "last_90_days")
    newest = warehouse.extent()[1]
    first = (newest - timedelta(days=89)).isoformat()
    wait_for_url(browser, lambda url: parse_qs(url.query).get("start") == [first])
    settle(browser)
    assert parse_qs(urlparse(browser.driver.current_url).query)["end"] == [newest.isoformat()]
    assert "Last 90 days" in browser.find_element("#filter-preset").text
    assert "Week" in browser.find_element("#filter-grain").text  # 90 days read by week


def calendar_day(browser, day: int):
    """A day of the month the open date picker shows first."""
    first_month = "(//table[contains(@class, 'dash-datepicker-calendar')])[1]"
    return browser.driver.find_element(By.XPATH, f"{first_month}//td[contains(@class, 'date-inside')][span='{day}']")


def test_choosing_a_range_on_the_calendar_adds_one_history_entry(browser):
    open_page(browser, "/lockouts")  # October 2026, the last full month of the demo
    before = browser.driver.execute_script("return window.history.length")
    browser.find_element("#filter-dates").click()
    calendar_day(browser, 5).click()
    time.sleep(0.5)
    assert "start=2026-10-05" not in browser.driver.current_url  # half a range is not a view yet
    calendar_day(browser, 12).click()
    wait_for_url(browser, lambda url: parse_qs(url.query).get("end") == ["2026-10-12"])
    settle(browser)
    assert parse_qs(urlparse(browser.driver.current_url).query)["start"] == ["2026-10-05"]
    assert browser.driver.execute_script("return window.history.length") == before + 1


AXE_PAGES = {**PAGES, "alerts": "/alerts", "admin-users": "/admin/users", "admin-audit": "/admin/audit"}
SERIOUS = ("serious", "critical")


def serious_violations(browser) -> list[str]:
    """What axe-core finds serious or critical on the page as it stands, one line per rule."""
    browser.driver.set_script_timeout(60)
    found = Axe().run(browser.driver)["violations"]
    return [f"{v['id']}: {[node['target'] for node in v['nodes'][:3]]}" for v in found if v["impact"] in SERIOUS]


@pytest.fixture
def admin_browser(chromium, dash_app):
    """Signed in as an admin: every page, the admin menu and the unmasked details included."""
    yield as_user(chromium, dash_app, "admin")
    settle(chromium)


def test_axe_finds_nothing_serious_on_any_page(admin_browser, warehouse):
    """Every page in one browser session (a server start and sign-in per page would double the suite)."""
    start, end = warehouse.extent()
    account = warehouse.accounts(Filters(start, end), AccountFilters(has_failed_recovery=True)).iloc[0]
    found = {}
    for path in [*AXE_PAGES.values(), f"/accounts/{account['account_number']}"]:
        admin_browser.driver.get(f"{admin_browser.server_url}{path}")
        admin_browser.wait_for_element("h2", timeout=15)  # admin pages have no freshness line
        settle(admin_browser)
        if violations := serious_violations(admin_browser):
            found[path] = violations
    assert found == {}


def test_axe_finds_nothing_serious_on_the_sign_in_page(server):
    server.driver.get(f"{server.server_url}/login")
    server.wait_for_element("#username", timeout=15)
    assert serious_violations(server) == []


def test_a_chart_drills_down_from_the_keyboard_through_its_table(browser):
    open_page(browser, "/lockouts?grain=month&start=2026-01-01&end=2026-03-31")
    toggle = browser.find_element("#lockouts-over-time-table summary")
    toggle.send_keys(Keys.ENTER)
    link = browser.find_element("#lockouts-over-time-table tbody a")
    link.send_keys(Keys.ENTER)
    wait_for_url(browser, lambda url: url.path == "/accounts" and "event_type=account_locked" in url.query)
