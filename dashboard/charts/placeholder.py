"""Placeholder-email figures: accounts by email status and portal access, placeholder accounts over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.account_list import AccountFilters
from dashboard.charts.common import COLORS, GRAIN_TITLES, LABELS, base_layout, drill_query, empty_figure, is_empty
from dashboard.metrics import Filters

AT_RISK = AccountFilters(email_status="placeholder", portal_access=True)
USERNAME_NOT_EMAIL = AccountFilters(username_is_email=False)
GRID_ROW_LIMIT = 5_000
"""A grid holds at most this many rows in the browser; a longer slice links to the server-paged list."""
WITHOUT_ACCESS_COLOR = "#CFCFCF"


def status_slice(filters: Filters, status: str, portal_access: bool) -> str:
    return drill_query(filters, AccountFilters(email_status=status, portal_access=portal_access))


def by_email_status(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Accounts by email status at `end`, stacked by portal access; placeholder with access is at risk.

    Each part of a bar opens its accounts: that email status, with or without portal access.
    """
    if is_empty(table, ["accounts"]):
        return empty_figure("No accounts in this view")
    labels = [LABELS.get(status, status) for status in table["email_status"]]
    risky = table["email_status"] == "placeholder"
    with_access = table["with_portal_access"]
    parts = (
        ("With portal access", with_access.where(~risky), COLORS["enrolled_accounts"], True),
        (LABELS["at_risk"] + " (at risk)", with_access.where(risky), COLORS["at_risk"], True),
        ("Without portal access", table["without_portal_access"], WITHOUT_ACCESS_COLOR, False),
    )
    figure = go.Figure()
    for name, values, color, access in parts:
        figure.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=name,
                marker_color=color,
                customdata=[status_slice(filters, status, access) for status in table["email_status"]],
                hovertemplate=f"%{{x}}, {name.lower()}: %{{y:,}} accounts<br><i>Click for these accounts</i>"
                "<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=table["accounts"],
            mode="text",
            text=[f"{total:,}" for total in table["accounts"]],
            textposition="top center",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    base_layout(figure, y_title="Accounts", x_title="Email on the web user record")
    figure.update_layout(barmode="stack")
    figure.update_yaxes(tickformat=",", range=[0, float(table["accounts"].max()) * 1.12])
    return figure


def placeholder_over_time(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Placeholder-email accounts (top) and those at risk (bottom) at each period's last day."""
    if is_empty(table, ["placeholder"]):
        return empty_figure("No placeholder-email accounts in this view")
    period = GRAIN_TITLES[filters.grain]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for row, column in enumerate(("placeholder", "at_risk"), start=1):
        figure.add_trace(
            go.Scatter(
                x=table["period_start"],
                y=table[column],
                name=LABELS[column],
                mode="lines",
                line={"color": COLORS[column], "width": 2},
                hovertemplate=f"{period} %{{x|%Y-%m-%d}}<br>{LABELS[column]}: %{{y:,}} accounts<extra></extra>",
            ),
            row=row,
            col=1,
        )
    base_layout(figure, y_title="Accounts", height=420)
    figure.update_yaxes(title_text="Placeholder email", tickformat=",", row=1, col=1)
    figure.update_yaxes(title_text="With portal access", tickformat=",", row=2, col=1)
    figure.update_xaxes(title_text=period, row=2, col=1)
    figure.update_layout(hovermode="x unified")
    return figure


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Placeholder-email accounts and those at risk, from the email-status breakdown."""
    placeholder = table[table["email_status"] == "placeholder"]
    return {
        "placeholder": int(placeholder["accounts"].sum()),
        "at_risk": int(placeholder["with_portal_access"].sum()),
    }
