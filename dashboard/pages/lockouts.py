"""Lockouts, for support leads: how many, and which accounts keep getting locked."""

import pandas as pd
from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts.band import add_band
from dashboard.charts.lockouts import MOST_LOCKED_LIMIT, lockouts_figure
from dashboard.web.grids import ACCOUNT_GRID, frame_columns, grid
from dashboard.web.layout import (
    BAND_NOTE,
    chart_card,
    download_link,
    drill_chart,
    page_layout,
    rate_card,
    register_page,
)
from dashboard.web.urls import LOCKOUTS

register_page(__name__, LOCKOUTS, "Lockouts", 5, Permission.VIEW_CHARTS, warm=True)


def most_locked_table(accounts: pd.DataFrame, limit: int = MOST_LOCKED_LIMIT) -> html.Div:
    """The accounts locked most often in the range; a row click opens the account."""
    if accounts.empty:
        return html.P("No account was locked in this range.", className="text-muted", id="most-locked-empty")
    table = grid(
        {"type": ACCOUNT_GRID, "name": "most-locked"},
        frame_columns(accounts),
        rows=accounts,
        row_id="account_number",
        column={"filter": True, "minWidth": 110},
        height=900,
        fit=56,
        columnSize="responsiveSizeToFit",
        className="ag-theme-alpine",
    )
    if len(accounts) >= limit:
        shown = f"The top {limit:,} accounts by lockouts in this range, most first."
    elif len(accounts) == 1:
        shown = "The only account locked in this range."
    else:
        shown = f"All {len(accounts):,} accounts locked in this range, most lockouts first."
    summary = html.Small(shown, className="text-muted")
    return html.Div([summary, table])


def body(warehouse, filters):
    figure = add_band(
        lockouts_figure(warehouse.lockouts(filters), filters),
        warehouse.band("lockout_events", filters),
        filters,
        "Lockout events",
    )
    over_time = chart_card(
        "Accounts locked, and their repeat lockouts",
        drill_chart("lockouts-over-time", figure),
        download_link("lockouts", filters),
        note="Each bar is one period's lockout events: the accounts locked at least once, and on top the "
        "further lockouts of those same accounts. Click a bar to list the accounts locked in that period." + BAND_NOTE,
    )
    most = chart_card(
        f"Accounts locked most often (top {MOST_LOCKED_LIMIT})",
        most_locked_table(warehouse.most_locked(filters, limit=MOST_LOCKED_LIMIT)),
        download_link("most_locked", filters, limit=str(MOST_LOCKED_LIMIT)),
        note="Lockouts in the range per account. Click a row to open the account.",
    )
    return html.Div([over_time, rate_card(warehouse.rates(filters), "lockouts_per_1000_enrolled", filters), most])


layout = page_layout(
    "Lockouts",
    "Lockout events and distinct accounts locked per period, and the accounts locked most often.",
    body,
)
