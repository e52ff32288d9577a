"""Placeholder-email figures: accounts by email status and portal access, new at-risk accounts against fixed ones."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import COLORS, LABELS, base_layout, drill_query, empty_figure, is_empty
from dashboard.charts.over_time import Series, bars_over_time
from dashboard.charts.palette import WITHOUT_ACCESS
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

AT_RISK = AccountFilters(email_status="placeholder", portal_access=True)
BECAME_AT_RISK = AccountFilters(at_risk_change="became_at_risk")
FIXED = AccountFilters(at_risk_change="fixed")
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


def at_risk_changes_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """New at-risk accounts beside fixed ones per period: whether the office gives real emails faster
    than new placeholders get portal access, which the at-risk stock, near flat, cannot show. Side by
    side rather than up and down, so both read as counts on one axis; each bar opens its accounts."""
    if is_empty(table, ["new_at_risk", "fixed"]):
        return empty_figure("No account became at risk or was fixed in this range")
    series = [Series("new_at_risk", BECAME_AT_RISK), Series("fixed", FIXED)]
    return bars_over_time(table, filters, series, unit="accounts", y_title="Accounts", barmode="group")


def counts(table: pd.DataFrame) -> dict[str, int]:
    """Placeholder-email accounts and those at risk, from the email-status breakdown."""
    placeholder = table[table["email_status"] == "placeholder"]
    return {
        "placeholder": int(placeholder["accounts"].sum()),
        "at_risk": int(placeholder["with_portal_access"].sum()),
    }
