"""One account, for support: the web user record and its flags, its recovery attempts, its activity.

Registered with a path template, so `/accounts` stays the list and `/accounts/<n>` opens an account
(Dash matches a template only when the path has the extra segment). Email and username are masked
as the query layer returns them by default; a role allowed to see them (support, admin) gets them
unmasked, and each such view is written to the audit log (CPNI: who saw which customer).
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlencode
from zoneinfo import ZoneInfo

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from dashboard.auth.guard import actor, can, remote_addr
from dashboard.auth.roles import Permission
from dashboard.auth.web import store as users
from dashboard.charts.common import LABELS, OUTCOME_TEXT_COLORS
from dashboard.charts.timeline import timeline_figure
from dashboard.data.account_list import account_warnings
from dashboard.data.clock import headed, shown_wall, times_in
from dashboard.data.slices import yes_no
from dashboard.data.view import VIEW_PARAMETERS, Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web.grids import grid
from dashboard.web.layout import GRAPH_CONFIG, chart_card, current_settings, download_link, page, register_page
from dashboard.web.urls import ACCOUNT, ACCOUNTS, clean_query
from portal.vocabulary import OUTCOMES, RECOVERY_STEPS, UNKNOWN_SEGMENT


def _title(account_number: str | None = None, **_query) -> str:
    return f"Account {unquote(account_number or '')} · Billing portal analytics"


# not in the navbar: an account is opened from the list, a table or a chart
register_page(
    __name__,
    ACCOUNT,
    "Account",
    None,
    Permission.VIEW_ACCOUNTS,
    title=_title,
    description="One billing account's web user record, recovery attempts and activity.",
)

BACK_ID = "account-back"
LAST_LIST_ID = "account-list-search"
"""The account list writes its last query string here (session storage); the back link returns to it."""


def _when(value, zone: ZoneInfo) -> str:
    """A source time (wall-clock in the configured zone) as shown, the zone named; a dash for none."""
    if value is None or pd.isna(value):
        return "—"
    return shown_wall(pd.Timestamp(value).to_pydatetime(), zone)


def back_href(query: dict[str, str]) -> str:
    """The list with the view's query string when the page was opened with one.

    In the browser, the list the user last looked at (its slice included, kept in session storage by
    the list page) replaces it.
    """
    view = {k: v for k, v in query.items() if k in VIEW_PARAMETERS}
    return f"{ACCOUNTS}?{urlencode(view)}" if view else ACCOUNTS


def _badge(text: str, colour: str, **kwargs) -> dbc.Badge:
    """A badge whose text reads on its colour: dark on yellow, where white gives 1.6:1 (WCAG asks 4.5)."""
    return dbc.Badge(text, color=colour, text_color="dark" if colour == "warning" else None, **kwargs)


def _flag(value, yes: str = "success", no: str = "secondary") -> dbc.Badge:
    answer = yes_no(value)
    return _badge(answer, yes if answer == "yes" else no, className="fw-normal")


def _status_badge(status: str | None) -> dbc.Badge:
    colour = {"valid": "success", "placeholder": "danger", "missing": "secondary", "invalid": "warning"}.get(
        status or "", "secondary"
    )
    return _badge(status or "unknown", colour, className="fw-normal")


def status_card(status: dict, zone: ZoneInfo) -> dbc.Card:
    """Where the account stands now, first thing a support person reads: locked or not, in words."""
    locked = status["locked_now"]
    badge = dbc.Badge(
        "Locked now" if locked else "Not locked",
        color="danger" if locked else "success",
        className="fs-6 fw-normal",
        id="account-locked-now",
    )
    recovery = status["last_recovery"]
    if recovery is None:
        last_recovery = "none on record"
    else:
        reason = recovery.get("failure_reason")
        ended = recovery["outcome"] + (f" ({LABELS.get(reason, reason).lower()})" if isinstance(reason, str) else "")
        last_recovery = f"{ended}, started {_when(recovery['started_at'], zone)}"
    fields = [
        ("Last lockout", _when(status["last_lockout"], zone)),
        ("Last failed login", _when(status["last_failed_login"], zone)),
        ("Last successful login", _when(status["last_login"], zone)),
        ("Last recovery attempt", last_recovery),
    ]
    items = []
    for label, value in fields:
        items += [html.Dt(label, className="col-sm-5 fw-normal text-muted"), html.Dd(value, className="col-sm-7 mb-1")]
    note = "Locked now: the last lockout on record is later than the last unlock, password reset and successful login."
    return dbc.Card(
        [
            dbc.CardHeader(html.Div([html.H3("Now", className="h6 mb-0"), badge], className="d-flex gap-2")),
            dbc.CardBody(
                [html.Dl(items, className="row mb-1", id="account-status"), html.Small(note, className="text-muted")]
            ),
        ],
        className="mb-3 shadow-sm",
    )


def record_card(record: dict, zone: ZoneInfo, unmasked: bool = False) -> dbc.Card:
    """The web user record: identity, flags, and when it was created, enrolled and last used."""
    shown = "" if unmasked else " (masked)"
    fields = [
        ("Account number", html.Code(record["account_number"])),
        ("Segment", record.get("segment") or UNKNOWN_SEGMENT),
        ("Portal access", _flag(record.get("portal_access"))),
        (f"Email{shown}", html.Span(record.get("email") or "—", id="account-email")),
        ("Email status", _status_badge(record.get("email_status"))),
        (f"Username{shown}", html.Span(record.get("username") or "—", id="account-username")),
        ("Username is an email", _flag(record.get("username_is_email"), no="warning")),
        ("Created", _when(record.get("created_at"), zone)),
        ("Enrolled", _when(record.get("enrolled_at"), zone)),
        ("Last login", _when(record.get("last_login_at"), zone)),
    ]
    items = []
    for label, value in fields:
        items += [html.Dt(label, className="col-sm-5 fw-normal text-muted"), html.Dd(value, className="col-sm-7 mb-1")]
    warnings = [dbc.Alert(text, color="warning", className="py-2 mb-2") for text in account_warnings(record)]
    return dbc.Card(
        [
            dbc.CardHeader(html.H3("Web user record", className="h6 mb-0")),
            dbc.CardBody([*warnings, html.Dl(items, className="row mb-0", id="account-record")]),
        ],
        className="mb-3 shadow-sm",
    )


MINUTE = {"function": "params.value ? params.value.slice(0, 16) : ''"}

ATTEMPT_COLUMNS = [
    {
        "field": "started_at",
        "headerName": "Started",
        "sort": "desc",
        "filter": "agTextColumnFilter",
        "valueFormatter": MINUTE,
        "tooltipField": "started_at",
        "minWidth": 150,
    },
    {
        "field": "ended_at",
        "headerName": "Ended",
        "filter": "agTextColumnFilter",
        "valueFormatter": MINUTE,
        "tooltipField": "ended_at",
        "minWidth": 150,
    },
    {
        "field": "outcome",
        "headerName": "Outcome",
        "filter": "agTextColumnFilter",
        "minWidth": 115,
        "cellStyle": {
            "styleConditions": [
                {
                    "condition": f"params.value == '{name}'",
                    "style": {"color": OUTCOME_TEXT_COLORS[name], "fontWeight": "600"},
                }
                for name in OUTCOMES
            ]
        },
    },
    {
        "field": "failure_reason",
        "headerName": "Failure reason",
        "filter": "agTextColumnFilter",
        "valueFormatter": {"function": "params.value ? params.value.replaceAll('_', ' ') : ''"},
        "tooltipField": "failure_reason",
        "minWidth": 170,
    },
    {
        "field": "furthest_step",
        "headerName": "Steps reached",
        "filter": "agNumberColumnFilter",
        "valueFormatter": {
            "function": f"params.value == null ? '' : "
            f"(params.value + 1) + ' of {len(RECOVERY_STEPS)}: ' + {json.dumps(list(RECOVERY_STEPS))}[params.value]"
        },
        "minWidth": 160,
    },
    {
        "field": "events",
        "headerName": "Events",
        "filter": "agNumberColumnFilter",
        "type": "numericColumn",
        "minWidth": 95,
        "maxWidth": 110,
    },
]

EVENT_COLUMNS = [
    {"field": "occurred_at", "headerName": "When", "sort": "desc", "filter": "agTextColumnFilter", "minWidth": 200},
    {
        "field": "event_type",
        "headerName": "Event",
        "filter": "agTextColumnFilter",
        "valueFormatter": {"function": "params.value ? params.value.replaceAll('_', ' ') : ''"},
        "minWidth": 190,
    },
    {"field": "source_event_type", "headerName": "Source type", "filter": "agTextColumnFilter"},
    {"field": "actor", "headerName": "Actor", "filter": "agTextColumnFilter", "maxWidth": 130},
    {"field": "channel", "headerName": "Channel", "filter": "agTextColumnFilter", "maxWidth": 130},
    {"field": "detail", "headerName": "Detail", "filter": "agTextColumnFilter", "flex": 2, "minWidth": 220},
]


def attempts_card(attempts: pd.DataFrame, number: str, filters: Filters, zone: ZoneInfo) -> dbc.Card:
    download = download_link("account_attempts", filters, "CSV", account=number)
    if attempts.empty:
        body = html.P("No forgot-password attempts on record for this account.", className="text-muted mb-0")
    else:
        body = grid("account-attempts", ATTEMPT_COLUMNS, rows=attempts, row_id="attempt_id", height=420, fit=100)
    return chart_card(
        f"Recovery attempts ({len(attempts):,})",
        html.Div(body, id="account-attempts-body"),
        download,
        note=f"Every attempt on record, newest first, {times_in(zone)}; steps are requested, code sent, "
        "code passed, question passed, reset.",
    )


def activity_cards(events: pd.DataFrame, number: str, filters: Filters, zone: ZoneInfo) -> list:
    """The range's activity drawn as a timeline, then listed; the list carries the events' one CSV link."""
    span = f"{filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}"
    timeline = dcc.Graph(
        id="account-timeline",
        figure=timeline_figure(events),
        config=GRAPH_CONFIG,
    )
    note = f"Colour shows the event family; {times_in(zone)}; the events are listed, with their CSV, below."
    cards = [chart_card(f"Activity timeline, {span}", timeline, note=note)]
    if events.empty:
        table = html.P("No events for this account in this range.", className="text-muted mb-0")
    else:
        columns = [
            {**c, "headerName": headed(c["headerName"], zone)} if c["field"] == "occurred_at" else c
            for c in EVENT_COLUMNS
        ]
        table = grid("account-events", columns, rows=events, row_id="event_id", height=460)
    download = download_link("activity", filters, "CSV", account=number)
    cards.append(
        chart_card(f"Events ({len(events):,}), newest first", html.Div(table, id="account-events-body"), download)
    )
    return cards


def body(number: str, query: dict[str, str]):
    def render(warehouse: Warehouse, filters: Filters):
        back = dcc.Link("← Back to the account list", href=back_href(query), id=BACK_ID)
        store = dcc.Store(id=LAST_LIST_ID, storage_type="session")
        unmasked = can(Permission.UNMASK)
        record = warehouse.account(number, unmasked=unmasked)
        if record is None:
            message = dbc.Alert(
                [html.Span(["No account ", html.Code(number), " in the warehouse. "]), back],
                color="warning",
                id="account-not-found",
            )
            return html.Div([store, message])
        if unmasked:
            users().audit(
                actor(), "account_viewed_unmasked", number, {"page": f"{ACCOUNTS}/{number}"}, remote_addr=remote_addr()
            )
        attempts = warehouse.attempts_of(number)
        events = warehouse.activity(number, filters, unmasked=unmasked)
        zone = current_settings().zone
        return html.Div(
            [
                store,
                html.Div(back, className="mb-3"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                status_card(warehouse.account_status(number), zone),
                                record_card(record, zone, unmasked),
                            ],
                            xl=4,
                        ),
                        dbc.Col(attempts_card(attempts, number, filters, zone), xl=8),
                    ]
                ),
                *activity_cards(events, number, filters, zone),
            ]
        )

    return render


dash.clientside_callback(
    f"""function (search) {{
        if (typeof search !== 'string' || !search.startsWith({json.dumps(ACCOUNTS)})) {{
            return window.dash_clientside.no_update;
        }}
        return search;
    }}""",
    Output(BACK_ID, "href"),
    Input(LAST_LIST_ID, "data"),
)


def layout(account_number: str | None = None, **query):
    number = unquote(account_number or "").strip()
    query = clean_query(query)
    return page(
        f"Account {number}",
        "The web user record, its flags, its forgot-password attempts and its activity, for support.",
        (),
        query,
        body(number, query),
        controls=("dates",),  # the range of the activity shown; an account has no periods, and one segment
        kept=False,  # each unmasked view is audited, so each is drawn
    )
