"""Count columns of a period table as clickable bars over time, for the support pages.

Each bar carries the account-list query of its slice (the period, clipped to the view, plus the
bar's own `AccountFilters`), so one click opens exactly the accounts behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import (
    COLORS,
    GRAIN_TITLES,
    LABELS,
    base_layout,
    empty_figure,
    legend_swatch,
    partial_marks,
    period_bar,
)
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

PERIOD_HOVER = {"day": "%{x|%a %Y-%m-%d}", "week": "Week of %{x|%Y-%m-%d}", "month": "%{x|%B %Y}"}
WEEK_MS = 7 * 24 * 3600 * 1000
CLICK_HINT = "<br><i>Click to list the accounts</i>"


@dataclass(frozen=True)
class Series:
    """One bar series: a count column, the accounts behind it, and the bar group it stacks in."""

    column: str
    only: AccountFilters | None
    group: str | None = None
    unit: str | None = None
    """The count's unit when it differs from the figure's."""


def hover(filters: Filters, label: str, unit: str, *, clickable: bool = True) -> str:
    """Hover text naming the period, the series and the unit of the count."""
    hint = CLICK_HINT if clickable else ""
    return f"{PERIOD_HOVER[filters.grain]}%{{hovertext}}<br>{label}: %{{y:,}} {unit}{hint}<extra></extra>"


def bars_over_time(
    table: pd.DataFrame,
    filters: Filters,
    series: list[Series],
    *,
    unit: str,
    y_title: str,
    barmode: str = "stack",
    height: int = 340,
) -> go.Figure:
    """Bars of several count columns per period, stacked or grouped, each clickable to its accounts."""
    figure = go.Figure()
    for one in series:
        bar = period_bar(table, filters, one.column, one.only, stack=one.group)
        bar.update(
            hovertemplate=hover(
                filters, LABELS.get(one.column, one.column), one.unit or unit, clickable=one.only is not None
            )
        )
        figure.add_trace(bar)
    figure.add_traces([legend_swatch(bar) for bar in figure.data])
    figure.update_layout(barmode=barmode, bargap=0.15, bargroupgap=0.05)
    base_layout(figure, y_title=y_title, x_title=GRAIN_TITLES[filters.grain], height=height)
    if filters.grain == "week" and not table.empty:
        # ticks on the Mondays that label the bars, about a dozen at most
        every = max(1, -(-len(table) // 12))
        figure.update_xaxes(tick0=table["period_start"].iloc[0], dtick=every * WEEK_MS)
    if table[[one.column for one in series]].to_numpy().max(initial=0) <= 5:
        figure.update_yaxes(dtick=1)  # small counts: whole-number ticks only
    return figure


RATE_TITLES = {
    "recovery_success_rate": ("Recovery success rate", "Share of attempts that succeeded", ".0%", ".1%"),
    "staff_share_of_resets": ("Staff share of resets", "Share of resets done by staff", ".0%", ".1%"),
    "lockouts_per_1000_enrolled": ("Lockouts per 1,000 enrolled", "Lockouts per 1,000 enrolled accounts", ",", ",.1f"),
    "active_share_30d": ("Active share of enrolled (30 days)", "Enrolled active in 30 days", ".0%", ".1%"),
    "active_share_90d": ("Active share of enrolled (90 days)", "Enrolled active in 90 days", ".0%", ".1%"),
}
"""Each rate of `metrics.RATE_COLUMNS`: its name, its axis title, its tick and its hover number format."""


def rate_figure(rates: pd.DataFrame, column: str, filters: Filters) -> go.Figure:
    """One rate per period as a line: a count that grows with enrollment hides what the rate shows.
    A period with nothing to divide has no point, and the line breaks there."""
    name, axis, ticks, number = RATE_TITLES[column]
    if rates[column].isna().all():
        return empty_figure(f"No {name.lower()} in this range: nothing to divide")
    partial, hovertext = partial_marks(rates, filters)
    line = go.Scatter(
        x=rates["period_start"],
        y=rates[column],
        name=name,
        mode="lines+markers",
        line={"color": COLORS[column], "width": 2},
        marker={"symbol": ["circle-open" if cut else "circle" for cut in partial], "size": 7},
        hovertext=hovertext,
        hovertemplate=f"{PERIOD_HOVER[filters.grain]}%{{hovertext}}<br>{name}: %{{y:{number}}}<extra></extra>",
    )
    figure = go.Figure([line, legend_swatch(line)])  # a band added later brings the legend
    base_layout(figure, y_title=axis, x_title=GRAIN_TITLES[filters.grain], height=280)
    figure.update_yaxes(tickformat=ticks)
    return figure
