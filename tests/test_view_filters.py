"""A page's view from its query string: the grain that fits the range when none is asked for."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.data.view import Filters, fitting_grain


@pytest.mark.parametrize(
    ("start", "end", "grain"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), "day"),
        (date(2026, 9, 1), date(2026, 11, 1), "day"),  # 62 days
        (date(2026, 9, 1), date(2026, 11, 2), "week"),
        (date(2025, 11, 1), date(2026, 10, 31), "week"),  # a year: 53 weeks at most
        (date(2024, 1, 1), date(2026, 10, 31), "month"),
    ],
)
def test_the_fitting_grain_is_the_finest_that_keeps_the_range_readable(start, end, grain):
    assert fitting_grain(start, end) == grain


EXTENT = (date(2024, 1, 1), date(2026, 10, 31))
"""The first and last day with data, as the warehouse would report them."""


def test_a_view_without_a_grain_gets_the_one_that_fits_its_range():
    whole, _ = Filters.read({}, EXTENT)
    assert whole.grain == fitting_grain(whole.start, whole.end)
    month, _ = Filters.read({"start": "2026-10-01", "end": "2026-10-31"}, EXTENT)
    assert month.grain == "day"


def test_a_grain_asked_for_is_kept():
    view, problem = Filters.read({"start": "2026-10-01", "end": "2026-10-31", "grain": "month"}, EXTENT)
    assert (view.grain, problem) == ("month", None)


def test_a_bad_query_falls_back_to_the_default_range_at_its_fitting_grain():
    view, problem = Filters.read({"grain": "fortnight"}, EXTENT)
    assert "grain must be one of" in problem
    assert (view.start, view.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert view.grain == fitting_grain(view.start, view.end)


def test_a_page_without_dates_opens_on_the_last_full_month():
    view, _ = Filters.read({"segment": "business"}, EXTENT)
    assert (view.start, view.end, view.segment) == (date(2026, 10, 1), date(2026, 10, 31), "business")


def test_a_page_with_one_date_keeps_the_other_bound_of_the_data():
    view, _ = Filters.read({"start": "2026-06-01"}, EXTENT)
    assert (view.start, view.end) == (date(2026, 6, 1), date(2026, 10, 31))


def test_an_export_without_dates_covers_all_the_data():
    assert (Filters.parse({}, EXTENT).start, Filters.parse({}, EXTENT).end) == EXTENT
