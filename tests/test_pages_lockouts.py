"""The lockouts page: lockouts over time are the query layer's numbers, a bar opens the accounts
locked then, and the most-locked table and its download hold the same top N."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlparse

import pandas as pd
import pytest
from dash import dcc, html

from dashboard.charts.lockouts import MOST_LOCKED_LIMIT
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.export import DATASETS
from dashboard.web.grids import records
from tests.page_tree import find, has, of_type, render_page, series_of, slice_of, text_of, views_without_data, walk

VIEW = {"start": "2025-03-05", "end": "2025-12-31", "grain": "month"}
FILTERS = Filters(start=date(2025, 3, 5), end=date(2025, 12, 31), grain="month")
PATH = "/lockouts"
render = partial(render_page, PATH)
LOCKOUTS_CHART = {"type": "drill", "chart": "lockouts-over-time"}
MOST_LOCKED_GRID = {"type": "account-grid", "name": "most-locked"}


def bars(view) -> list:
    return [trace for trace in series_of(find(view, LOCKOUTS_CHART).figure) if trace.type == "bar"]


def test_lockout_bars_stack_accounts_locked_under_their_repeat_lockouts(view, warehouse):
    table = warehouse.lockouts(FILTERS)
    locked, repeats = bars(view)
    assert (locked.name, repeats.name) == ("Accounts locked", "Repeat lockouts of those accounts")
    assert list(pd.to_datetime(locked.x)) == list(table["period_start"])
    assert list(locked.y) == table["accounts_locked"].tolist()
    assert [a + b for a, b in zip(locked.y, repeats.y, strict=True)] == table["lockout_events"].tolist()
    assert table["lockout_events"].sum() > 0


def test_lockout_bar_opens_accounts_locked_in_its_period(view):
    for stack in bars(view):
        view_of, only = slice_of(stack.customdata[0])
        assert (view_of.start, view_of.end) == (date(2025, 3, 5), date(2025, 3, 31))
        assert only == AccountFilters(event_type=("account_locked",))


def test_locked_accounts_listed_match_the_locked_accounts_bar(view, warehouse):
    locked = bars(view)[0]
    busiest = max(range(len(locked.y)), key=lambda i: locked.y[i])
    view_of, only = slice_of(locked.customdata[busiest])
    listed = warehouse.accounts(view_of, only)
    assert len(listed) == locked.y[busiest]
    assert (listed["lockouts"] > 0).all()
    for account in listed["account_number"][:10]:
        assert "account_locked" in set(warehouse.activity(account, view_of)["event_type"]), account


def test_lockout_events_carry_their_usual_band_and_marks_outside_it(view, warehouse):
    band = warehouse.band("lockout_events", FILTERS)
    traces = {trace.name: trace for trace in find(view, LOCKOUTS_CHART).figure.data}
    assert list(traces["Usual range"].y) == pytest.approx(band["high"].tolist(), nan_ok=True)
    for side, name in (("above", "Above the usual range"), ("below", "Below the usual range")):
        outside = band[band["outside"] == side]
        marked = list(pd.to_datetime(traces[name].x)) if name in traces else []
        assert marked == list(outside["period_start"]), side


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


def test_the_chart_has_a_text_summary_and_a_table_whose_values_open_their_accounts(view):
    caption = text_of(find(view, "lockouts-over-time-summary"))
    assert caption.startswith("Lockout events, 10 rows from 2025-03-01 to 2025-12-01.")
    locked = bars(view)[0]
    table = find(view, "lockouts-over-time-table")
    first_column = [link for link in walk(table) if isinstance(link, dcc.Link)][::2]  # rows of two linked values
    assert [link.href for link in first_column] == [f"/accounts?{query}" for query in locked.customdata]
    assert [text_of(link) for link in first_column] == [f"{count:,}" for count in locked.y]
