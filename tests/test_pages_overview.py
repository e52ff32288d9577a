"""The overview page (`/`): KPI cards, their changes, trend lines, links and download, on the demo warehouse."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from functools import partial
from urllib.parse import urlencode

import pandas as pd
import pytest

from dashboard.charts import overview
from dashboard.data.metrics import KPIS
from dashboard.data.view import Filters
from tests.page_tree import find, page_module, render_page, text_of
from tests.signin import client_as

VIEW = {"start": "2026-05-01", "end": "2026-10-31", "grain": "week", "segment": "residential"}
FILTERS = Filters(date(2026, 5, 1), date(2026, 10, 31), "week", "residential")
PATH = "/"
render = partial(render_page, PATH)


CARDS = [key for key, _ in KPIS if key not in overview.SHOWN_ON]
"""The KPIs with a card of their own; a share of enrolled is written on its count's card."""


def test_each_card_shows_the_kpi_value_and_its_change_for_the_view(view, warehouse):
    kpis = warehouse.kpis(FILTERS).set_index("kpi")
    assert list(kpis.index) == [key for key, _ in KPIS]
    for key, row in kpis.iterrows():
        value = text_of(find(view, {"type": "kpi-value", "kpi": key}))
        if key in overview.SHOWN_ON:
            assert value == f"{overview.format_value(key, row['value'])} of enrolled"
            assert find(view, {"type": "kpi-card", "kpi": overview.SHOWN_ON[key]})
            continue
        assert value == overview.format_value(key, row["value"])
        change = overview.describe_change(key, row["change"])
        assert change.text in text_of(find(view, {"type": "kpi-change", "kpi": key}))
    assert text_of(find(view, {"type": "kpi-value", "kpi": "adoption_rate"})).endswith("%")


def test_trend_lines_equal_their_period_tables(view, warehouse):
    sources = {
        "adoption_rate": warehouse.adoption(FILTERS)["adoption_rate"],
        "enrolled_accounts": warehouse.adoption(FILTERS)["enrolled_accounts"],
        "active_users_30d": warehouse.active_users(FILTERS)["active_users_30d"],
        "active_users_90d": warehouse.active_users(FILTERS)["active_users_90d"],
        "placeholder_accounts": warehouse.email_status_over_time(FILTERS)["placeholder"],
        "at_risk_accounts": warehouse.email_status_over_time(FILTERS)["at_risk"],
        "failed_recovery_attempts": warehouse.recovery(FILTERS)["failed"],
        "self_service_resets": warehouse.resets(FILTERS)["self_service_resets"],
        "staff_resets": warehouse.resets(FILTERS)["staff_resets"],
        "lockout_events": warehouse.lockouts(FILTERS)["lockout_events"],
    }
    periods = warehouse.adoption(FILTERS)["period_start"]
    for key, expected in sources.items():
        (trace,) = find(view, {"type": "kpi-trend", "kpi": key}).figure.data
        assert list(trace.y) == pytest.approx(expected.tolist(), nan_ok=True), key
        assert list(pd.to_datetime(trace.x)) == list(periods), key


@pytest.mark.parametrize(
    "filters",
    [
        FILTERS,
        Filters(date(2024, 2, 10), date(2026, 10, 31), "day"),
        Filters(date(2026, 1, 1), date(2026, 2, 1), "month"),
    ],
)
def test_one_read_overview_equals_the_kpi_and_period_table_queries(warehouse, filters):
    trend = overview.trend_filters(filters)
    kpis, tables = warehouse.overview(filters, trend)
    pd.testing.assert_frame_equal(kpis, warehouse.kpis(filters))
    pd.testing.assert_frame_equal(tables["adoption"], warehouse.adoption(trend))
    pd.testing.assert_frame_equal(tables["email_statuses"], warehouse.email_status_over_time(trend))
    pd.testing.assert_frame_equal(tables["recovery"], warehouse.recovery(trend))
    pd.testing.assert_frame_equal(tables["resets"], warehouse.resets(trend))
    pd.testing.assert_frame_equal(tables["lockouts"], warehouse.lockouts(trend))
    pd.testing.assert_frame_equal(tables["active_users"], warehouse.active_users(trend))
    pd.testing.assert_frame_equal(tables["rates"], warehouse.rates(trend))


def test_a_long_daily_range_draws_weekly_trend_lines(in_module_request, warehouse):
    tree = render(start="2025-01-01", end="2026-10-31", grain="day")
    weekly = warehouse.resets(Filters(date(2025, 1, 1), date(2026, 10, 31), "week"))
    (trace,) = find(tree, {"type": "kpi-trend", "kpi": "staff_resets"}).figure.data
    assert list(trace.y) == weekly["staff_resets"].tolist()


@pytest.mark.parametrize(
    ("kpi", "change", "verdict"),
    [
        ("adoption_rate", 0.012, "better"),
        ("enrolled_accounts", -3, "worse"),
        ("placeholder_accounts", 4, "worse"),
        ("at_risk_accounts", -2, "better"),
        ("failed_recovery_attempts", 5, "worse"),
        ("staff_resets", -7, "better"),
        ("lockout_events", 9, "worse"),
        ("self_service_resets", 9, "neutral"),
        ("lockout_events", 0, "unchanged"),
    ],
)
def test_change_colour_says_whether_the_change_is_good_news_for_that_kpi(kpi, change, verdict):
    described = overview.describe_change(kpi, change)
    assert described.verdict == verdict
    assert described.arrow == ("▲" if change > 0 else "▼" if change < 0 else "→")


def test_changes_are_signed_numbers_and_rates_in_percentage_points():
    assert overview.describe_change("lockout_events", 1234).text == "+1,234"
    assert overview.describe_change("lockout_events", -5).text == "−5"
    assert overview.describe_change("adoption_rate", 0.0123).text == "+1.2 pp"


def test_a_previous_range_before_the_first_data_is_not_compared(in_module_request, warehouse):
    start, end = warehouse.extent()
    tree = render(start=start.isoformat(), end=end.isoformat())
    text = text_of(find(tree, {"type": "kpi-change", "kpi": "lockout_events"}))
    assert text == "no data in the previous range"


EXPLAINED_BY = {
    ("/adoption", "Adoption"): ("adoption_rate", "enrolled_accounts", "active_users_30d", "active_users_90d"),
    ("/placeholder-emails", "Placeholder emails"): ("placeholder_accounts", "at_risk_accounts"),
    ("/recovery", "Recovery"): ("failed_recovery_attempts", "recovery_success_rate"),
    ("/resets", "Resets"): ("self_service_resets", "staff_resets", "staff_share_of_resets"),
    ("/lockouts", "Lockouts"): ("lockout_events", "lockouts_per_1000_enrolled"),
}
"""The KPIs each page explains, by the page's path and its name in the navbar."""


def test_each_card_links_to_its_page_with_the_views_query_string(view):
    query = urlencode(VIEW)
    assert sorted(key for keys in EXPLAINED_BY.values() for key in keys) == sorted(CARDS)
    for (path, name), keys in EXPLAINED_BY.items():
        for key in keys:
            link = find(view, {"type": "kpi-link", "kpi": key})
            assert link.href == f"{path}?{query}"
            assert text_of(link) == f"Open {name} →"


def test_the_kpi_download_holds_the_kpis_of_the_view(view, dash_app, warehouse):
    link = find(view, {"type": "download", "dataset": "kpis"})
    assert link.href == f"/export/kpis.csv?{urlencode(VIEW)}"
    response = client_as(dash_app).get(link.href)
    assert response.status_code == 200
    exported = pd.read_csv(io.BytesIO(response.data))
    assert exported["value"].tolist() == pytest.approx(warehouse.kpis(FILTERS)["value"].tolist(), nan_ok=True)


def test_a_range_with_no_data_says_so_and_draws_no_trend(in_module_request):
    tree = render(start="2001-01-01", end="2001-03-31", grain="week")
    assert "No accounts or events" in text_of(find(tree, "overview-empty"))
    assert find(tree, {"type": "kpi-trend", "kpi": "lockout_events"}).figure.data == ()
    assert text_of(find(tree, {"type": "kpi-value", "kpi": "adoption_rate"})) == "–"


def test_an_unknown_segment_says_so(in_module_request):
    tree = render(segment="no-such-segment")
    assert "no-such-segment" in text_of(find(tree, "overview-empty"))


def test_a_brand_new_warehouse_shows_an_empty_overview(empty_warehouse):
    today = date.today()
    tree = page_module(PATH).body(empty_warehouse, Filters(today, today, "week"))
    assert "No accounts or events" in text_of(find(tree, "overview-empty"))


def test_sparkline_grain_stays_the_views_when_it_has_few_periods():
    view = Filters(date(2026, 1, 1), date(2026, 3, 31), "day")
    assert overview.trend_filters(view) == view
    assert overview.trend_filters(replace(view, start=date(2024, 1, 1))).grain == "week"
    assert overview.trend_filters(replace(view, start=date(2020, 1, 1))).grain == "month"
