"""Password recovery, for support leads: outcomes, failure reasons, the step funnel, repeat failures."""

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts.over_time import drill_chart
from dashboard.charts.recovery import (
    NO_ACCOUNT_NOTE,
    REPEATED_FAILURES,
    REPEATS,
    failure_reasons_figure,
    funnel_figure,
    funnel_table,
    outcomes_figure,
    repeated_failures_table,
)
from dashboard.web.layout import chart_card, download_link, page
from dashboard.web.urls import RECOVERY

dash.register_page(
    __name__,
    path=RECOVERY,
    name="Recovery",
    order=3,
    permission=Permission.VIEW_CHARTS,
    title="Recovery · Billing portal analytics",
)


def body(warehouse, filters):
    recovery = warehouse.recovery(filters)
    funnel = warehouse.recovery_funnel(filters)
    _, repeats = warehouse.accounts_page(filters, REPEATS, limit=0)
    over_time = chart_card(
        "Attempts by outcome, and failed attempts by reason",
        dbc.Row(
            [
                dbc.Col(drill_chart("recovery-outcomes", outcomes_figure(recovery, filters)), lg=6),
                dbc.Col(drill_chart("recovery-failure-reasons", failure_reasons_figure(recovery, filters)), lg=6),
            ]
        ),
        download_link("recovery", filters),
        download_link("recovery_attempts", filters, "Attempts CSV"),
        note="An attempt counts in the period of its first event. Click a bar segment to list the accounts "
        "with an attempt of that outcome or failure reason in that period. " + NO_ACCOUNT_NOTE,
    )
    steps = chart_card(
        "Where attempts stop: the forgot-password steps",
        dbc.Row(
            [
                dbc.Col(drill_chart("recovery-funnel", funnel_figure(funnel, filters)), lg=8),
                dbc.Col(funnel_table(funnel), lg=4, className="align-self-center"),
            ]
        ),
        download_link("recovery_funnel", filters),
        note="Attempts started in the range that reached each step; drop-off is the attempts lost since the "
        "step before. Click a step to list the accounts with an attempt that reached it.",
    )
    repeated = chart_card(
        f"Accounts with {REPEATED_FAILURES} or more failed attempts",
        repeated_failures_table(filters, repeats),
        download_link("accounts", filters, **REPEATS.query()),
        note="Failed attempts started in the range. Click a row to open the account. " + NO_ACCOUNT_NOTE,
    )
    return html.Div([over_time, steps, repeated])


def layout(**query):
    return page(
        "Password recovery",
        "Forgot-password attempts by outcome and failure reason, where in the flow they stop, and the "
        "accounts that keep failing.",
        ("recovery", "recovery_attempts"),
        query,
        body,
    )
