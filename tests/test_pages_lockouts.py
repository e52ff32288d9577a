"""The lockouts page: lockouts over time are the query layer's numbers, a bar opens the accounts
locked then, and the most-locked table and its download hold the same top N."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlparse

import pandas as pd
from dash import html

from dashboard.charts.lockouts import MOST_LOCKED_LIMIT
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.export import DATASETS
from dashboard.web.grids import records
from tests.page_tree import find, has, of_type, render_page, slice_of, text_of, views_without_data

VIEW = {"start": "2025-03-05", "end": "2025-12-31", "grain": "month"}
FILTERS = Filters(start=date(2025, 3, 5), end=date(2025, 12, 31), grain="month")
PATH = "/lockouts"
render = partial(render_page, PATH)
LOCKOUTS_CHART = {"type": "drill", "chart": "lockouts-over-time"}
MOST_LOCKED_GRID = {"type": "account-grid", "name": "most-locked"}


def test_lockout_bars_are_the_lockouts_metric_per_period(view, warehouse):
    figure = find(view, LOCKOUTS_CHART).figure
    table = warehouse.lockouts(FILTERS)
    assert [t.name for t in figure.data] == ["Lockout events", "Accounts locked"]
    for bars, column in zip(figure.data, ("lockout_events", "accounts_locked"), strict=True):
        assert list(pd.to_datetime(bars.x)) == list(table["period_start"])
        assert list(bars.y) == table[column].tolist()
    assert table["lockout_events"].sum() > 0


def test_lockout_bar_opens_accounts_locked_in_its_period(view):
    figure = find(view, LOCKOUTS_CHART).figure
    for bars in figure.data:
        view, only = slice_of(bars.customdata[0])
        assert (view.start, view.end) == (date(2025, 3, 5), date(2025, 3, 31))
        assert only == AccountFilters(event_type=("account_locked",))


def test_locked_accounts_listed_match_the_locked_accounts_bar(view, warehouse):
    locked = find(view, LOCKOUTS_CHART).figure.data[1]
    busiest = max(range(len(locked.y)), key=lambda i: locked.y[i])
    view, only = slice_of(locked.customdata[busiest])
    listed = warehouse.accounts(view, only)
    assert 0 < len(listed) <= locked.y[busiest]
    assert (listed["lockouts"] > 0).all()
    for account in listed["account_number"][:10]:
        assert "account_locked" in set(warehouse.activity(account, view)["event_type"]), account


def test_most_locked_table_is_the_top_n_of_the_query(in_request, warehouse):
    first, last = warehouse.extent()
    tree = render(grain="month", start=first.isoformat(), end=last.isoformat())
    everything = Filters.parse({"grain": "month"}, warehouse.extent())
    expected = warehouse.most_locked(everything, limit=MOST_LOCKED_LIMIT)
    grid = find(tree, MOST_LOCKED_GRID)
    assert len(expected) == MOST_LOCKED_LIMIT
    assert grid.rowData == records(expected)
    assert grid.getRowId == "params.data.account_number"
    titles = [text_of(title) for title in of_type(tree, html.H3)]
    assert f"Accounts locked most often (top {MOST_LOCKED_LIMIT})" in titles


def test_most_locked_download_carries_the_same_limit_as_the_table(view):
    href = urlparse(find(view, {"type": "download", "dataset": "most_locked"}).href)
    assert href.path == "/export/most_locked.csv"
    assert dict(parse_qsl(href.query)) == {**VIEW, "limit": str(MOST_LOCKED_LIMIT)}
    assert "limit" in DATASETS["most_locked"][0]


def test_lockouts_download_carries_the_view(in_request):
    href = urlparse(find(render(**VIEW, segment="business"), {"type": "download", "dataset": "lockouts"}).href)
    assert href.path == "/export/lockouts.csv"
    assert dict(parse_qsl(href.query)) == {**VIEW, "segment": "business"}


@views_without_data(VIEW)
def test_a_view_without_lockouts_shows_empty_states(in_request, query):
    tree = render(**query)
    figure = find(tree, LOCKOUTS_CHART).figure
    assert not figure.data and figure.layout.annotations
    assert not has(tree, MOST_LOCKED_GRID)
    assert find(tree, "most-locked-empty").children == "No account was locked in this range."


def test_a_brand_new_warehouse_shows_empty_states(empty_warehouse):
    tree = render()
    assert not find(tree, LOCKOUTS_CHART).figure.data
    assert find(tree, "most-locked-empty")
