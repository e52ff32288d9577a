"""Placeholder-email accounts, for billing managers and support."""

from typing import NamedTuple

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.guard import requires
from dashboard.auth.roles import Permission
from dashboard.charts import placeholder as charts
from dashboard.charts.common import drill_query
from dashboard.data.params import BadParameter
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.grids import paged_grid
from dashboard.web.layout import (
    chart_card,
    current_warehouse,
    download_link,
    drill_chart,
    drill_graph,
    page_layout,
    register_page,
)
from dashboard.web.urls import PLACEHOLDER_EMAILS, clean_query, slice_href

register_page(__name__, PLACEHOLDER_EMAILS, "Placeholder emails", 2, Permission.VIEW_CHARTS, warm=True)


class AccountList(NamedTuple):
    only: AccountFilters
    columns: tuple[str, ...]
    empty_text: str
    note: str
    link_id: dict | None = None


LISTS = {
    "at-risk": AccountList(
        charts.AT_RISK,
        charts.AT_RISK_COLUMNS,
        "No account has a placeholder email and portal access in this view.",
        "Give these customers a real email on their web user record before they need a password reset. The list "
        "holds accounts as they are now (the charts count them as on the range's end); failed recovery attempts "
        "and lockouts count the range.",
    ),
    "username-not-email": AccountList(
        charts.USERNAME_NOT_EMAIL,
        charts.USERNAME_COLUMNS,
        "No account in this view has a username that is not an email.",
        "These customers changed their username away from their email and often fail to log in by typing the email.",
        {"chart": "username-not-email"},
    ),
}
"""The page's two account lists, one shown at a time: each is a server-paged grid, and two grids
drawing beside the charts made the page's first render half a second slower."""


def account_list(warehouse, filters, name: str) -> html.Div:
    """One list as a server-paged grid (every account of it, a hundred rows at a time), its CSV and note."""
    chosen = LISTS[name]
    _, total = warehouse.accounts_page(filters, chosen.only, limit=0)
    if total == 0:
        table = html.P(chosen.empty_text, className="text-muted mb-0", id={"type": "grid-empty", "name": name})
    else:
        hint = html.Span(
            [
                " · Click a row to open the account, or ",
                dcc.Link("open them as a list", href=slice_href(drill_query(filters, chosen.only))),
                ".",
            ],
            id={"type": "grid-count", "name": name},
        )
        table = paged_grid(name, filters, chosen.only, chosen.columns, total, after_count=hint)
    csv_link = download_link("accounts", filters, "CSV of the list", id_extra=chosen.link_id, **chosen.only.query())
    return html.Div(
        [
            table,
            html.Div([link for link in (csv_link,) if link], className="mt-2 small"),
            html.P(chosen.note, className="small text-muted mb-0 mt-1"),
        ],
        className="pt-3",
    )


@dash.callback(
    Output("placeholder-list", "children"),
    Input("placeholder-lists", "value"),
    State("placeholder-view", "data"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_ACCOUNTS)
def show_list(chosen: str | None, view: dict | None):
    """The chosen list, for the view the page was drawn with (checked again: anyone can post it)."""
    if chosen not in LISTS:
        return dash.no_update
    try:
        filters = Filters.parse(clean_query(view or {}), None)
    except BadParameter:
        return html.P("The page's view is not valid; reload the page.", className="text-muted")
    return account_list(current_warehouse(), filters, chosen)


def body(warehouse, filters):
    breakdown = warehouse.email_status_breakdown(filters)
    changes = warehouse.at_risk_changes(filters)
    counts = charts.counts(breakdown)
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
                            "New at-risk accounts against fixed ones",
                            drill_chart("at-risk-changes", charts.at_risk_changes_figure(changes, filters)),
                            download_link("at_risk_changes", filters),
                            note="Accounts that got portal access with a placeholder email (or whose email became "
                            "one), against accounts whose placeholder was replaced, per period; an account that "
                            "only lost portal access is in neither. Click a bar for those accounts.",
                        ),
                        lg=6,
                    ),
                ]
            ),
            chart_card(
                "Accounts to act on",
                html.Div(
                    [
                        dcc.Store(id="placeholder-view", data=filters.query()),
                        # a choice of one list, so radio buttons: dbc.Tabs would promise tab panels it
                        # does not draw, and gives every tab the same id
                        dbc.RadioItems(
                            id="placeholder-lists",
                            options=[
                                {
                                    "label": f"At risk: placeholder email with portal access ({counts['at_risk']:,})",
                                    "value": "at-risk",
                                },
                                {"label": "Usernames that are not emails", "value": "username-not-email"},
                            ],
                            value="at-risk",
                            className="btn-group mb-2",
                            inputClassName="btn-check",
                            labelClassName="btn btn-outline-primary btn-sm",
                            labelCheckedClassName="active",
                        ),
                        html.Div(account_list(warehouse, filters, "at-risk"), id="placeholder-list"),
                    ]
                ),
            ),
        ]
    )


layout = page_layout(
    "Placeholder-email accounts",
    "Accounts converted with a fictitious email that can never receive a recovery code, and usernames "
    "customers forget.",
    body,
)
