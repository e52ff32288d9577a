"""A period the range covers only in part (the month so far, the week a range starts in) is drawn
hatched and named as what it holds, so half a month never reads as a month that fell."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.charts.common import period_bar
from dashboard.data.metrics import days_in_view, partial_periods, periods
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

T = pd.Timestamp


def test_a_range_ending_mid_month_makes_that_month_partial():
    view = Filters(date(2025, 10, 1), date(2025, 11, 15), "month")
    assert partial_periods(view).to_dict() == {T("2025-11-01"): "1-15 Nov, partial"}


def test_a_range_starting_mid_week_makes_its_first_week_partial():
    view = Filters(date(2025, 1, 1), date(2025, 1, 12), "week")  # Monday 30 Dec to Sunday 5 Jan, then a whole week
    assert partial_periods(view).to_dict() == {T("2024-12-30"): "1-5 Jan, partial"}


def test_a_partial_week_across_two_months_names_both():
    view = Filters(date(2025, 1, 29), date(2025, 2, 2), "week")
    assert partial_periods(view).to_dict() == {T("2025-01-27"): "29 Jan-2 Feb, partial"}


def test_one_day_of_a_month_is_named_as_that_day():
    view = Filters(date(2025, 10, 1), date(2025, 11, 1), "month")
    assert partial_periods(view).to_dict() == {T("2025-11-01"): "1 Nov, partial"}


def test_days_and_whole_periods_are_never_partial():
    assert partial_periods(Filters(date(2025, 1, 3), date(2025, 2, 9), "day")).empty
    assert partial_periods(Filters(date(2025, 1, 1), date(2025, 3, 31), "month")).empty


def test_a_partial_bar_is_hatched_and_its_hover_says_which_days_it_holds():
    view = Filters(date(2025, 10, 1), date(2025, 11, 15), "month")
    table = periods(view).assign(failed=[40, 21])
    bar = period_bar(table, view, "failed", AccountFilters(outcome="failed"))
    assert bar.marker.pattern.shape == ("", "/")
    assert bar.hovertext[1].startswith("<br>1-15 Nov, partial")
    assert "%{hovertext}" in bar.hovertemplate


def test_days_in_view_counts_the_days_the_range_covers_of_each_period():
    view = Filters(date(2025, 10, 1), date(2025, 11, 15), "month")
    assert days_in_view(view).tolist() == [31, 15]


def test_a_period_bar_gives_its_count_per_day_covered_so_a_partial_month_compares():
    view = Filters(date(2025, 10, 1), date(2025, 11, 15), "month")
    table = periods(view).assign(failed=[31, 30])  # 1 a day in October, 2 a day in the first half of November
    bar = period_bar(table, view, "failed", AccountFilters(outcome="failed"))
    assert bar.hovertext == ("<br>1.0 a day", "<br>1-15 Nov, partial<br>2.0 a day")


def test_a_day_bar_has_no_rate_per_day():
    view = Filters(date(2025, 10, 1), date(2025, 10, 2), "day")
    bar = period_bar(periods(view).assign(failed=[3, 4]), view, "failed", None)
    assert bar.hovertext == ("", "")
