"""The Alerts page in headless Chromium, on a warehouse of its own that holds alerts (the shared demo app
has none): see an alert, follow it to its chart with the period marked, acknowledge it as support, and
let axe check the page with its banner, table and form.

The module's one server and browser are set up as tests/test_browser.py's are, on this module's app.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.alert_pages import app_on, copy_with_alerts
from tests.test_browser import SCREENSHOTS, as_user, choose, serious_violations, served_in_chromium, settle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def alerts(demo_warehouse, tmp_path_factory):
    return copy_with_alerts(demo_warehouse, tmp_path_factory.mktemp("browser-alerts"))


@pytest.fixture(scope="module")
def app(alerts, make_app):
    return app_on(make_app, alerts.url)


@pytest.fixture(scope="module")
def chromium(request, app, tmp_path_factory):
    with served_in_chromium(request, app, tmp_path_factory) as duo:
        yield duo


@pytest.fixture
def viewer(chromium, app):
    yield as_user(chromium, app, "viewer", size=(1400, 860))
    settle(chromium)


@pytest.fixture
def support(chromium, app):
    yield as_user(chromium, app, "support")
    settle(chromium)


def open_alerts(browser) -> None:
    browser.driver.get(f"{browser.server_url}/alerts")
    browser.wait_for_element("#alerts-table", timeout=15)
    settle(browser)


def test_a_viewer_sees_an_alert_and_follows_it_to_its_chart_with_the_period_marked(viewer, alerts):
    open_alerts(viewer)
    row = viewer.find_element(f"#alert-{alerts.wave}")
    assert f"Lockout events week of {alerts.week} above usual 1-5 (31)" in row.text
    assert "2 open alerts" in viewer.find_element("#alerts-banner").text
    viewer.driver.save_screenshot(str(SCREENSHOTS / "alerts.png"))
    row.find_element(By.LINK_TEXT, "Chart").click()
    viewer.wait_for_element("#marked-period", timeout=15)
    settle(viewer)
    assert f"mark={alerts.week}" in viewer.driver.current_url
    assert f"The week of {alerts.week} is marked" in viewer.find_element("#marked-period").text
    chart = viewer.find_element("#lockouts-over-time-summary").find_element(By.XPATH, "./..")
    assert chart.find_elements(By.CSS_SELECTOR, ".shapelayer path")
    assert "Alert" in [label.text for label in chart.find_elements(By.CSS_SELECTOR, ".annotation-text")]
    viewer.driver.save_screenshot(str(SCREENSHOTS / "alert-chart-marked.png"))
    assert viewer.get_logs() == []


def test_a_viewer_gets_no_acknowledge_form(viewer):
    open_alerts(viewer)
    assert not viewer.driver.find_elements(By.ID, "alerts-ack-submit")


def test_axe_finds_nothing_serious_on_the_alerts_page_with_alerts(support):
    open_alerts(support)
    assert serious_violations(support) == []


def test_support_acknowledges_an_alert_with_a_note(support, alerts):
    open_alerts(support)
    choose(support, "alerts-ack-alert", str(alerts.wave))
    support.find_element("#alerts-ack-note").send_keys("Portal vendor is on it")
    support.find_element("#alerts-ack-submit").click()
    support.wait_for_contains_text("#alerts-ack-result", "Acknowledged: Lockout events", timeout=15)
    row = support.find_element(f"#alert-{alerts.wave}").text
    assert "Open, acknowledged" in row and "by test-support" in row and "Portal vendor is on it" in row
    support.driver.save_screenshot(str(SCREENSHOTS / "alert-acknowledged.png"))
    assert support.get_logs() == []
