"""Figures of the resets page: resets by who did them and in-session changes over time, and the
weekday by hour heatmap of resets."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import base_layout, drill_query, empty_figure, is_empty
from dashboard.charts.over_time import CLICK_HINT, Series, bars_over_time
from dashboard.data.metrics import RESET_TYPES, WEEKDAYS
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.data.warehouse import HEATMAP_TYPES

RESET_COLUMNS = ("self_service_resets", "staff_resets", "password_changes")
HEATMAP_SCALE = "Cividis"
"""Sequential and readable with every common colour-vision deficiency."""


def resets_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Self-service and staff resets stacked in one bar per period, in-session changes beside it."""
    if is_empty(table, RESET_COLUMNS):
        return empty_figure("No password resets or changes in this range")
    series = [
        Series(
            column,
            AccountFilters(event_type=(RESET_TYPES[column],)),
            "changes" if column == "password_changes" else "resets",
        )
        for column in RESET_COLUMNS
    ]
    return bars_over_time(table, filters, series, unit="events", y_title="Password events")


def heatmap_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Resets (self-service and staff) by weekday and hour of day; a cell opens the accounts behind it."""
    if is_empty(table, ["events"]):
        return empty_figure("No password resets in this range")
    grid = table.pivot(index="weekday", columns="hour", values="events").reindex(index=range(7), columns=range(24))
    grid = grid.fillna(0).astype("int64")
    drills = [
        [
            drill_query(filters, AccountFilters(event_type=HEATMAP_TYPES, weekday=weekday, hour=hour))
            for hour in grid.columns
        ]
        for weekday in grid.index
    ]
    figure = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=list(grid.columns),
            y=list(WEEKDAYS),
            customdata=drills,
            colorscale=HEATMAP_SCALE,
            colorbar={"title": {"text": "Resets"}},
            xgap=1,
            ygap=1,
            texttemplate="%{z}",
            textfont={"size": 10},
            hovertemplate="%{y} %{x}:00–%{x}:59<br>%{z:,} resets" + CLICK_HINT + "<extra></extra>",
        )
    )
    base_layout(figure, y_title="Weekday", x_title="Hour of day (local time)", height=330)
    figure.update_xaxes(tickmode="linear", dtick=1, showgrid=False)
    figure.update_yaxes(autorange="reversed", showgrid=False)
    return figure
