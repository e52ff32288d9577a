"""Range presets, the default range and the range a view is compared with, on hand-picked dates."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.data import ranges

# data from Monday 2 Feb 2026 to Wednesday 18 Nov 2026
EXTENT = (date(2026, 2, 2), date(2026, 11, 18))


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("last_7_days", date(2026, 11, 12), date(2026, 11, 18)),
        ("last_full_week", date(2026, 11, 9), date(2026, 11, 15)),
        ("month_to_date", date(2026, 11, 1), date(2026, 11, 18)),
        ("last_full_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("last_90_days", date(2026, 8, 21), date(2026, 11, 18)),
        ("all", date(2026, 2, 2), date(2026, 11, 18)),
    ],
)
def test_each_preset_counts_back_from_the_newest_day_of_data(preset, start, end):
    assert ranges.preset_range(preset, EXTENT) == (start, end)


def test_a_week_that_ends_on_the_newest_day_is_the_last_full_week():
    sunday = (date(2026, 2, 2), date(2026, 11, 15))
    assert ranges.preset_range("last_full_week", sunday) == (date(2026, 11, 9), date(2026, 11, 15))


def test_a_month_that_ends_on_the_newest_day_is_the_last_full_month():
    month_end = (date(2026, 2, 2), date(2026, 11, 30))
    assert ranges.preset_range("last_full_month", month_end) == (date(2026, 11, 1), date(2026, 11, 30))


def test_the_picker_names_the_preset_a_range_stands_for():
    assert ranges.matching_preset(date(2026, 10, 1), date(2026, 10, 31), EXTENT) == "last_full_month"
    assert ranges.matching_preset(date(2026, 10, 2), date(2026, 10, 31), EXTENT) is None


def test_the_picker_names_a_whole_month_rather_than_a_month_to_date_of_the_same_days():
    month_end = (date(2026, 2, 2), date(2026, 10, 31))
    assert ranges.matching_preset(date(2026, 10, 1), date(2026, 10, 31), month_end) == "last_full_month"


def test_pages_open_on_the_last_full_month_when_the_month_before_it_has_data():
    assert ranges.default_range(EXTENT) == (date(2026, 10, 1), date(2026, 10, 31))


def test_a_history_too_short_to_compare_opens_on_all_the_data():
    short = (date(2026, 9, 15), date(2026, 11, 18))  # September is only half covered
    assert ranges.default_range(short) == short


@pytest.mark.parametrize(
    ("start", "end", "previous_start", "previous_end"),
    [
        # any range: as long, ending the day before
        (date(2025, 1, 8), date(2025, 1, 14), date(2025, 1, 1), date(2025, 1, 7)),
        (date(2025, 1, 10), date(2025, 1, 10), date(2025, 1, 9), date(2025, 1, 9)),
        # a whole month: the month before, whatever its length
        (date(2025, 3, 1), date(2025, 3, 31), date(2025, 2, 1), date(2025, 2, 28)),
        # whole months: as many months before
        (date(2025, 1, 1), date(2025, 3, 31), date(2024, 10, 1), date(2024, 12, 31)),
        # a month to date: the same days of the month before, cut at its end
        (date(2025, 3, 1), date(2025, 3, 18), date(2025, 2, 1), date(2025, 2, 18)),
        (date(2025, 3, 1), date(2025, 3, 30), date(2025, 2, 1), date(2025, 2, 28)),
    ],
)
def test_the_previous_range(start, end, previous_start, previous_end):
    assert ranges.previous_range(start, end) == (previous_start, previous_end)


@pytest.mark.parametrize(
    ("span", "covered"),
    [
        ((date(2026, 3, 1), date(2026, 3, 31)), "whole"),
        ((date(2026, 1, 20), date(2026, 2, 10)), "part"),
        ((date(2026, 1, 1), date(2026, 1, 31)), "none"),
        (None, "none"),
    ],
)
def test_coverage_says_how_much_of_a_range_has_data(span, covered):
    if span is None:
        assert ranges.coverage((date(2026, 3, 1), date(2026, 3, 2)), None) == covered
    else:
        assert ranges.coverage(span, EXTENT) == covered
