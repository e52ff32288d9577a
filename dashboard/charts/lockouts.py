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
    """Accounts locked per period, with the repeat lockouts of those accounts stacked on top, so the
    bar's height is the lockout events and its lower part the people affected; a bar opens those
    accounts."""
    if is_empty(table, ["lockout_events", "accounts_locked"]):
        return empty_figure("No lockouts in this range")
    stacked = table.assign(repeat_lockouts=table["lockout_events"] - table["accounts_locked"])
    series = [Series("accounts_locked", LOCKED, "lockouts", "accounts"), Series("repeat_lockouts", LOCKED, "lockouts")]
    return bars_over_time(stacked, filters, series, unit="lockouts", y_title="Lockout events")
