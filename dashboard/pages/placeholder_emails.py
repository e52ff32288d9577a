"""Placeholder-email accounts, for billing managers and support."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.charts import placeholder as charts
from dashboard.charts.common import drill_query
from dashboard.components import chart_card, download_link, drill_graph, page
from dashboard.paged_grids import paged_grid

dash.register_page(
    __name__,
    path="/placeholder-emails",
    name="Placeholder emails",
    title="Placeholder emails · Billing portal analytics",
)


def account_table(warehouse, filters, name: str, only, columns, empty_text: str) -> html.Div:
    """An account slice as a server-paged grid: every account of it, a hundred rows at a time."""
    _, total = warehouse.accounts_page(filters, only, limit=0)
    if total == 0:
        return html.P(empty_text, className="text-muted mb-0", id={"type": "grid-empty", "name": name})
    hint = html.Span(
        [
            " · Click a row to open the account, or ",
            dcc.Link("open them as a list", href=f"/accounts?{drill_query(filters, only)}"),
            ".",
        ],
        id={"type": "grid-count", "name": name},
    )
    return paged_grid(name, filters, only, columns, total, after_count=hint)


def body(warehouse, filters):
    breakdown = warehouse.email_status_breakdown(filters)
    over_time = warehouse.email_status_over_time(filters)
    counts = charts.counts(breakdown)
    at_risk_csv = download_link("accounts", filters, "CSV", **charts.AT_RISK.query())
    usernames_csv = download_link(
        "accounts", filters, "CSV", id_extra={"chart": "username-not-email"}, **charts.USERNAME_NOT_EMAIL.query()
    )
    return html.Div(
        [
            html.P(
                f"{counts['placeholder']:,} accounts have a placeholder email as on {filters.end:%Y-%m-%d}; "
                f"{counts['at_risk']:,} of them have portal access and cannot recover a password by themselves.",
                className="lead fs-6",
                id="placeholder-summary",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        chart_card(
                            "Accounts by email status",
                            drill_graph("email-status", charts.by_email_status(breakdown, filters)),
                            download_link("email_status_breakdown", filters),
                            note="Accounts as on the range's end. Click a part of a bar for those accounts.",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        chart_card(
                            "Placeholder-email accounts over time",
                            drill_graph(
                                "placeholder-over-time",
                                charts.placeholder_over_time(over_time, filters),
                                clickable=False,
                            ),
                            download_link("email_statuses", filters),
                            note="Accounts standing at each period's last day; the lower line is those at risk.",
                        ),
                        lg=6,
                    ),
                ]
            ),
            chart_card(
                "At risk: placeholder email with portal access",
                account_table(
                    warehouse,
                    filters,
                    "at-risk",
                    charts.AT_RISK,
                    charts.AT_RISK_COLUMNS,
                    "No account has a placeholder email and portal access in this view.",
                ),
                at_risk_csv,
                note="Give these customers a real email on their web user record before they need a password reset. "
                "The list holds accounts as they are now (the charts count them as on the range's end); "
                "failed recovery attempts and lockouts count the range.",
            ),
            chart_card(
                "Usernames that are not emails",
                account_table(
                    warehouse,
                    filters,
                    "username-not-email",
                    charts.USERNAME_NOT_EMAIL,
                    charts.USERNAME_COLUMNS,
                    "No account in this view has a username that is not an email.",
                ),
                usernames_csv,
                note="These customers changed their username away from their email and often fail to log in "
                "by typing the email.",
            ),
        ]
    )


def layout(**query):
    return page(
        "Placeholder-email accounts",
        "Accounts converted with a fictitious email that can never receive a recovery code, and usernames "
        "customers forget.",
        (),
        query,
        body,
    )
