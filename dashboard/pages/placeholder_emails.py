"""Placeholder-email accounts, for billing managers and support."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.charts import placeholder as charts
from dashboard.charts.common import drill_query
from dashboard.components import chart_card, download_link, drill_graph, page
from dashboard.grids import account_grid, column_defs

dash.register_page(
    __name__,
    path="/placeholder-emails",
    name="Placeholder emails",
    title="Placeholder emails · Billing portal analytics",
)


def account_table(warehouse, filters, name: str, only, columns, empty_text: str) -> html.Div:
    """An account slice as a grid of at most `GRID_ROW_LIMIT` rows, saying so when there are more."""
    rows, total = warehouse.accounts_page(filters, only, limit=charts.GRID_ROW_LIMIT)
    list_href = f"/accounts?{drill_query(filters, only)}"
    if total == 0:
        return html.P(empty_text, className="text-muted mb-0", id={"type": "grid-empty", "name": name})
    if total > len(rows):
        summary = dbc.Alert(
            [
                f"Showing {len(rows):,} of {total:,} accounts (first by account number) — ",
                html.A("open the full list", href=list_href, className="alert-link"),
                " to page through every one; the CSV holds them all.",
            ],
            color="warning",
            className="py-2 mb-2",
            id={"type": "grid-count", "name": name},
        )
    else:
        summary = html.Div(
            [
                f"{total:,} accounts. Click a row to open the account, or ",
                dcc.Link("open them as a list", href=list_href),
                ".",
            ],
            className="small mb-2",
            id={"type": "grid-count", "name": name},
        )
    shown = rows[list(columns)]
    grid = account_grid({"type": "account-grid", "name": name}, shown)
    grid.columnDefs = column_defs(shown, headers=charts.HEADERS)
    grid.defaultColDef = {**grid.defaultColDef, "wrapHeaderText": True, "autoHeaderHeight": True}
    return html.Div([summary, grid])


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
