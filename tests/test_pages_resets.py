"""The resets page: volumes and the weekday-by-hour heatmap are the query layer's numbers, and every
bar and cell opens the accounts behind it."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlparse

import pandas as pd

from dashboard.data.metrics import RESET_TYPES, WEEKDAYS
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.data.warehouse import HEATMAP_TYPES
from dashboard.web.export import DATASETS
from tests.page_tree import find, render_page, series_of, slice_of, views_without_data

VIEW = {"start": "2025-02-10", "end": "2025-07-20", "grain": "month"}
FILTERS = Filters(start=date(2025, 2, 10), end=date(2025, 7, 20), grain="month")
PATH = "/resets"
render = partial(render_page, PATH)
VOLUMES_CHART = {"type": "drill", "chart": "resets-over-time"}
HEATMAP_CHART = {"type": "drill", "chart": "resets-heatmap"}
COLUMNS = ("self_service_resets", "staff_resets", "password_changes")


def test_reset_bars_are_the_resets_metric_per_period(view, warehouse):
    figure = find(view, VOLUMES_CHART).figure
    table = warehouse.resets(FILTERS)
    assert [t.name for t in series_of(figure)] == ["Self-service resets", "Staff resets", "In-session changes"]
    for bars, column in zip(series_of(figure), COLUMNS, strict=True):
        assert list(pd.to_datetime(bars.x)) == list(table["period_start"])
        assert list(bars.y) == table[column].tolist()
    assert table[list(COLUMNS)].to_numpy().all()


def test_self_service_and_staff_resets_stack_beside_in_session_changes(view):
    figure = find(view, VOLUMES_CHART).figure
    assert figure.layout.barmode == "stack"
    assert [t.offsetgroup for t in series_of(figure)] == ["resets", "resets", "changes"]


def test_reset_bar_opens_accounts_with_that_event_type_in_its_period(view):
    figure = find(view, VOLUMES_CHART).figure
    for bars, column in zip(series_of(figure), COLUMNS, strict=True):
        view, only = slice_of(bars.customdata[0])
        assert (view.start, view.end) == (date(2025, 2, 10), date(2025, 2, 28))
        assert only == AccountFilters(event_type=(RESET_TYPES[column],))
    assert slice_of(figure.data[0].customdata[-1])[0].end == date(2025, 7, 20)


def test_staff_reset_bar_lists_accounts_that_staff_reset_then(view, warehouse):
    staff = find(view, VOLUMES_CHART).figure.data[1]
    view, only = slice_of(staff.customdata[2])
    listed = warehouse.accounts(view, only)
    assert 0 < len(listed) <= staff.y[2]
    for account in listed["account_number"]:
        assert "password_reset_by_staff" in set(warehouse.activity(account, view)["event_type"]), account


def test_heatmap_is_resets_by_weekday_and_hour(view, warehouse):
    cells = find(view, HEATMAP_CHART).figure.data[0]
    table = warehouse.reset_heatmap(FILTERS)
    assert list(cells.y) == list(WEEKDAYS) and list(cells.x) == list(range(24))
    for row in table.itertuples():
        assert cells.z[row.weekday][row.hour] == row.events
    assert sum(map(sum, cells.z)) == table["events"].sum() > 0
    assert cells.colorscale[0][1] != cells.colorscale[-1][1]  # a sequential scale, not one colour


def test_heatmap_cell_opens_accounts_reset_on_that_weekday_and_hour(view, warehouse):
    cells = find(view, HEATMAP_CHART).figure.data[0]
    weekday, hour = max(((w, h) for w in range(7) for h in range(24)), key=lambda wh: cells.z[wh[0]][wh[1]])
    view, only = slice_of(cells.customdata[weekday][hour])
    assert (view.start, view.end, view.segment) == (FILTERS.start, FILTERS.end, None)
    assert only == AccountFilters(event_type=HEATMAP_TYPES, weekday=weekday, hour=hour)
    listed = warehouse.accounts(view, only)
    assert 0 < len(listed) <= cells.z[weekday][hour]
    for account in listed["account_number"]:
        events = warehouse.activity(account, view)
        resets = events[events["event_type"].isin(HEATMAP_TYPES)]["occurred_at"]
        assert ((resets.dt.day_of_week == weekday) & (resets.dt.hour == hour)).any(), account


def test_download_links_carry_the_view_and_point_at_export_datasets(in_request):
    tree = render(**VIEW, segment="residential")
    for dataset in ("resets", "reset_heatmap"):
        href = urlparse(find(tree, {"type": "download", "dataset": dataset}).href)
        assert href.path == f"/export/{dataset}.csv" and dataset in DATASETS
        assert dict(parse_qsl(href.query)) == {**VIEW, "segment": "residential"}


@views_without_data(VIEW)
def test_a_view_without_resets_shows_empty_states(in_request, query):
    tree = render(**query)
    for chart in (VOLUMES_CHART, HEATMAP_CHART):
        figure = find(tree, chart).figure
        assert not figure.data and figure.layout.annotations, chart


def test_a_brand_new_warehouse_shows_empty_states(empty_warehouse):
    tree = render()
    assert not find(tree, VOLUMES_CHART).figure.data
    assert not find(tree, HEATMAP_CHART).figure.data
