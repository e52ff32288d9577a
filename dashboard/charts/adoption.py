"""Adoption figures: the adoption rate and account stocks over time, new enrollments, segments, the funnel."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.common import (
    COLORS,
    GRAIN_TITLES,
    LABELS,
    accounts_line,
    base_layout,
    drill_query,
    empty_figure,
    is_empty,
    period_bar,
)
from dashboard.charts.palette import ENROLLED, FAILURE, STAFF, WITHOUT_ACCESS
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

NEWLY_ENROLLED = AccountFilters(enrolled=True)
FUNNEL_COLORS = {
    "registration_started": ENROLLED,
    "registration_code_invalid": FAILURE,
    "registration_completed": ENROLLED,
    "account_activated": ENROLLED,
    "portal_access_granted": STAFF,
}
"""A customer's steps are enrolling, a rejected code a failure, access given by staff staff's doing."""


def adoption_over_time(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """The adoption rate (top) and enrolled against all accounts (bottom), at each period's last day."""
    if is_empty(table, ["total_accounts"]):
        return empty_figure("No accounts in this view")
    period = GRAIN_TITLES[filters.grain]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.4, 0.6], vertical_spacing=0.06)
    figure.add_trace(
        go.Scatter(
            x=table["period_start"],
            y=table["adoption_rate"],
            name=LABELS["adoption_rate"],
            mode="lines",
            line={"color": COLORS["adoption_rate"], "width": 2.5},
            hovertemplate=f"{period} %{{x|%Y-%m-%d}}<br>Adoption rate: %{{y:.1%}} of accounts<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for column in ("total_accounts", "enrolled_accounts"):
        figure.add_trace(accounts_line(table, column, period, fill="tozeroy"), row=2, col=1)
    base_layout(figure, y_title="Accounts", height=460)
    # a line, not a bar: the axis follows the data so a change of a few points over a quarter shows
    figure.update_yaxes(title_text="Adoption rate", tickformat=".0%", rangemode="normal", row=1, col=1)
    figure.update_yaxes(title_text="Accounts", tickformat=",", row=2, col=1)
    figure.update_xaxes(title_text=period, row=2, col=1)
    figure.update_layout(hovermode="x unified")
    return figure


def new_enrollments(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """New enrollments per period; a bar opens the accounts that enrolled in that period.

    A period far above the rest (the conversion week, when every existing account got access at
    once) would flatten every other bar, so the axis stops above the others and that bar is labelled.
    """
    if is_empty(table, ["new_enrollments"]):
        return empty_figure("No new enrollments in this range")
    figure = go.Figure(period_bar(table, filters, "new_enrollments", NEWLY_ENROLLED))
    figure.update_traces(
        hovertemplate=(
            f"{GRAIN_TITLES[filters.grain]} %{{x|%Y-%m-%d}}%{{hovertext}}<br>New enrollments: %{{y:,}} accounts"
            "<br><i>Click for these accounts</i><extra></extra>"
        )
    )
    base_layout(figure, y_title="Accounts newly enrolled", x_title=GRAIN_TITLES[filters.grain])
    ceiling = outlier_ceiling(table["new_enrollments"])
    if ceiling is not None:
        figure.update_yaxes(range=[0, ceiling])
        for when, value in zip(table["period_start"], table["new_enrollments"], strict=True):
            if value > ceiling:
                figure.add_annotation(
                    x=when, y=ceiling, text=f"{value:,} ↑", showarrow=False, yanchor="top", xanchor="left"
                )
    return figure


def outlier_ceiling(values: pd.Series) -> float | None:
    """An axis top that keeps ordinary bars readable when a few bars are far taller; None if none are."""
    ordinary = values.quantile(0.9)
    if len(values) < 10 or ordinary <= 0 or values.max() <= 4 * ordinary:
        return None
    return float(ordinary) * 2


def segment_slices(filters: Filters, segment: str) -> tuple[str, str]:
    """The account lists behind a segment's bar: its accounts with portal access, and without."""
    view = replace(filters, segment=segment)
    return (
        drill_query(view, AccountFilters(portal_access=True)),
        drill_query(view, AccountFilters(portal_access=False)),
    )


def by_segment(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Per segment at `end`, the share of accounts with portal access and the rest, with the counts.

    Shares (not counts) so a small segment's adoption reads as easily as the largest one's.
    """
    if is_empty(table, ["total_accounts"]):
        return empty_figure("No accounts in this segment" if filters.segment else "No accounts in this view")
    rows = table.iloc[::-1]  # largest segment on top
    slices = [segment_slices(filters, segment) for segment in rows["segment"]]
    names = [f"{segment} ({total:,})" for segment, total in zip(rows["segment"], rows["total_accounts"], strict=True)]
    enrolled_share = rows["adoption_rate"].fillna(0)
    not_enrolled = rows["total_accounts"] - rows["enrolled_accounts"]
    parts = (
        ("With portal access", enrolled_share, rows["enrolled_accounts"], COLORS["enrolled_accounts"], 0),
        ("Without portal access", 1 - enrolled_share, not_enrolled, WITHOUT_ACCESS, 1),
    )
    figure = go.Figure()
    for name, share, count, color, which in parts:
        figure.add_trace(
            go.Bar(
                y=names,
                x=share,
                orientation="h",
                name=name,
                marker_color=color,
                text=[f"{rate:.0%} · {number:,}" for rate, number in zip(share, count, strict=True)],
                textposition="inside",
                insidetextanchor="start" if which == 0 else "end",
                textfont={"color": "white" if which == 0 else "#333333"},
                customdata=[pair[which] for pair in slices],
                hovertemplate=f"%{{y}}<br>{name}: %{{text}} accounts<br><i>Click for these accounts</i><extra></extra>",
            )
        )
    base_layout(figure, y_title="", x_title="Share of the segment's accounts", height=max(210, 100 + 46 * len(rows)))
    figure.update_layout(barmode="stack")
    figure.update_yaxes(rangemode="normal")
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    return figure


def enrollment_funnel(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Accounts at each enrollment step in the range, in the order a customer meets them, and those
    given access by staff (the second route in, drawn apart); a step opens its accounts."""
    if is_empty(table, ["accounts"]):
        return empty_figure("No enrollment events in this range")
    started = table["accounts"].iloc[0]
    rows = table.iloc[::-1]  # first step on top
    share = [
        "second route in"
        if route == "staff"
        else f"{accounts / started:.0%} of started"
        if started and kind != "registration_started"
        else ""
        for accounts, kind, route in zip(rows["accounts"], rows["event_type"], rows["route"], strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            y=[step.capitalize() for step in rows["step"]],
            x=rows["accounts"],
            orientation="h",
            marker_color=[FUNNEL_COLORS[kind] for kind in rows["event_type"]],
            marker_pattern_shape=["/" if route == "staff" else "" for route in rows["route"]],
            text=[
                f"{accounts:,}  ({words})" if words else f"{accounts:,}"
                for accounts, words in zip(rows["accounts"], share, strict=True)
            ],
            textposition="auto",
            customdata=[drill_query(filters, AccountFilters(event_type=(kind,))) for kind in rows["event_type"]],
            hovertemplate="%{y}: %{x:,} accounts<br><i>Click for those accounts</i><extra></extra>",
            showlegend=False,
        )
    )
    base_layout(figure, y_title="", x_title="Accounts in the range", height=300)
    figure.update_yaxes(rangemode="normal")
    figure.update_xaxes(tickformat=",")
    return figure
