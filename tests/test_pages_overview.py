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
from dashboard.data import ranges
from dashboard.data.metrics import KPIS
from dashboard.data.view import Filters
from tests.page_tree import find, page_module, render_page, text_of, walk
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


def test_a_count_changes_by_a_number_and_a_percentage_of_the_previous_figure():
    assert overview.describe_change("lockout_events", 31, 10).text == "+31 (+310%)"
    assert overview.describe_change("lockout_events", -1, 40).text == "−1 (−2.5%)"
    assert overview.describe_change("lockout_events", 7, 0).text == "+7 (from 0)"
    assert overview.describe_change("lockouts_per_1000_enrolled", 0.5, 2.0).text == "+0.5 (+25%)"


def test_a_rate_changes_in_percentage_points_only():
    assert overview.describe_change("adoption_rate", 0.0123, 0.5).text == "+1.2 pp"


def test_a_previous_range_the_data_only_partly_covers_is_flagged_not_compared():
    change = overview.describe_change("lockout_events", 31, 10, coverage="part")
    assert (change.text, change.verdict) == ("previous range only partly loaded: not compared", "none")


def test_the_overview_opens_on_the_last_full_month_against_the_month_before(in_module_request, warehouse):
    tree = render()
    dates = find(tree, "filter-dates")
    start, end = ranges.preset_range("last_full_month", warehouse.extent())
    assert (dates.start_date, dates.end_date) == (start.isoformat(), end.isoformat())
    text = text_of(find(tree, {"type": "kpi-change", "kpi": "lockout_events"}))
    assert "previous range" not in text and "earlier" not in text


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


def test_an_unusual_figure_reads_as_the_figure_its_usual_range_and_how_far_off():
    row = {"series": "lockout_events", "label": "Lockout events", "value": 31, "usual": 11.0, "low": 1.05, "high": 20.9}
    assert overview.describe_unusual({**row, "outside": "above"}) == (
        "Lockout events 31: above the usual 1–20, 2.8x the median of 11"
    )
    rate = {"series": "recovery_success_rate", "label": "Recovery success rate", "value": 0.62, "usual": 0.81}
    line = overview.describe_unusual({**rate, "low": 0.75, "high": 0.87, "outside": "below"})
    assert line == "Recovery success rate 62.0%: below the usual 75.0%–87.0%, 19.0 pp from the median of 81.0%"


def is_unusual_item(component_id) -> bool:
    return isinstance(component_id, dict) and component_id.get("type") == "unusual"


def test_the_strip_lists_what_lies_outside_its_usual_range_in_the_last_whole_week_and_day(view, warehouse):
    (week, by_week), (day, by_day) = warehouse.unusual_now(FILTERS)
    assert (week.start, week.end, week.grain) == (date(2026, 10, 19), date(2026, 10, 25), "week")
    assert (day.start, day.end, day.grain) == (date(2026, 10, 31), date(2026, 10, 31), "day")
    listed = [
        item for item in walk(view) if isinstance(getattr(item, "id", None), dict) and item.id["type"] == "unusual"
    ]
    expected = [
        (period.grain, row["series"], overview.describe_unusual(row))
        for period, judged in ((week, by_week), (day, by_day))
        for row in judged.to_dict("records")
        if row["outside"]
    ]
    assert [(item.id["grain"], item.id["series"], text_of(item)) for item in listed] == expected
    if not expected:
        assert "inside their usual ranges" in text_of(find(view, "unusual-none"))


def contrast_on_white(colour: str) -> float:
    """WCAG 2 contrast ratio of a #rrggbb text colour on white."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def test_change_text_colours_reach_wcag_contrast_on_white():
    assert min(contrast_on_white(colour) for colour in overview.VERDICT_COLORS.values()) >= 4.5


def test_better_and_worse_are_said_in_words_beside_the_colour(view):
    for key in ("failed_recovery_attempts", "adoption_rate"):
        change = overview.describe_change(key, 1, 10)
        assert change.word in ("better", "worse")
        assert overview.describe_change(key, -1, 10).word != change.word
    cards = [key for key, _ in KPIS if key not in overview.SHOWN_ON]
    words = {text_of(find(view, {"type": "kpi-change", "kpi": key})).split(" vs ")[0].split()[-1] for key in cards}
    assert words & {"better", "worse"}
