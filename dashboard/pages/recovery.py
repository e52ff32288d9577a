"""Password recovery, for support leads: outcomes, failure reasons, the step funnel, repeat failures."""

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.auth.roles import Permission
from dashboard.charts.band import add_band
from dashboard.charts.common import is_empty
from dashboard.charts.recovery import (
    NO_ACCOUNT_NOTE,
    REPEATED_FAILURES,
    REPEATS,
    failure_reasons_figure,
    funnel_figure,
    outcomes_figure,
    step_label,
)
from dashboard.data.view import Filters
from dashboard.web.grids import paged_grid
from dashboard.web.layout import (
    BAND_NOTE,
    chart_card,
    download_link,
    drill_chart,
    page_layout,
    rate_card,
    register_page,
)
from dashboard.web.urls import RECOVERY

register_page(__name__, RECOVERY, "Recovery", 3, Permission.VIEW_CHARTS, warm=True)


REPEAT_COLUMNS = (
    "account_number",
    "failed_recovery_attempts",
    "lockouts",
    "segment",
    "email_status",
    "portal_access",
    "username_is_email",
    "email",
    "username",
    "enrolled_at",
    "last_login_at",
    "created_at",
)


def funnel_table(funnel: pd.DataFrame) -> dbc.Table | html.Div:
    """The funnel's numbers, for reading exactly: attempts at each step and what dropped before it."""
    if is_empty(funnel, ["attempts"]):
        return html.Div(id="recovery-funnel-table")
    header = html.Thead(
        html.Tr([html.Th("Step"), html.Th("Attempts reaching it"), html.Th("Dropped off"), html.Th("Drop-off rate")])
    )
    rows = []
    for row in funnel.itertuples():
        first = row.step_number == 0
        rate = "" if first or pd.isna(row.drop_off_rate) else f"{row.drop_off_rate:.1%}"
        rows.append(
            html.Tr(
                [
                    html.Td(step_label(row.step)),
                    html.Td(f"{row.attempts:,}", className="text-end"),
                    html.Td("" if first else f"{row.drop_off:,}", className="text-end"),
                    html.Td(rate, className="text-end"),
                ]
            )
        )
    return dbc.Table([header, html.Tbody(rows)], size="sm", className="mb-2", id="recovery-funnel-table")


def repeated_failures_table(filters: Filters, total: int) -> html.Div:
    """Accounts with repeated failed attempts, most failures first, paged on the server; a row opens one."""
    if total == 0:
        return html.P(
            f"No account had {REPEATED_FAILURES} or more failed recovery attempts in this range.",
            className="text-muted",
            id="repeated-failures-empty",
        )
    hint = html.Span(" · most failed attempts first; click a row to open the account.", className="text-muted")
    return paged_grid(
        "repeated-failures",
        filters,
        REPEATS,
        REPEAT_COLUMNS,
        total,
        after_count=hint,
        sort=("failed_recovery_attempts", "desc"),
    )


def body(warehouse, filters):
    recovery = warehouse.recovery(filters)
    funnel = warehouse.recovery_funnel(filters)
    _, repeats = warehouse.accounts_page(filters, REPEATS, limit=0)
    failed = add_band(
        failure_reasons_figure(recovery, filters),
        warehouse.band("failed_recovery_attempts", filters),
        filters,
        "Failed attempts",
    )
    over_time = chart_card(
        "Attempts by outcome, and failed attempts by reason",
        dbc.Row(
            [
                dbc.Col(drill_chart("recovery-outcomes", outcomes_figure(recovery, filters)), lg=6),
                dbc.Col(drill_chart("recovery-failure-reasons", failed), lg=6),
            ]
        ),
        download_link("recovery", filters),
        download_link("recovery_attempts", filters, "Attempts CSV"),
        note="An attempt counts in the period of its first event. Click a bar segment to list the accounts "
        "with an attempt of that outcome or failure reason in that period. " + NO_ACCOUNT_NOTE + BAND_NOTE,
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
    return html.Div(
        [
            over_time,
            rate_card(
                warehouse.rates(filters),
                "recovery_success_rate",
                filters,
                warehouse.band("recovery_success_rate", filters),
            ),
            steps,
            repeated,
        ]
    )


layout = page_layout(
    "Password recovery",
    "Forgot-password attempts by outcome and failure reason, where in the flow they stop, and the "
    "accounts that keep failing.",
    body,
)
