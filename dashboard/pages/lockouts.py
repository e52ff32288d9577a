"""Lockouts, for support leads: how many, and which accounts keep getting locked."""

import dash
from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts.lockouts import MOST_LOCKED_LIMIT, lockouts_figure, most_locked_table
from dashboard.charts.over_time import drill_chart
from dashboard.web.layout import chart_card, download_link, page
from dashboard.web.urls import LOCKOUTS

dash.register_page(
    __name__,
    path=LOCKOUTS,
    name="Lockouts",
    order=5,
    permission=Permission.VIEW_CHARTS,
    title="Lockouts · Billing portal analytics",
)


def body(warehouse, filters):
    over_time = chart_card(
        "Lockout events and locked accounts",
        drill_chart("lockouts-over-time", lockouts_figure(warehouse.lockouts(filters), filters)),
        download_link("lockouts", filters),
        note="Lockout events, and distinct accounts locked at least once, per period. Click a bar to list the "
        "accounts locked in that period.",
    )
    most = chart_card(
        f"Accounts locked most often (top {MOST_LOCKED_LIMIT})",
        most_locked_table(warehouse.most_locked(filters, limit=MOST_LOCKED_LIMIT)),
        download_link("most_locked", filters, limit=str(MOST_LOCKED_LIMIT)),
        note="Lockouts in the range per account. Click a row to open the account.",
    )
    return html.Div([over_time, most])


def layout(**query):
    return page(
        "Lockouts",
        "Lockout events and distinct accounts locked per period, and the accounts locked most often.",
        ("lockouts",),
        query,
        body,
    )
