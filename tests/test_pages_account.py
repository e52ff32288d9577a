"""One account's page: its record, its recovery attempts, its activity, and an unknown number."""

from __future__ import annotations

from datetime import date

import pytest
from dash._pages import _path_to_page

from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.grids import records
from tests.page_tree import find, page_module, words_of


@pytest.fixture
def account_page(in_request):
    """The page module as the app registered it."""
    return page_module("/accounts/<account_number>")


@pytest.fixture(scope="module")
def number(warehouse) -> str:
    """A real demo account with at least one failed recovery attempt."""
    rows, _ = warehouse.accounts_page(
        Filters(*warehouse.extent()),
        AccountFilters(has_failed_recovery=True),
        sort=[("failed_recovery_attempts", False)],
    )
    return rows["account_number"].iloc[0]


def test_account_page_shows_the_masked_web_user_record(account_page, warehouse, number):
    record = warehouse.account(number)
    shown = words_of(find(account_page.layout(account_number=number), "account-record"))
    assert number in shown
    assert record["segment"] in shown
    assert record["email"] in shown
    assert "•••" in record["email"]


def test_account_page_lists_its_recovery_attempts(account_page, warehouse, number):
    attempts = warehouse.attempts_of(number)
    grid = find(account_page.layout(account_number=number), "account-attempts")
    assert len(attempts) > 0
    assert grid.rowData == records(attempts)


def test_account_timeline_plots_every_event_of_the_range(account_page, warehouse, number):
    events = warehouse.activity(number, Filters(date(2025, 1, 1), date(2025, 12, 31)))
    page = account_page.layout(account_number=number, start="2025-01-01", end="2025-12-31")
    figure = find(page, "account-timeline").figure
    assert sum(len(trace.x) for trace in figure.data) == len(events)
    assert find(page, "account-events").rowData == records(events)


def test_unknown_account_shows_not_found_with_a_link_to_the_list(account_page):
    message = find(account_page.layout(account_number="A0000000"), "account-not-found")
    assert "No account A0000000 in the warehouse" in " ".join(words_of(message).split())
    assert find(message, account_page.BACK_ID).href == "/accounts"


def test_back_link_keeps_the_view_query_string(account_page, number):
    page = account_page.layout(account_number=number, start="2025-01-01", end="2025-03-31", grain="month")
    assert find(page, account_page.BACK_ID).href == "/accounts?start=2025-01-01&end=2025-03-31&grain=month"


def test_list_and_account_paths_both_resolve(in_request):
    list_page, _ = _path_to_page("accounts")
    one_page, variables = _path_to_page("accounts/A1000001")
    assert list_page["path"] == "/accounts"
    assert one_page["path_template"] == "/accounts/<account_number>"
    assert variables == {"account_number": "A1000001"}
