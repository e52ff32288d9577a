"""Figures of the lockouts page: lockout events and locked accounts over time, and the accounts
locked most often."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.charts.common import empty_figure, is_empty
from dashboard.charts.over_time import Series, bars_over_time
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.grids import account_grid

MOST_LOCKED_LIMIT = 20
"""How many accounts the "locked most often" table shows, and its download holds."""
LOCKED = AccountFilters(event_type=("account_locked",))


def lockouts_figure(table: pd.DataFrame, filters: Filters) -> go.Figure:
    """Lockout events and distinct accounts locked, side by side per period; a bar opens those accounts."""
    if is_empty(table, ["lockout_events", "accounts_locked"]):
        return empty_figure("No lockouts in this range")
    series = [Series("lockout_events", LOCKED, "events", "lockouts"), Series("accounts_locked", LOCKED, "accounts")]
    return bars_over_time(
        table, filters, series, unit="accounts", y_title="Lockout events / locked accounts", barmode="group"
    )


def most_locked_table(accounts: pd.DataFrame, limit: int = MOST_LOCKED_LIMIT) -> html.Div:
    """The accounts locked most often in the range; a row click opens the account."""
    if accounts.empty:
        return html.P("No account was locked in this range.", className="text-muted", id="most-locked-empty")
    height = min(900, 56 + 42 * len(accounts))
    grid = account_grid({"type": "account-grid", "name": "most-locked"}, accounts, height=height)
    if len(accounts) >= limit:
        shown = f"The top {limit:,} accounts by lockouts in this range, most first."
    elif len(accounts) == 1:
        shown = "The only account locked in this range."
    else:
        shown = f"All {len(accounts):,} accounts locked in this range, most lockouts first."
    summary = html.Small(shown, className="text-muted")
    return html.Div([summary, grid])
