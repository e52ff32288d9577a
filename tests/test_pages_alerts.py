"""Issue 13, point 4: the Alerts page lists open and past alerts in plain words, filtered by rule and state
in the URL, each leading to its chart with the period marked and to the accounts behind it; every page
carries a banner while alerts are open."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlparse

import pytest
from dash import dcc, html

from dashboard.alerts import store
from dashboard.data.slices import AccountFilters
from dashboard.data.warehouse import Warehouse
from dashboard.web.alert_views import BANNER_ID
from dashboard.web.marking import MARK_EDGE, MARK_ID
from tests.alert_pages import OPENED_AT, app_on, copy_with_alerts
from tests.page_tree import find, has, of_type, render_page, text_of
from tests.signin import signed_in


@pytest.fixture(scope="module")
def alerts(demo_warehouse, tmp_path_factory):
    return copy_with_alerts(demo_warehouse, tmp_path_factory.mktemp("alerts"))


@pytest.fixture(scope="module")
def app(alerts, make_app):
    return app_on(make_app, alerts.url)


@pytest.fixture
def as_viewer(app):
    with signed_in(app, "viewer"):
        yield app


def row_text(tree, alert_id: int) -> str:
    return text_of(find(tree, f"alert-{alert_id}"))


def link_of(tree, kind: str, alert_id: int) -> str:
    return find(tree, {"type": kind, "alert": str(alert_id)}).href


def test_an_open_alert_reads_in_plain_words(as_viewer, alerts):
    tree = render_page("/alerts")
    assert f"Lockout events week of {alerts.week} above usual 1-5 (31)" in row_text(tree, alerts.wave)
    assert "Open" in row_text(tree, alerts.wave)


def test_a_rate_alert_reads_in_percentages(as_viewer, alerts):
    text = row_text(render_page("/alerts"), alerts.success)
    assert f"Recovery success rate week of {alerts.week} below usual 62.0%-80.0% (41.0%)" in text


def test_open_alerts_are_listed_before_past_ones_newest_first(as_viewer, alerts):
    table = find(render_page("/alerts"), "alerts-table")
    rows = [row.id for row in of_type(table, html.Tr) if getattr(row, "id", None)]
    assert rows == [f"alert-{alerts.success}", f"alert-{alerts.wave}", f"alert-{alerts.calm}"]


def test_the_state_filter_lists_only_closed_alerts(as_viewer, alerts):
    tree = render_page("/alerts", state="closed")
    assert has(tree, f"alert-{alerts.calm}")
    assert not has(tree, f"alert-{alerts.wave}") and not has(tree, f"alert-{alerts.success}")


def test_the_rule_filter_lists_only_that_rule_s_alerts(as_viewer, alerts):
    tree = render_page("/alerts", rule="lockout_events/week/up/*")
    assert has(tree, f"alert-{alerts.wave}")
    assert not has(tree, f"alert-{alerts.calm}") and not has(tree, f"alert-{alerts.success}")


def test_a_bad_state_is_said_and_every_alert_listed(as_viewer, alerts):
    tree = render_page("/alerts", state="sleeping")
    assert "state must be one of acknowledged, closed, open, unacknowledged" in text_of(find(tree, "alerts-problem"))
    assert has(tree, f"alert-{alerts.calm}") and has(tree, f"alert-{alerts.wave}")


def test_the_filter_buttons_write_the_filters_into_the_url(as_viewer):
    tree = render_page("/alerts", state="open")
    hrefs = [link.href for link in of_type(find(tree, "alerts-filter-rule"), dcc.Link)]
    assert "/alerts?state=open&rule=lockout_events%2Fweek%2Fup%2F%2A" in hrefs
    assert "/alerts?state=open" in hrefs  # "Any" rule keeps the state


def test_an_alert_links_to_its_chart_over_the_weeks_before_with_its_period_marked(as_viewer, alerts):
    href = urlparse(link_of(render_page("/alerts"), "alert-chart", alerts.wave))
    query = dict(parse_qsl(href.query))
    assert href.path == "/lockouts"
    assert query == {
        "start": (alerts.week - timedelta(weeks=12)).isoformat(),
        "end": (alerts.week + timedelta(days=6)).isoformat(),
        "grain": "week",
        "mark": alerts.week.isoformat(),
    }


def test_an_alert_links_to_the_accounts_locked_in_its_period(as_viewer, alerts):
    href = urlparse(link_of(render_page("/alerts"), "alert-accounts", alerts.wave))
    query = dict(parse_qsl(href.query))
    assert href.path == "/accounts"
    assert (query["start"], query["end"]) == (alerts.week.isoformat(), (alerts.week + timedelta(days=6)).isoformat())
    assert AccountFilters.parse(query) == AccountFilters(event_type=("account_locked",))


def test_a_rate_alert_links_to_the_failed_attempts_behind_it(as_viewer, alerts):
    href = urlparse(link_of(render_page("/alerts"), "alert-accounts", alerts.success))
    assert AccountFilters.parse(dict(parse_qsl(href.query))) == AccountFilters(outcome="failed")


def test_the_chart_page_marks_the_alert_s_period(as_viewer, alerts):
    query = dict(parse_qsl(urlparse(link_of(render_page("/alerts"), "alert-chart", alerts.wave)).query))
    tree = render_page("/lockouts", **query)
    shapes = find(tree, {"type": "drill", "chart": "lockouts-over-time"}).figure.layout.shapes
    assert len(shapes) == 1 and shapes[0].line.color == MARK_EDGE
    assert f"The week of {alerts.week} is marked" in text_of(find(tree, MARK_ID))


def test_a_bad_mark_is_said_and_nothing_marked(as_viewer, alerts):
    tree = render_page("/lockouts", grain="week", mark="last tuesday")
    assert "mark must be a date like" in text_of(find(tree, MARK_ID))
    assert not find(tree, {"type": "drill", "chart": "lockouts-over-time"}).figure.layout.shapes


def test_every_page_carries_a_banner_naming_the_open_alerts(as_viewer, alerts):
    for path in ("/", "/lockouts", "/accounts", "/alerts"):
        banner = find(render_page(path), BANNER_ID)
        assert text_of(banner).startswith("2 open alerts: "), path
        assert f"Lockout events week of {alerts.week} above usual 1-5 (31)" in text_of(banner), path
        assert find(banner, f"{BANNER_ID}-link").href == "/alerts"


def test_no_banner_while_no_alert_is_open(in_request):
    assert not has(render_page("/lockouts"), BANNER_ID)


def test_viewers_get_no_acknowledge_form(as_viewer):
    assert not has(render_page("/alerts"), "alerts-ack-submit")


def test_a_message_that_never_went_out_is_said_on_its_alert(app, alerts):
    with Warehouse(alerts.url).engine.begin() as connection:
        store.record_delivery(
            connection, alerts.wave, "opened", "email", tries=4, now=OPENED_AT, error="connection refused by 127.0.0.1"
        )
    with signed_in(app, "viewer"):
        note = text_of(find(render_page("/alerts"), {"type": "alert-delivery-failed", "alert": str(alerts.wave)}))
    assert note.startswith("Not delivered: email (opening) failed after 4 tries")
    assert "connection refused by 127.0.0.1" in note


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_the_admin_pages_carry_the_banner_too(app, path):
    with signed_in(app, "admin"):
        assert has(render_page(path), BANNER_ID)
