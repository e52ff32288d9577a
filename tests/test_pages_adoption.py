"""The adoption page: figures equal the metric functions, each click opens exactly its accounts."""

from __future__ import annotations

import io
from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlencode

import pandas as pd
import pytest

from dashboard.charts.adoption import outlier_ceiling
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from tests.page_tree import drilled, figure, find, is_empty_state, page_module, render_page
from tests.signin import client_as

# ends on the demo's last day, so account stocks at `end` and the account lists (current state) line up
VIEW = {"start": "2026-04-01", "end": "2026-10-31", "grain": "month"}
FILTERS = Filters(date(2026, 4, 1), date(2026, 10, 31), "month")
PATH = "/adoption"
render = partial(render_page, PATH)
CHARTS = ("adoption-over-time", "new-enrollments", "adoption-by-segment", "enrollment-funnel")


def test_adoption_over_time_plots_the_adoption_table(view, warehouse):
    table = warehouse.adoption(FILTERS)
    rate, total, enrolled = figure(view, "adoption-over-time").data
    assert list(rate.y) == pytest.approx(table["adoption_rate"].tolist(), nan_ok=True)
    assert list(total.y) == table["total_accounts"].tolist()
    assert list(enrolled.y) == table["enrolled_accounts"].tolist()
    assert list(pd.to_datetime(rate.x)) == list(table["period_start"])


def test_new_enrollment_bars_equal_the_adoption_tables_new_enrollments(view, warehouse):
    table = warehouse.adoption(FILTERS)
    (bars,) = figure(view, "new-enrollments").data
    assert list(bars.y) == table["new_enrollments"].tolist()
    assert list(pd.to_datetime(bars.x)) == list(table["period_start"])


def test_each_new_enrollment_bar_opens_exactly_the_accounts_enrolled_in_its_period(view, warehouse):
    (bars,) = figure(view, "new-enrollments").data
    first = dict(parse_qsl(bars.customdata[0]))
    assert (first["start"], first["end"], first["enrolled"]) == ("2026-04-01", "2026-04-30", "true")
    for count, customdata in zip(bars.y, bars.customdata, strict=True):
        assert len(drilled(warehouse, customdata)) == count, customdata


def test_segment_bars_show_each_segments_adoption_rate(view, warehouse):
    table = warehouse.adoption_by_segment(FILTERS).iloc[::-1]
    enrolled, without = figure(view, "adoption-by-segment").data
    assert [label.split(" (")[0] for label in enrolled.y] == table["segment"].tolist()
    assert list(enrolled.x) == pytest.approx(table["adoption_rate"].tolist())
    assert [e + w for e, w in zip(enrolled.x, without.x, strict=True)] == pytest.approx([1.0] * len(table))


def test_a_segments_bar_opens_its_accounts_with_and_without_portal_access(view, warehouse):
    table = warehouse.adoption_by_segment(FILTERS).iloc[::-1]
    enrolled, without = figure(view, "adoption-by-segment").data
    for segment, total, with_access, click_with, click_without in zip(
        table["segment"],
        table["total_accounts"],
        table["enrolled_accounts"],
        enrolled.customdata,
        without.customdata,
        strict=True,
    ):
        assert dict(parse_qsl(click_with))["segment"] == segment
        assert len(drilled(warehouse, click_with)) == with_access
        assert len(drilled(warehouse, click_without)) == total - with_access


def test_funnel_steps_equal_the_enrollment_funnel_in_order(view, warehouse):
    funnel = warehouse.enrollment_funnel(FILTERS)
    (bars,) = figure(view, "enrollment-funnel").data
    assert list(bars.y)[::-1] == [step.capitalize() for step in funnel["step"]]
    assert list(bars.x)[::-1] == funnel["accounts"].tolist()
    assert funnel["route"].tolist()[-1] == "staff" and "second route in" in bars.text[0]


def test_a_funnel_step_is_the_accounts_it_opens(view, warehouse):
    funnel = warehouse.enrollment_funnel(FILTERS)
    (bars,) = figure(view, "enrollment-funnel").data
    for kind, accounts, customdata in zip(funnel["event_type"], funnel["accounts"], bars.customdata[::-1], strict=True):
        assert AccountFilters.parse(dict(parse_qsl(customdata))) == AccountFilters(event_type=(kind,))
        assert len(drilled(warehouse, customdata)) == accounts
    assert funnel["accounts"].iloc[0] > 0


def test_a_step_counts_accounts_not_events(warehouse):
    funnel = warehouse.enrollment_funnel(FILTERS).set_index("event_type")
    listed = warehouse.accounts(FILTERS, AccountFilters(event_type=("registration_code_invalid",)))
    rejections = sum(
        int((warehouse.activity(number, FILTERS)["event_type"] == "registration_code_invalid").sum())
        for number in listed["account_number"]
    )
    assert funnel.loc["registration_code_invalid", "accounts"] == len(listed) <= rejections


def test_each_download_returns_what_its_chart_shows(view, dash_app, warehouse):
    client = client_as(dash_app)
    expected = {
        "adoption": warehouse.adoption(FILTERS),
        "adoption_by_segment": warehouse.adoption_by_segment(FILTERS),
        "enrollment_funnel": warehouse.enrollment_funnel(FILTERS),
    }
    for dataset, frame in expected.items():
        link = find(view, {"type": "download", "dataset": dataset})
        assert link.href == f"/export/{dataset}.csv?{urlencode(VIEW)}"
        exported = pd.read_csv(io.BytesIO(client.get(link.href).data))
        assert len(exported) == len(frame), dataset


def test_an_unknown_segment_shows_empty_states(in_module_request):
    tree = render(**VIEW, segment="no-such-segment")
    for chart in CHARTS:
        assert is_empty_state(figure(tree, chart)), chart


def test_a_range_with_no_data_shows_empty_states(in_module_request):
    tree = render(start="2001-01-01", end="2001-12-31", grain="month")
    for chart in CHARTS:
        assert is_empty_state(figure(tree, chart)), chart


def test_a_brand_new_warehouse_shows_empty_states(empty_warehouse):
    today = date.today()
    tree = page_module(PATH).body(empty_warehouse, Filters(today, today, "week"))
    for chart in CHARTS:
        assert is_empty_state(figure(tree, chart)), chart


def test_one_towering_period_does_not_flatten_the_other_bars():
    ordinary = pd.Series([40, 55, 60, 48, 52, 61, 47, 58, 50, 45])
    assert outlier_ceiling(ordinary) is None
    ceiling = outlier_ceiling(pd.concat([pd.Series([4000]), ordinary]))
    assert ceiling is not None and 60 < ceiling < 4000
