"""Placeholder-email accounts, for billing managers and support."""

import dash
from dash import html

from dashboard.components import export_link, page, preview_table
from dashboard.queries import AccountFilters

dash.register_page(
    __name__,
    path="/placeholder-emails",
    name="Placeholder emails",
    title="Placeholder emails · Billing portal analytics",
)


def _body(warehouse, filters):
    at_risk = warehouse.accounts(filters, AccountFilters(email_status="placeholder", portal_access=True))
    return html.Div(
        [
            html.P(
                f"{len(at_risk):,} accounts have portal access but a placeholder email: "
                "they cannot recover a password by themselves."
            ),
            export_link(
                "accounts", filters, "Download at-risk accounts", email_status="placeholder", portal_access="true"
            ),
            preview_table(at_risk),
        ]
    )


def layout(**query):
    return page(
        "Placeholder-email accounts",
        "Accounts converted with a fictitious email that can never receive a recovery code.",
        (),
        query,
        _body,
    )
