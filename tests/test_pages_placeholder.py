"""The placeholder-emails page: status bars, new at-risk against fixed accounts, the at-risk and username grids."""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import partial
from urllib.parse import parse_qsl, urlencode

import dash
import pandas as pd
import pytest

from dashboard.charts import placeholder
from dashboard.charts.common import COLORS, LABELS
from dashboard.data.view import Filters
from dashboard.web import grids
from tests.page_tree import (
    drilled,
    figure,
    find,
    has,
    is_empty_state,
    page_module,
    render_page,
    series_of,
    text_of,
    walk,
)
from tests.signin import client_as

# ends on the demo's last day, so account stocks at `end` and the account lists (current state) line up
VIEW = {"start": "2026-01-01", "end": "2026-10-31", "grain": "month"}
FILTERS = Filters(date(2026, 1, 1), date(2026, 10, 31), "month")
PATH = "/placeholder-emails"
render = partial(render_page, PATH)


@pytest.fixture(scope="module")
def usernames(view):
    """The usernames tab's content, as the tab callback draws it for the page's view."""
    return show_tab(view, "username-not-email")


def show_tab(tree, name: str):
    return page_module(PATH).show_list(name, find(tree, "placeholder-view").data)


def status_bars(tree) -> dict[str, dict[str, float]]:
    """Per trace name, the bar length of each email status (the figure's own y labels)."""
    bars = [trace for trace in figure(tree, "email-status").data if trace.type == "bar"]
    return {trace.name: dict(zip(trace.y, trace.x, strict=True)) for trace in bars}


def test_email_status_bars_equal_the_breakdown_by_portal_access(view, warehouse):
    breakdown = warehouse.email_status_breakdown(FILTERS)
    bars = status_bars(view)
    for row in breakdown.itertuples():
        label = LABELS[row.email_status]
        with_access = bars["With portal access"][label] + bars["At risk: with portal access"][label]
        assert with_access == row.with_portal_access
        assert bars["Without portal access"][label] == row.without_portal_access
    assert bars["At risk: with portal access"]["Placeholder email"] == placeholder.counts(breakdown)["at_risk"]


def test_each_part_of_a_status_bar_opens_exactly_its_accounts(view, warehouse):
    for trace in figure(view, "email-status").data:
        if trace.type != "bar":
            continue
        for count, query in zip(trace.x, trace.customdata, strict=True):
            if count:
                assert len(drilled(warehouse, query)) == count, query


def test_at_risk_part_opens_placeholder_accounts_with_portal_access(view):
    (at_risk,) = [t for t in figure(view, "email-status").data if t.name == "At risk: with portal access"]
    query = dict(parse_qsl(at_risk.customdata[list(at_risk.y).index("Placeholder email")]))
    assert query == {**VIEW, "email_status": "placeholder", "portal_access": "true"}


def test_at_risk_change_bars_equal_new_at_risk_and_fixed_accounts_per_period(view, warehouse):
    table = warehouse.at_risk_changes(FILTERS)
    new, fixed = series_of(figure(view, "at-risk-changes"))
    assert (new.name, fixed.name) == (LABELS["new_at_risk"], LABELS["fixed"])
    assert list(new.y) == table["new_at_risk"].tolist()
    assert list(fixed.y) == table["fixed"].tolist()
    assert list(pd.to_datetime(new.x)) == list(table["period_start"])
    assert sum(fixed.y) > 0 and sum(new.y) > 0  # the demo's office fixes some, and more become at risk


def test_each_at_risk_change_bar_opens_exactly_its_accounts(view, warehouse):
    for trace in series_of(figure(view, "at-risk-changes")):
        for count, query in zip(trace.y, trace.customdata, strict=True):
            assert len(drilled(warehouse, query)) == count, query


def test_new_at_risk_keeps_the_at_risk_colour_and_fixed_the_colour_of_success(view):
    new, fixed = series_of(figure(view, "at-risk-changes"))
    assert new.marker.color == COLORS["at_risk"]
    assert fixed.marker.color == COLORS["succeeded"]


def test_a_period_the_range_covers_in_part_is_hatched_and_says_its_days(in_module_request):
    tree = render(start="2026-08-15", end="2026-10-31", grain="month")
    for trace in series_of(figure(tree, "at-risk-changes")):
        assert list(trace.marker.pattern.shape) == ["/", "", ""]
        assert "15-31 Aug, partial" in trace.hovertext[0]


def test_the_at_risk_change_chart_has_a_table_view(view):
    assert find(view, "at-risk-changes-table")


def grid_of(tree, name: str):
    """The paged grid of `name` and the view and slice its store hands the row callback."""
    grid = find(tree, {"type": grids.PAGED_GRID, "name": name})
    state = find(tree, {"type": f"{grids.PAGED_GRID}-state", "name": name}).data
    return grid, state


def rows_of(state, start=0, end=100, filters=None) -> dict:
    request = {"startRow": start, "endRow": end, "sortModel": [], "filterModel": filters or {}}
    response, _count = grids.rows_response(request, state)
    return response


def test_at_risk_grid_pages_every_placeholder_account_with_portal_access(view, warehouse):
    expected = warehouse.accounts(FILTERS, placeholder.AT_RISK)
    grid, state = grid_of(view, "at-risk")
    numbers = []
    for start in range(0, len(expected), grids.BLOCK):
        response = rows_of(state, start, start + grids.BLOCK)
        assert response["rowCount"] == len(expected)
        numbers += [row["account_number"] for row in response["rowData"]]
    assert numbers == expected["account_number"].tolist()
    assert len(expected) == placeholder.counts(warehouse.email_status_breakdown(FILTERS))["at_risk"]
    assert grid.getRowId == "params.data.account_number"  # a row click opens the account
    count = find(view, {"type": f"{grids.PAGED_GRID}-count", "name": "at-risk"})
    assert text_of(count) == f"{len(expected):,} accounts"


def test_at_risk_grid_shows_its_columns_only(view):
    grid, state = grid_of(view, "at-risk")
    assert [column["field"] for column in grid.columnDefs] == list(placeholder.AT_RISK_COLUMNS)
    assert state["query"] == {**VIEW, **placeholder.AT_RISK.query()}


def test_username_grid_pages_every_username_that_is_not_an_email(usernames, warehouse):
    expected = warehouse.accounts(FILTERS, placeholder.USERNAME_NOT_EMAIL)
    _grid, state = grid_of(usernames, "username-not-email")
    response = rows_of(state, 0, len(expected))
    assert [row["account_number"] for row in response["rowData"]] == expected["account_number"].tolist()
    assert response["rowCount"] == len(expected) > 0


def test_grid_column_filters_narrow_the_rows_and_the_count_line(usernames, warehouse):
    _grid, state = grid_of(usernames, "username-not-email")
    segment = {"segment": {"filterType": "text", "type": "equals", "filter": "residential"}}
    request = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": segment}
    response, count = grids.rows_response(request, state)
    _rows, expected = warehouse.accounts_page(FILTERS, placeholder.USERNAME_NOT_EMAIL, grid_filters=segment, limit=0)
    assert response["rowCount"] == expected
    assert {row["segment"] for row in response["rowData"]} == {"residential"}
    assert count == f"{expected:,} of {state['total']:,} accounts match the column filters"


def test_csv_links_carry_the_view_and_the_slice_and_hold_every_row(view, usernames, dash_app, warehouse):
    client = client_as(dash_app)
    links = {
        "at-risk": (find(view, {"type": "download", "dataset": "accounts"}), placeholder.AT_RISK),
        "usernames": (
            find(usernames, {"type": "download", "dataset": "accounts", "chart": "username-not-email"}),
            placeholder.USERNAME_NOT_EMAIL,
        ),
    }
    for name, (link, only) in links.items():
        assert link.href == f"/export/accounts.csv?{urlencode({**VIEW, **only.query()})}", name
        response = client.get(link.href)
        sent = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(sent) == len(warehouse.accounts(FILTERS, only)), name
    for dataset in ("email_status_breakdown", "at_risk_changes"):
        assert find(view, {"type": "download", "dataset": dataset}).href == f"/export/{dataset}.csv?{urlencode(VIEW)}"


def test_each_grid_links_to_its_slice_as_an_account_list(view, usernames):
    lists = {"at-risk": (view, placeholder.AT_RISK), "username-not-email": (usernames, placeholder.USERNAME_NOT_EMAIL)}
    for name, (drawn, only) in lists.items():
        hint = find(drawn, {"type": "grid-count", "name": name})
        (link,) = [node for node in walk(hint) if getattr(node, "href", None)]
        assert link.href == f"/accounts?{urlencode({**VIEW, **only.query()})}"


def test_the_page_draws_only_the_at_risk_list_and_names_its_size_on_its_tab(view, warehouse):
    assert has(view, {"type": "paged-grid", "name": "at-risk"})
    assert not has(view, {"type": "paged-grid", "name": "username-not-email"})
    at_risk = placeholder.counts(warehouse.email_status_breakdown(FILTERS))["at_risk"]
    (first, _second) = find(view, "placeholder-lists").options
    assert first["label"].endswith(f"({at_risk:,})") and first["value"] == "at-risk"


def test_a_tab_callback_with_a_forged_view_or_tab_changes_nothing_it_should_not(in_module_request):
    show = page_module(PATH).show_list
    assert show("no-such-list", {}) is dash.no_update
    assert "not valid" in text_of(show("at-risk", {"start": "yesterday"}))


def test_a_range_before_any_account_shows_empty_states(in_module_request):
    tree = render(start="2001-01-01", end="2001-12-31", grain="month")
    assert is_empty_state(figure(tree, "email-status"))
    assert is_empty_state(figure(tree, "at-risk-changes"))


def test_an_unknown_segment_shows_empty_charts_and_lists(in_module_request):
    tree = render(**VIEW, segment="no-such-segment")
    assert is_empty_state(figure(tree, "email-status"))
    assert is_empty_state(figure(tree, "at-risk-changes"))
    for name in ("at-risk", "username-not-email"):
        assert text_of(find(show_tab(tree, name), {"type": "grid-empty", "name": name}))


def test_a_brand_new_warehouse_shows_empty_states(empty_warehouse):
    today = date.today()
    tree = page_module(PATH).body(empty_warehouse, Filters(today, today, "week"))
    assert is_empty_state(figure(tree, "email-status"))
    assert find(tree, {"type": "grid-empty", "name": "at-risk"})
