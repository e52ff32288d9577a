"""Figures of the lockouts page: lockout events and locked accounts over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import empty_figure, is_empty
from dashboard.charts.over_time import Series, bars_over_time
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters

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
