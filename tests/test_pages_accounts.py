"""The account list page: its grid callback pages through the query layer, with the URL's slice."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.data.slices import ALL_ACCOUNTS, AccountFilters
from dashboard.data.view import Filters, period_label
from dashboard.web.grids import records
from tests.page_tree import find, has, page_module, walk, words_of
from tests.signin import client_as
from tests.test_access import paged_grid_payload

VIEW = {"start": "2025-01-01", "end": "2025-06-30", "grain": "week"}
FILTERS = Filters(date(2025, 1, 1), date(2025, 6, 30), "week")


@pytest.fixture
def accounts(in_request):
    """The page module as the app registered it."""
    return page_module("/accounts")


def request(start=0, end=100, sort=None, filters=None) -> dict:
    return {"startRow": start, "endRow": end, "sortModel": sort or [], "filterModel": filters or {}}


def test_grid_request_returns_the_query_layers_page(accounts, warehouse):
    only = AccountFilters(portal_access=True)
    sort = [{"colId": "lockouts", "sort": "desc"}, {"colId": "segment", "sort": "asc"}]
    column_filters = {
        "segment": {"filterType": "text", "type": "contains", "filter": "res"},
        "failed_recovery_attempts": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 0},
    }
    response, _count = accounts.grid_rows(
        request(0, 100, sort, column_filters), accounts.grid_state(FILTERS, only, total=0)
    )
    rows, total = warehouse.accounts_page(
        FILTERS,
        only,
        sort=[("lockouts", False), ("segment", True)],
        grid_filters=column_filters,
        offset=0,
        limit=100,
    )
    assert response["rowData"] == records(rows)
    assert response["rowCount"] == total
    assert 0 < len(response["rowData"]) <= 100


def test_grid_pages_further_blocks_from_the_offset(accounts, warehouse):
    response, _ = accounts.grid_rows(request(100, 200), accounts.grid_state(FILTERS, ALL_ACCOUNTS, total=0))
    rows, _total = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, offset=100, limit=100)
    assert response["rowData"] == records(rows)


def test_grid_callback_applies_the_slice_from_the_url(accounts, warehouse):
    page = accounts.layout(**VIEW, outcome="failed")
    state = find(page, accounts.STATE_ID).data
    response, _ = accounts.grid_rows(request(), state)
    _rows, sliced = warehouse.accounts_page(FILTERS, AccountFilters(outcome="failed"), limit=0)
    _rows, everyone = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=0)
    assert response["rowCount"] == sliced
    assert 0 < sliced < everyone


def test_bad_slice_parameter_warns_and_shows_the_unsliced_list(accounts, warehouse):
    page = accounts.layout(**VIEW, outcome="sometimes")
    assert "outcome must be one of" in words_of(find(page, "accounts-problem"))
    response, _ = accounts.grid_rows(request(), find(page, accounts.STATE_ID).data)
    _rows, everyone = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=0)
    assert response["rowCount"] == everyone


def test_count_line_shows_the_number_of_accounts_in_the_slice(accounts, warehouse):
    page = accounts.layout(**VIEW, email_status="placeholder")
    _rows, total = warehouse.accounts_page(FILTERS, AccountFilters(email_status="placeholder"), limit=0)
    assert words_of(find(page, accounts.COUNT_ID)) == f"{total:,} accounts"


def test_count_line_says_how_many_match_the_column_filters(accounts):
    state = accounts.grid_state(FILTERS, ALL_ACCOUNTS, total=1_500)
    column_filters = {"segment": {"filterType": "text", "type": "equals", "filter": "business"}}
    response, count = accounts.grid_rows(request(filters=column_filters), state)
    assert count == f"{response['rowCount']:,} of 1,500 accounts match the column filters"


def test_chips_name_the_slice_and_link_to_the_list_without_it(accounts):
    page = accounts.layout(
        start="2025-03-03", end="2025-03-09", grain="week", event_type="password_reset", weekday="0", hour="10"
    )
    chips = find(page, "accounts-chips")
    words = words_of(chips)
    assert "Week of 2025-03-03" in words
    assert "Event: password reset" in words
    assert "Weekday: Mon, 10:00-11:00" in words
    remove = next(c for c in walk(chips) if getattr(c, "title", None) == "Remove Weekday: Mon, 10:00-11:00")
    assert parse_qs(urlsplit(remove.href).query) == {
        "start": ["2025-03-03"],
        "end": ["2025-03-09"],
        "grain": ["week"],
        "event_type": ["password_reset"],
    }


def test_flag_controls_link_to_the_list_with_one_flag_changed(accounts):
    page = accounts.layout(**VIEW, outcome="failed", portal_access="true")
    group = find(page, "flag-portal_access")
    hrefs = {link.children: parse_qs(urlsplit(link.href).query) for link in group.children}
    assert hrefs["No"]["portal_access"] == ["false"]
    assert hrefs["No"]["outcome"] == ["failed"]
    assert "portal_access" not in hrefs["Any"]
    assert "active" in next(link for link in group.children if link.children == "Yes").className


def test_csv_link_exports_the_view_and_slice(accounts):
    page = accounts.layout(**VIEW, outcome="failed", segment="business")
    link = find(page, {"type": "download", "dataset": "accounts"})
    path, query = link.href.split("?")
    assert path == "/export/accounts.csv"
    assert parse_qs(query) == {k: [v] for k, v in {**VIEW, "segment": "business", "outcome": "failed"}.items()}


def test_empty_slice_shows_a_clear_empty_state(accounts):
    page = accounts.layout(start="2030-01-01", end="2030-01-31", outcome="failed")
    assert "No accounts match this slice" in words_of(find(page, "accounts-empty"))
    assert not has(page, accounts.GRID_ID)


def test_grid_masks_emails_and_usernames(accounts):
    response, _ = accounts.grid_rows(request(), accounts.grid_state(FILTERS, ALL_ACCOUNTS, total=0))
    emails = [row["email"] for row in response["rowData"] if row["email"] and "@" in row["email"]]
    assert emails
    assert all("•••@" in email for email in emails)


def test_empty_warehouse_says_nothing_is_loaded_yet(accounts, empty_warehouse):
    assert "The warehouse holds no accounts yet" in words_of(find(accounts.layout(), "accounts-empty"))


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (date(2026, 3, 2), date(2026, 3, 2), "Day: 2026-03-02"),
        (date(2026, 3, 2), date(2026, 3, 8), "Week of 2026-03-02"),
        (date(2026, 2, 1), date(2026, 2, 28), "Month: February 2026"),
        (date(2026, 1, 1), date(2026, 3, 31), "2026-01-01 to 2026-03-31"),
    ],
)
def test_a_drilled_period_reads_as_its_calendar_period(start, end, label):
    assert period_label(Filters(start, end)) == label


def test_grid_ignores_sorting_and_filtering_on_masked_columns(accounts, warehouse):
    probe = {"email": {"filterType": "text", "type": "startsWith", "filter": "a"}}
    response, _ = accounts.grid_rows(
        request(sort=[{"colId": "email", "sort": "asc"}], filters=probe),
        accounts.grid_state(FILTERS, ALL_ACCOUNTS, total=0),
    )
    rows, total = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=100)
    assert response["rowCount"] == total
    assert response["rowData"] == records(rows)


def test_a_short_last_page_gives_the_exact_count_of_the_list(warehouse):
    _rows, total = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=0)
    rows, counted = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, offset=total - 3, limit=100)
    assert (len(rows), counted) == (3, total)


def test_a_full_page_keeps_the_count_the_page_render_made_unless_it_contradicts_it(warehouse):
    _rows, total = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=0)
    _rows, kept = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, limit=100, known_total=total)
    _rows, recounted = warehouse.accounts_page(FILTERS, ALL_ACCOUNTS, offset=200, limit=100, known_total=50)
    assert kept == total and recounted == total


# Regressions found by tests/test_properties.py: a hand-made grid request of the wrong shape was a 500.


@pytest.mark.parametrize(
    "row_request",
    [
        {"startRow": "ten"},
        {"endRow": 2**70},
        {"startRow": True},
        {"startRow": 0.5},
    ],
    ids=["text row", "huge row", "boolean row", "fractional row"],
)
def test_a_grid_request_with_a_row_that_is_no_whole_number_is_a_400(dash_app, row_request):
    payload = paged_grid_payload()
    payload["inputs"][0]["value"] = row_request
    response = client_as(dash_app, "analyst").post("/_dash-update-component", json=payload)
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("\n") == 1


@pytest.mark.parametrize(
    "row_request",
    [
        {"sortModel": True},
        {"sortModel": [{"colId": ["segment"]}]},
        {"filterModel": {"lockouts": {"conditions": 3}}},
        {"filterModel": {"lockouts": {"conditions": [1, {"filterType": "number", "type": "equals", "filter": 0}]}}},
        {"filterModel": {"lockouts": {"filterType": "number", "type": "equals", "filter": 2**70}}},
        {"filterModel": {"segment": {"filterType": "text", "type": ["contains"], "filter": "x"}}},
    ],
    ids=["sort not a list", "column not text", "conditions not a list", "condition not an object", "huge", "type list"],
)
def test_a_grid_request_with_an_unusable_sort_or_filter_ignores_it(dash_app, row_request):
    payload = paged_grid_payload()
    payload["inputs"][0]["value"] = {"startRow": 0, "endRow": 100, **row_request}
    response = client_as(dash_app, "analyst").post("/_dash-update-component", json=payload)
    assert response.status_code == 200
