"""The recovery page: its figures are the query layer's numbers, and every click opens its slice."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlparse

import pandas as pd
import pytest
from dash import html

from dashboard.data.metrics import OUTCOMES
from dashboard.data.slices import ACCOUNT_PARAMETERS, AccountFilters
from dashboard.data.view import Filters
from dashboard.web import grids
from dashboard.web.export import DATASETS
from dashboard.web.grids import records
from portal.vocabulary import RECOVERY_FAILURES, RECOVERY_STEPS
from tests.page_tree import find, has, of_type, render_page, series_of, slice_of, text_of, views_without_data

VIEW = {"start": "2025-01-10", "end": "2025-06-20", "grain": "month"}
FILTERS = Filters(start=date(2025, 1, 10), end=date(2025, 6, 20), grain="month")
PATH = "/recovery"
render = partial(render_page, PATH)
OUTCOMES_CHART = {"type": "drill", "chart": "recovery-outcomes"}
REASONS_CHART = {"type": "drill", "chart": "recovery-failure-reasons"}
FUNNEL_CHART = {"type": "drill", "chart": "recovery-funnel"}
REPEATS_GRID = {"type": "paged-grid", "name": "repeated-failures"}


def trace(figure, name):
    return next(t for t in figure.data if t.name == name)


def test_outcome_bars_are_the_recovery_metric_per_period(view, warehouse):
    figure = find(view, OUTCOMES_CHART).figure
    table = warehouse.recovery(FILTERS)
    assert [t.name for t in series_of(figure)] == ["Succeeded", "Failed", "Abandoned"]
    assert figure.layout.barmode == "stack"
    for bars, outcome in zip(series_of(figure), OUTCOMES, strict=True):
        assert list(pd.to_datetime(bars.x)) == list(table["period_start"])
        assert list(bars.y) == table[outcome].tolist()
    assert table["failed"].sum() > 0


def test_outcome_bar_opens_accounts_with_that_outcome_started_in_its_period(view):
    figure = find(view, OUTCOMES_CHART).figure
    first_january, last_june = trace(figure, "Failed").customdata[0], trace(figure, "Failed").customdata[-1]
    view, only = slice_of(first_january)
    assert (view.start, view.end, view.grain) == (date(2025, 1, 10), date(2025, 1, 31), "month")
    assert only == AccountFilters(outcome="failed")
    assert slice_of(last_june)[0].start == date(2025, 6, 1) and slice_of(last_june)[0].end == date(2025, 6, 20)
    assert slice_of(trace(figure, "Abandoned").customdata[2])[1] == AccountFilters(outcome="abandoned")


def test_failed_bar_lists_no_more_accounts_than_failed_attempts_and_each_has_one(view, warehouse):
    figure = find(view, OUTCOMES_CHART).figure
    failed = trace(figure, "Failed")
    busiest = max(range(len(failed.y)), key=lambda i: failed.y[i])
    view, only = slice_of(failed.customdata[busiest])
    listed = warehouse.accounts(view, only)
    attempts = warehouse.recovery_attempts(view)
    with_failure = set(attempts.loc[attempts["outcome"] == "failed", "account_number"].dropna())
    known = set(warehouse.accounts(view)["account_number"])
    assert 0 < len(listed) <= failed.y[busiest]
    assert set(listed["account_number"]) == with_failure & known


def test_failure_reason_bars_are_the_recovery_metric_and_open_that_reason(view, warehouse):
    bars_of = [trace for trace in series_of(find(view, REASONS_CHART).figure) if trace.type == "bar"]
    table = warehouse.recovery(FILTERS)
    assert [t.name for t in bars_of] == ["Email unknown", "Code failed", "Security question failed"]
    for bars, reason in zip(bars_of, RECOVERY_FAILURES, strict=True):
        assert list(bars.y) == table[reason].tolist()
        assert {slice_of(query)[1] for query in bars.customdata} == {AccountFilters(failure_reason=reason)}
    # the reasons of failed attempts add up to the failed outcome
    assert sum(table[reason] for reason in RECOVERY_FAILURES).tolist() == table["failed"].tolist()


def test_failed_attempts_carry_their_usual_band(view, warehouse):
    band = warehouse.band("failed_recovery_attempts", FILTERS)
    usual = next(trace for trace in find(view, REASONS_CHART).figure.data if trace.name == "Usual range")
    assert list(usual.y) == pytest.approx(band["high"].tolist(), nan_ok=True)
    assert band["usual"].notna().any()


def test_funnel_shows_attempts_reaching_each_step_with_drop_off(view, warehouse):
    tree = view
    funnel = warehouse.recovery_funnel(FILTERS)
    steps = find(tree, FUNNEL_CHART).figure.data[0]
    assert list(steps.x) == funnel["attempts"].tolist()
    assert [label.lower() for label in steps.y] == list(RECOVERY_STEPS)
    reset = funnel.iloc[-1]
    assert f"−{reset.drop_off:,}, {reset.drop_off_rate:.1%} drop-off" in steps.text[-1]
    table_text = [text_of(cell) for cell in of_type(find(tree, "recovery-funnel-table"), html.Td)]
    assert f"{funnel['drop_off'].iloc[2]:,}" in table_text and f"{funnel['drop_off_rate'].iloc[2]:.1%}" in table_text


def test_funnel_step_opens_accounts_with_an_attempt_that_reached_it(view, warehouse):
    steps = find(view, FUNNEL_CHART).figure.data[0]
    for k, query in enumerate(steps.customdata):
        view, only = slice_of(query)
        assert (view.start, view.end) == (FILTERS.start, FILTERS.end)
        assert only == AccountFilters(step=k)
    view, only = slice_of(steps.customdata[-1])
    listed = warehouse.accounts(view, only)
    assert 0 < len(listed) <= steps.x[-1]
    for account in listed["account_number"][:10]:
        attempts = warehouse.attempts_of(account)
        started = attempts["started_at"].dt.date.between(FILTERS.start, FILTERS.end)
        assert (attempts.loc[started, "furthest_step"] >= len(RECOVERY_STEPS) - 1).any(), account


def test_repeated_failures_grid_pages_accounts_with_two_failed_attempts_most_first(in_request, warehouse):
    first, last = warehouse.extent()
    tree = render(grain="month", start=first.isoformat(), end=last.isoformat())
    grid = find(tree, REPEATS_GRID)
    state = find(tree, {"type": "paged-grid-state", "name": "repeated-failures"}).data
    everything = Filters.parse({"grain": "month"}, warehouse.extent())
    expected = warehouse.accounts(everything, AccountFilters(min_failed=2))
    assert len(expected) > 0
    (sorted_column,) = [column for column in grid.columnDefs if column.get("sort")]
    assert (sorted_column["field"], sorted_column["sort"]) == ("failed_recovery_attempts", "desc")
    request = {
        "startRow": 0,
        "endRow": len(expected),
        "sortModel": [{"colId": "failed_recovery_attempts", "sort": "desc"}],
    }
    response, count = grids.rows_response(request, state)
    rows = response["rowData"]
    assert response["rowCount"] == len(expected) and count == f"{len(expected):,} accounts"
    assert sorted(r["account_number"] for r in rows) == sorted(expected["account_number"])
    counts = [r["failed_recovery_attempts"] for r in rows]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 2
    by_account = {r["account_number"]: r for r in records(expected)}
    assert all(row == by_account[row["account_number"]] for row in rows)
    assert grid.getRowId == "params.data.account_number"


def test_download_links_carry_the_view_and_point_at_export_datasets(in_request):
    tree = render(**VIEW, segment="business")
    view = {**VIEW, "segment": "business"}
    expected = {
        "recovery": view,
        "recovery_attempts": view,
        "recovery_funnel": view,
        "accounts": {**view, "min_failed": "2"},
    }
    for dataset, params in expected.items():
        href = urlparse(find(tree, {"type": "download", "dataset": dataset}).href)
        assert href.path == f"/export/{dataset}.csv"
        assert dict(parse_qsl(href.query)) == params
        assert set(params) <= DATASETS[dataset][0] | ACCOUNT_PARAMETERS


def test_drill_queries_keep_the_chosen_segment(in_request):
    figure = find(render(**VIEW, segment="business"), OUTCOMES_CHART).figure
    assert all(slice_of(query)[0].segment == "business" for query in figure.data[0].customdata)


@views_without_data(VIEW)
def test_a_view_without_attempts_shows_empty_states(in_request, query):
    tree = render(**query)
    for chart in (OUTCOMES_CHART, REASONS_CHART, FUNNEL_CHART):
        figure = find(tree, chart).figure
        assert not figure.data and figure.layout.annotations, chart
    assert not has(tree, REPEATS_GRID)
    assert "No account had 2 or more" in find(tree, "repeated-failures-empty").children


def test_a_brand_new_warehouse_shows_empty_states(empty_warehouse):
    tree = render()
    assert not find(tree, OUTCOMES_CHART).figure.data
    assert find(tree, "repeated-failures-empty")
