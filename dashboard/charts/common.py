"""What every chart shares: each column's colour, its words, the layout, the empty state, and the
drill-down slice each clickable point carries.

A column takes the colour of what it means in the colour key (`palette.MEANINGS`): one colour, one
meaning, on every page.
A clickable point carries, in `customdata`, the account-list query string of exactly its slice;
one callback in the app turns a click into that URL.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.charts.palette import (
    CODE_FAILED,
    EMAIL_UNKNOWN,
    ENROLLED,
    FAILURE,
    LOCKOUTS,
    NEITHER,
    NEUTRAL,
    QUESTION_FAILED,
    REPEAT_LOCKOUTS,
    SELF_SERVICE,
    SIGNED_IN,
    STAFF,
    SUCCESS,
    TEXT_SHADES,
    WITHOUT_ACCESS,
)
from dashboard.data.metrics import days_in_view, partial_periods, periods
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

NEUTRAL_LINE = NEUTRAL
"""Trend lines carry no judgement: one neutral colour, whatever the figure."""
COLORS = {
    # recovery outcomes and failure reasons
    "succeeded": SUCCESS,
    "failed": FAILURE,
    "abandoned": NEITHER,
    "recovery_email_unknown": EMAIL_UNKNOWN,
    "recovery_code_failed": CODE_FAILED,
    "security_question_failed": QUESTION_FAILED,
    # resets and lockouts
    "self_service_resets": SELF_SERVICE,
    "staff_resets": STAFF,
    "password_changes": SIGNED_IN,
    "accounts_locked": LOCKOUTS,
    "repeat_lockouts": REPEAT_LOCKOUTS,
    # adoption
    "total_accounts": WITHOUT_ACCESS,
    "enrolled_accounts": ENROLLED,
    "adoption_rate": NEUTRAL,
    "new_enrollments": ENROLLED,
    "active_share_30d": NEUTRAL,
    "active_share_90d": NEUTRAL,
    # rates
    "recovery_success_rate": SUCCESS,
    "staff_share_of_resets": STAFF,
    "lockouts_per_1000_enrolled": LOCKOUTS,
    # placeholder email
    "placeholder": FAILURE,
    "at_risk": FAILURE,
    "new_at_risk": FAILURE,
    "fixed": SUCCESS,
}
"""Each count and rate column in the colour of what it means (`palette.MEANINGS`)."""
OUTCOME_TEXT_COLORS = {outcome: TEXT_SHADES[COLORS[outcome]] for outcome in ("succeeded", "failed", "abandoned")}
"""A recovery outcome written as coloured text (a grid cell), in the readable shade of its colour."""
LABELS = {
    "succeeded": "Succeeded",
    "failed": "Failed",
    "abandoned": "Abandoned",
    "recovery_email_unknown": "Email unknown",
    "recovery_code_failed": "Code failed",
    "security_question_failed": "Security question failed",
    "self_service_resets": "Self-service resets",
    "staff_resets": "Staff resets",
    "password_changes": "In-session changes",
    "lockout_events": "Lockout events",
    "accounts_locked": "Accounts locked",
    "repeat_lockouts": "Repeat lockouts of those accounts",
    "total_accounts": "All accounts",
    "enrolled_accounts": "Enrolled accounts",
    "adoption_rate": "Adoption rate",
    "new_enrollments": "New enrollments",
    "valid": "Valid email",
    "placeholder": "Placeholder email",
    "missing": "No email",
    "invalid": "Invalid email",
    "at_risk": "Placeholder with portal access",
    "new_at_risk": "New at risk",
    "fixed": "Fixed: real email given",
}
GRAIN_TITLES = {"day": "Day", "week": "Week starting", "month": "Month"}


def _theme() -> go.layout.Template:
    """plotly_white cut to what bar, line and heatmap charts read: the same look, but a third of the
    size, and setting it on a figure takes 6 ms instead of 18 (a page draws up to five figures)."""
    white = pio.templates["plotly_white"]
    layout = white.layout.to_plotly_json()
    for unused in ("polar", "ternary", "scene", "geo", "coloraxis"):
        layout.pop(unused, None)
    return go.layout.Template(layout=layout, data={kind: white.data[kind] for kind in ("bar", "scatter", "heatmap")})


THEME = _theme()


MARGIN = {"l": 60, "r": 20, "t": 30, "b": 50}
"""Room around the plot: the toolbar above it, tick labels and axis titles to the left and below."""
LEGEND_ROOM = 50
"""Pixels added below a chart that has a legend, for one or two rows of it."""
LEGEND_GAP = 62
"""Pixels from the plot's bottom to the legend's top: past the tick labels and the x-axis title."""


def base_layout(figure: go.Figure, *, y_title: str, x_title: str | None = None, height: int = 340) -> go.Figure:
    """The look every chart shares; titles name the unit so a screenshot stands on its own. Call it once
    the traces are in and the legend is shown or hidden.

    A legend goes under the plot, in room added for it (`height` is the chart without it): above the
    plot, the toolbar that shows on hover covered it wherever a chart is narrow (half-width cards, a
    phone). The legend lists series in the order they stack, bottom first, as the hover does."""
    legend_room = LEGEND_ROOM if shows_legend(figure) else 0
    plot_height = height - MARGIN["t"] - MARGIN["b"]
    figure.update_layout(
        template=THEME,
        height=height + legend_room,
        margin={**MARGIN, "b": MARGIN["b"] + legend_room},
        legend={"orientation": "h", "yanchor": "top", "y": -LEGEND_GAP / plot_height, "x": 0, "traceorder": "normal"},
        hovermode="closest",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )
    figure.update_yaxes(title_text=y_title, rangemode="tozero")
    if x_title:
        figure.update_xaxes(title_text=x_title)
    return figure


def shows_legend(figure: go.Figure) -> bool:
    """Whether plotly draws a legend: when told to, else for a trace that asks for one or two that may have one."""
    if figure.layout.showlegend is not None:
        return bool(figure.layout.showlegend)
    listed = [trace for trace in figure.data if trace.showlegend is not False]
    return len(listed) > 1 or any(trace.showlegend for trace in figure.data)


def empty_figure(message: str = "No data in this range") -> go.Figure:
    """A blank chart that says why it is blank, instead of empty axes."""
    figure = go.Figure()
    figure.add_annotation(text=message, showarrow=False, font={"size": 15, "color": NEITHER}, x=0.5, y=0.5)
    figure.update_layout(template=THEME, height=220, margin={"l": 20, "r": 20, "t": 20, "b": 20})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def is_empty(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> bool:
    return frame.empty or not frame[list(columns)].fillna(0).to_numpy().any()


def drill_query(filters: Filters, only: AccountFilters, *, start=None, end=None) -> str:
    """The account-list query string for a slice: the view's segment, a (period's) range, the slice."""
    period = replace(filters, start=start or filters.start, end=end or filters.end)
    return urlencode({**period.query(), **only.query()})


def period_drills(table: pd.DataFrame, filters: Filters, only: AccountFilters) -> list[str]:
    """One drill query per period row (as `drill_query` writes it): the period clipped to the view's
    range, plus the slice. Worked out for all rows at once: a daily chart has a thousand bars a trace."""
    bounds = periods(filters).set_index("period_start")["period_end"]
    firsts = pd.to_datetime(table["period_start"])
    starts = firsts.clip(lower=filters.start_ts).dt.strftime("%Y-%m-%d")
    ends = firsts.map(bounds).clip(upper=filters.end_ts).dt.strftime("%Y-%m-%d")
    rest = drill_query(filters, only).split("&", 2)[2]  # after start= and end=, which lead it
    return [f"start={start}&end={end}&{rest}" for start, end in zip(starts, ends, strict=True)]


def partial_marks(table: pd.DataFrame, filters: Filters) -> tuple[list[bool], list[str]]:
    """For each period row: whether the range covers it only in part, and the hover line that says
    which days it holds (empty for a whole period), for `%{hovertext}` in a hover template."""
    days = table["period_start"].map(partial_periods(filters))
    cut = [isinstance(covered, str) for covered in days]
    return cut, ["<br>" + covered if partial else "" for covered, partial in zip(days, cut, strict=True)]


def period_bar(
    table: pd.DataFrame,
    filters: Filters,
    column: str,
    only: AccountFilters | None,
    *,
    stack: str | None = None,
) -> go.Bar:
    """Bars of one count column over periods; clickable to the accounts behind each bar when `only` is given.

    A period the range covers only in part is hatched, and its hover says which days it holds
    (`%{hovertext}`, empty for whole periods), so a half month never passes for a month; at week and
    month grain the hover also gives the count per day covered, which compares across whole and
    partial periods alike."""
    partial, hovertext = partial_marks(table, filters)
    if filters.grain != "day":
        per_day = table[column].to_numpy() / table["period_start"].map(days_in_view(filters)).to_numpy()
        hovertext = [f"{text}<br>{rate:,.1f} a day" for text, rate in zip(hovertext, per_day, strict=True)]
    return go.Bar(
        x=table["period_start"],
        y=table[column],
        name=LABELS.get(column, column),
        marker={"color": COLORS[column], "pattern": {"shape": ["/" if cut else "" for cut in partial]}},
        hovertext=hovertext,
        offsetgroup=stack,
        customdata=period_drills(table, filters, only) if only is not None else None,
        hovertemplate=f"%{{x|%Y-%m-%d}}%{{hovertext}}<br>{LABELS.get(column, column)}: %{{y:,}}<extra></extra>",
    )


def accounts_line(table: pd.DataFrame, column: str, period: str, **style) -> go.Scatter:
    """A line of account counts over periods, in the column's colour and words."""
    return go.Scatter(
        x=table["period_start"],
        y=table[column],
        name=LABELS[column],
        mode="lines",
        line={"color": COLORS[column], "width": 2},
        hovertemplate=f"{period} %{{x|%Y-%m-%d}}<br>{LABELS[column]}: %{{y:,}} accounts<extra></extra>",
        **style,
    )


def legend_swatch(trace: go.Bar | go.Scatter) -> go.Bar | go.Scatter:
    """The legend's entry for a period series, plain whichever period is partial; the series itself
    leaves the legend to it.

    Plotly draws a legend swatch from a trace's first point, so a series whose first period is
    partial (a hatched bar, an open marker) would read as partial throughout. The entry is a trace
    of the series' colour with no point: grouped with the series, a click on it still hides or shows
    the whole series; with nothing to hover or click, it opens no account list, and the chart's table
    and caption (`figure_text`) leave it out. Add it after the figure's series, so their indices and
    the legend's order stay theirs."""
    trace.update(legendgroup=trace.name, showlegend=False)
    plain = {
        "x": [None],
        "y": [None],
        "name": trace.name,
        "legendgroup": trace.name,
        "showlegend": None,  # listed whenever the series would have been: when the figure has a legend
        "hoverinfo": "skip",
    }
    if isinstance(trace, go.Bar):
        return go.Bar(plain, marker={"color": trace.marker.color}, offsetgroup=trace.offsetgroup)
    return go.Scatter(
        plain, mode=trace.mode, line=trace.line, marker={"color": trace.marker.color, "size": trace.marker.size}
    )
