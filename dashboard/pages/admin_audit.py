"""The audit log, for admins: who signed in, changed a user, viewed or exported what, and when.

The filters live in the query string, like every page's view, so a link to a finding reproduces
it and the CSV link carries the same filters to `/admin/audit.csv`. The page shows the newest
DISPLAY_LIMIT matching entries and says when there are more; the CSV holds them all. There is
nothing to edit or delete here: the log is append-only down to the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html

from dashboard.auth.guard import requires
from dashboard.auth.roles import Permission
from dashboard.auth.web import store
from dashboard.data.audit import AUDIT_PARAMETERS, AuditFilters, audit_frame, parse_audit_filters
from dashboard.data.clock import headed, wall_column
from dashboard.data.datasets import FILE_TYPES
from dashboard.data.params import BadParameter
from dashboard.web.alert_views import alerts_banner
from dashboard.web.export import refusal
from dashboard.web.grids import grid
from dashboard.web.layout import ADMIN_MENU, current_settings, current_warehouse, register_page
from dashboard.web.urls import ADMIN_AUDIT, clean_query, export_href

register_page(__name__, ADMIN_AUDIT, "Audit log", 9, Permission.VIEW_AUDIT, menu=ADMIN_MENU)

DISPLAY_LIMIT = 5_000
"""Entries a browser grid holds comfortably; narrowing the filters or the CSV reaches the rest."""
GRID_ID = "admin-audit-grid"
COUNT_ID = "admin-audit-count"

COLUMNS = [
    {"field": "entry_id", "headerName": "#", "filter": "agNumberColumnFilter", "maxWidth": 100},
    {"field": "at_utc", "headerName": "At", "minWidth": 170},
    {"field": "actor", "headerName": "Actor", "filter": "agTextColumnFilter"},
    {"field": "action", "headerName": "Action", "filter": "agTextColumnFilter"},
    {"field": "target", "headerName": "Target", "filter": "agTextColumnFilter"},
    {"field": "detail", "headerName": "Detail", "filter": "agTextColumnFilter", "flex": 2, "tooltipField": "detail"},
    {"field": "rows", "headerName": "Rows", "filter": "agNumberColumnFilter", "type": "numericColumn", "maxWidth": 110},
    {"field": "remote_addr", "headerName": "Address", "filter": "agTextColumnFilter"},
]


def read_filters(query: Mapping[str, str]) -> tuple[AuditFilters, str | None]:
    """The filters from the page's URL; a bad one shows the whole log with the reason, never an error page."""
    known = {name: value for name, value in query.items() if name in AUDIT_PARAMETERS}
    try:
        return parse_audit_filters(known), None
    except BadParameter as error:
        return AuditFilters(), str(error)


def count_text(frame: pd.DataFrame) -> str:
    if len(frame) > DISPLAY_LIMIT:
        return (
            f"Showing the newest {DISPLAY_LIMIT:,} matching entries; there are more: "
            "narrow the filters or download the CSV."
        )
    return f"{len(frame):,} matching {'entry' if len(frame) == 1 else 'entries'}, newest first."


DAYS_NOTE = "Dates are UTC days, as in the CSV."
"""The date filter selects whole UTC days (`at_utc`), for the page and its CSV alike; the grid shows times
in the configured zone, so the filter says which days it means."""


def filter_bar(filters: AuditFilters, actions: list[str]) -> dbc.Row:
    if filters.action and filters.action not in actions:
        actions = [*actions, filters.action]
    return dbc.Row(
        [
            dbc.Col(dbc.Input(id="admin-audit-actor", value=filters.actor or "", placeholder="Actor"), md=2),
            dbc.Col(
                dcc.Dropdown(
                    id="admin-audit-action",
                    options=[{"label": action.replace("_", " "), "value": action} for action in actions],
                    value=filters.action,
                    placeholder="Any action",
                ),
                md=2,
            ),
            dbc.Col(
                dbc.Input(id="admin-audit-target", value=filters.target or "", placeholder="Target: account or user"),
                md=2,
            ),
            dbc.Col(
                [
                    dcc.DatePickerRange(
                        id="admin-audit-dates",
                        start_date=filters.start.isoformat() if filters.start else None,
                        end_date=filters.end.isoformat() if filters.end else None,
                        display_format="YYYY-MM-DD",
                        clearable=True,
                    ),
                    html.Small(DAYS_NOTE, className="text-muted ms-2", id="admin-audit-days"),
                ],
                width="auto",
            ),
            dbc.Col(
                [
                    dbc.Button("Apply", id="admin-audit-apply", color="primary", size="sm", className="me-2"),
                    dcc.Link("Clear", href=ADMIN_AUDIT, className="small"),
                ],
                width="auto",
            ),
        ],
        className="g-2 mb-3 align-items-center",
    )


def download(filters: AuditFilters) -> html.Span | None:
    """The log as CSV and as a workbook; None for a role without exports: a link that answers 403 is worse
    than no link."""
    if refusal("audit_log"):
        return None
    return html.Span(
        [
            html.A(
                f"Download {file_type.upper()}",
                href=export_href("audit_log", filters.query(), file_type),
                className="btn btn-outline-primary btn-sm",
                id="admin-audit-download" if file_type == "csv" else f"admin-audit-download-{file_type}",
            )
            for file_type in FILE_TYPES
        ],
        className="d-inline-flex gap-1",
    )


def audit_grid(frame: pd.DataFrame, zone: ZoneInfo):
    """Rows keyed by entry id as text (AG Grid wants string ids, and its expressions cannot call String()),
    their times in the configured zone, which the column's header names."""
    columns = [{**c, "headerName": headed(c["headerName"], zone)} if c["field"] == "at_utc" else c for c in COLUMNS]
    return grid(
        GRID_ID,
        columns,
        rows=frame.assign(row_id=frame["entry_id"].astype(str), at_utc=wall_column(frame["at_utc"], zone)),
        row_id="row_id",
        column={"flex": 1, "minWidth": 110},
        page_size=100,
        options={"pagination": True, "tooltipShowDelay": 300},
        height=560,
    )


def layout(**query):
    filters, problem = read_filters(clean_query(query))
    users = store()
    frame = audit_frame(users, filters, limit=DISPLAY_LIMIT + 1)
    children = [
        dcc.Location(id="admin-audit-nav", refresh="callback-nav"),
        html.H2("Audit log", className="h4 mb-1"),
        alerts_banner(current_warehouse()),
        html.P(
            "Sign-ins, user changes, views of customer details and exports. Entries cannot be edited or deleted.",
            className="text-muted",
        ),
        filter_bar(filters, users.audit_actions()),
    ]
    if problem:
        children.append(
            dbc.Alert(f"{problem}; showing the whole log instead.", color="warning", id="admin-audit-problem")
        )
    children += [
        html.Div(
            [html.Strong(count_text(frame), id=COUNT_ID), download(filters)],
            className="d-flex justify-content-between align-items-center mb-2",
        ),
        audit_grid(frame.head(DISPLAY_LIMIT), current_settings().zone),
    ]
    return html.Div(children)


@dash.callback(
    Output("admin-audit-nav", "href"),
    Input("admin-audit-apply", "n_clicks"),
    Input("admin-audit-actor", "n_submit"),
    Input("admin-audit-target", "n_submit"),
    State("admin-audit-actor", "value"),
    State("admin-audit-action", "value"),
    State("admin-audit-target", "value"),
    State("admin-audit-dates", "start_date"),
    State("admin-audit-dates", "end_date"),
    prevent_initial_call=True,
)
@requires(Permission.VIEW_AUDIT)
def apply_filters(_clicks, _actor_enter, _target_enter, who, action, target, start, end):
    """Apply (or Enter in a text box) puts the filters into the URL, which redraws the page with them."""
    args = {"actor": who, "action": action, "target": target, "start": (start or "")[:10], "end": (end or "")[:10]}
    chosen = {name: value.strip() for name, value in args.items() if value and value.strip()}
    return f"{ADMIN_AUDIT}?{urlencode(chosen)}" if chosen else ADMIN_AUDIT
