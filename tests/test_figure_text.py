"""A chart in words and as a table (`figure_text`), from hand-built figures small enough to read."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.band import add_band
from dashboard.charts.figure_text import Cell, figure_table, summary
from dashboard.data.view import Filters

WEEKS = pd.to_datetime(["2026-10-05", "2026-10-12"])


def bars() -> go.Figure:
    figure = go.Figure(
        [
            go.Bar(x=WEEKS, y=[3, 5], name="Accounts locked", customdata=["start=2026-10-05", "start=2026-10-12"]),
            go.Bar(x=WEEKS, y=[1, 0], name="Repeat lockouts"),
        ]
    )
    figure.update_xaxes(title_text="Week starting")
    figure.update_yaxes(title_text="Lockout events")
    return figure


def test_a_bar_chart_reads_as_a_row_per_period_and_a_column_per_series():
    table = figure_table(bars())
    assert (table.key, table.columns) == ("Week starting", ["Accounts locked", "Repeat lockouts"])
    assert table.rows == [
        ("2026-10-05", [Cell("3", "start=2026-10-05"), Cell("1")]),
        ("2026-10-12", [Cell("5", "start=2026-10-12"), Cell("0")]),
    ]


def test_the_usual_range_reads_as_low_to_high_and_its_marks_are_not_a_column():
    band = pd.DataFrame(
        {
            "period_start": WEEKS,
            "value": [4, 5],
            "usual": [float("nan"), 2.0],
            "low": [float("nan"), 0.0],
            "high": [float("nan"), 4.2],
            "outside": ["", "above"],
        }
    )
    figure = add_band(bars(), band, Filters(WEEKS[0].date(), WEEKS[1].date(), "week"), "Lockout events")
    table = figure_table(figure)
    assert table.columns == ["Accounts locked", "Repeat lockouts", "Usual range"]
    assert [row[-1].text for _, row in table.rows] == ["–", "0–4.2"]
    assert "Above the usual range: 2026-10-12." in summary("Lockouts", figure)


def test_the_summary_names_the_span_and_each_series_total_highest_and_lowest():
    assert summary("Lockout events", bars()) == (
        "Lockout events, 2 rows from 2026-10-05 to 2026-10-12. "
        "Accounts locked: total 8, highest 5 (2026-10-12), lowest 3 (2026-10-05). "
        "Repeat lockouts: total 1, highest 1 (2026-10-05), lowest 0 (2026-10-12)."
    )


def test_a_share_reads_as_a_percentage():
    figure = go.Figure(go.Scatter(x=WEEKS, y=[0.5, 0.625], name="Recovery success rate", mode="lines+markers"))
    figure.update_yaxes(tickformat=".0%")
    assert [row[0].text for _, row in figure_table(figure).rows] == ["50.0%", "62.5%"]


def test_a_heatmap_reads_as_its_own_grid():
    figure = go.Figure(go.Heatmap(x=[0, 1], y=["Mon", "Tue"], z=[[1, 2], [3, 4]], customdata=[["a", "b"], ["c", "d"]]))
    table = figure_table(figure)
    assert table.columns == ["0", "1"]
    assert table.rows[1] == ("Tue", [Cell("3", "c"), Cell("4", "d")])


def test_an_empty_state_has_no_table_and_says_so():
    empty = go.Figure()
    assert figure_table(empty) is None
    assert summary("Lockouts", empty) == "Lockouts: no data in this range."
