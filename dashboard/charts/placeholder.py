"""Placeholder-email figures: accounts by email status and portal access, placeholder accounts over time."""

from __future__ import annotations

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
)
from dashboard.charts.palette import WITHOUT_ACCESS
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

AT_RISK = AccountFilters(email_status="placeholder", portal_access=True)
USERNAME_NOT_EMAIL = AccountFilters(username_is_email=False)
WITHOUT_ACCESS_COLOR = WITHOUT_ACCESS
AT_RISK_COLUMNS = (
    "account_number",
    "segment",
    "email",
    "username",
    "username_is_email",
    "enrolled_at",
    "last_login_at",
    "failed_recovery_attempts",
    "lockouts",
)
USERNAME_COLUMNS = (
    "account_number",
    "segment",
    "portal_access",
    "email_status",
    "email",
    "username",
    "last_login_at",
    "failed_recovery_attempts",
    "lockouts",
)
"""What each grid shows: the account list's columns less the ones its slice holds constant (the CSV has all)."""


def status_slice(filters: Filters, status: str, portal_access: bool) -> str:
    return drill_query(filters, AccountFilters(email_status=status, portal_access=portal_access))


def by_email_status(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Accounts by email status at `end`, stacked by portal access; placeholder with access is at risk.

    Each part of a bar opens its accounts: that email status, with or without portal access.
    """
    if is_empty(table, ["accounts"]):
        return empty_figure("No accounts in this view")
    rows = table.iloc[::-1]  # valid on top
    labels = [LABELS.get(status, status) for status in rows["email_status"]]
    risky = rows["email_status"] == "placeholder"
    with_access = rows["with_portal_access"]
    parts = (
        ("With portal access", with_access.where(~risky, 0), COLORS["enrolled_accounts"], True),
        ("At risk: with portal access", with_access.where(risky, 0), COLORS["at_risk"], True),
        ("Without portal access", rows["without_portal_access"], WITHOUT_ACCESS_COLOR, False),
    )
    figure = go.Figure()
    for name, values, color, access in parts:
        figure.add_trace(
            go.Bar(
                y=labels,
                x=values,
                orientation="h",
                name=name,
                marker_color=color,
                customdata=[status_slice(filters, status, access) for status in rows["email_status"]],
                hovertemplate=f"%{{y}}, {name.lower()}: %{{x:,}} accounts<br><i>Click for these accounts</i>"
                "<extra></extra>",
            )
        )
    figure.add_trace(
        go.Scatter(
            y=labels,
            x=rows["accounts"],
            mode="text",
            text=[f"  {total:,}" for total in rows["accounts"]],
            textposition="middle right",
            hoverinfo="skip",
            showlegend=False,
        )
    )
    base_layout(figure, y_title="", x_title="Accounts", height=310)
    figure.update_layout(barmode="stack")
    figure.update_yaxes(rangemode="normal")
    figure.update_xaxes(tickformat=",", range=[0, float(rows["accounts"].max()) * 1.15])
    return figure


def placeholder_over_time(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Placeholder-email accounts (top) and those at risk (bottom) at each period's last day."""
    if is_empty(table, ["placeholder"]):
        return empty_figure("No placeholder-email accounts in this view")
    period = GRAIN_TITLES[filters.grain]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    for row, column in enumerate(("placeholder", "at_risk"), start=1):
        figure.add_trace(accounts_line(table, column, period), row=row, col=1)
    figure.update_layout(showlegend=False)  # each row's axis title names its line
    base_layout(figure, y_title="Accounts", height=420)
    figure.update_yaxes(title_text="Placeholder email", tickformat=",", row=1, col=1)
    figure.update_yaxes(title_text="At risk (with access)", tickformat=",", row=2, col=1)
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
