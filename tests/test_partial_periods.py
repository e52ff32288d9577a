"""A period the range covers only in part (the month so far, the week a range starts in) is drawn
hatched and named as what it holds, so half a month never reads as a month that fell."""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import period_bar
from dashboard.charts.figure_text import figure_table, summary
from dashboard.charts.over_time import Series, bars_over_time, rate_figure
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


FIRST_WEEK_PARTIAL = Filters(date(2025, 1, 1), date(2025, 1, 12), "week")  # Wed 1 Jan starts the week of 30 Dec


def two_series_over(view: Filters) -> go.Figure:
    """Succeeded and failed attempts per period of `view`, each clickable to its accounts."""
    table = periods(view).assign(succeeded=[5, 9], failed=[2, 4])
    series = [Series(outcome, AccountFilters(outcome=outcome)) for outcome in ("succeeded", "failed")]
    return bars_over_time(table, view, series, unit="attempts", y_title="Recovery attempts")


def legend_entry(figure: go.Figure, name: str):
    """The trace the legend shows for a series: Plotly draws its swatch from that trace's first point."""
    (entry,) = [trace for trace in figure.data if trace.name == name and trace.showlegend is not False]
    return entry


def bars_of(figure: go.Figure, name: str):
    """The trace that draws a series' bars: the one with points."""
    (bars,) = [trace for trace in figure.data if trace.name == name and any(x is not None for x in trace.x)]
    return bars


def test_a_series_whose_first_period_is_partial_has_a_plain_swatch_in_the_legend():
    figure = two_series_over(FIRST_WEEK_PARTIAL)
    assert bars_of(figure, "Succeeded").marker.pattern.shape[0] == "/"
    assert not legend_entry(figure, "Succeeded").marker.pattern.shape
    assert legend_entry(figure, "Succeeded").marker.color == bars_of(figure, "Succeeded").marker.color


def test_a_click_on_a_series_legend_entry_hides_or_shows_all_its_bars():
    figure = two_series_over(FIRST_WEEK_PARTIAL)
    entry, bars = legend_entry(figure, "Failed"), bars_of(figure, "Failed")
    assert entry.legendgroup and entry.legendgroup == bars.legendgroup
    assert figure.layout.legend.groupclick in (None, "togglegroup")


def test_a_legend_entry_holds_no_bar_to_hover_or_click():
    entry = legend_entry(two_series_over(FIRST_WEEK_PARTIAL), "Failed")
    assert all(x is None for x in entry.x) and entry.customdata is None and entry.hoverinfo == "skip"


def test_the_charts_table_and_caption_read_each_series_once():
    figure = two_series_over(FIRST_WEEK_PARTIAL)
    assert figure_table(figure).columns == ["Succeeded", "Failed"]
    assert summary("Attempts", figure).count("Failed:") == 1


def test_a_rate_whose_first_period_is_partial_has_a_plain_marker_in_the_legend():
    rates = periods(FIRST_WEEK_PARTIAL).assign(recovery_success_rate=[0.5, 0.8])
    figure = rate_figure(rates, "recovery_success_rate", FIRST_WEEK_PARTIAL)
    line = bars_of(figure, "Recovery success rate")
    assert line.marker.symbol[0] == "circle-open"
    assert legend_entry(figure, "Recovery success rate").marker.symbol in (None, "circle")
