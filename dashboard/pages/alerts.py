"""Alerts, for support leads and everyone who reads the charts: what the rules found, open and past, each
leading to its chart and its accounts; support and admin acknowledge an open one with a note.

Drawn for every request, not kept per load: an acknowledgement changes the page without a new load.
The alerts are read through dashboard/data/alert_list.py, which also writes acknowledgements with their
audit entry; this page collects the note and shows the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.guard import actor, can, remote_addr, requires
from dashboard.auth.roles import Permission
from dashboard.charts.palette import FAILURE_TEXT
from dashboard.data import clock
from dashboard.data.alert_list import (
    NOTE_LIMIT,
    STATES,
    AcknowledgementRefused,
    AlertFilters,
    ListedAlert,
    acknowledge,
    failed_deliveries,
    history,
    listed_alerts,
    rule_keys,
)
from dashboard.data.datasets import FILE_TYPES
from dashboard.data.params import BadParameter
from dashboard.web.alert_views import accounts_href, chart_href, describe, rule_words
from dashboard.web.export import refusal
from dashboard.web.layout import chart_card, current_settings, current_warehouse, page, register_page
from dashboard.web.urls import ALERTS, clean_query, export_href, with_query

register_page(__name__, ALERTS, "Alerts", 5.5, Permission.VIEW_CHARTS)

LIST_ID = "alerts-list"
PROBLEM_ID = "alerts-problem"
ACK_ALERT_ID = "alerts-ack-alert"
ACK_NOTE_ID = "alerts-ack-note"
ACK_SUBMIT_ID = "alerts-ack-submit"
ACK_RESULT_ID = "alerts-ack-result"
STATE_WORDS = {
    "open": "Open",
    "unacknowledged": "Open, not acknowledged",
    "acknowledged": "Acknowledged",
    "closed": "Closed",
}
CHANGE_WORDS = {
    "opened": "Opened",
    "still_outside": "Still outside",
    "closed": "Closed",
    "acknowledged": "Acknowledged",
}


def read_filters(query: Mapping[str, str]) -> tuple[AlertFilters, str | None]:
    """The page's filters, and the one-line reason when the query was bad (then every alert is listed)."""
    try:
        return AlertFilters.parse(query), None
    except BadParameter as error:
        return AlertFilters(), str(error)


def _choice_buttons(label: str, name: str, choices: list[tuple[str, str]], filters: AlertFilters) -> dbc.Col:
    """Links that set one filter (the other stays): the filters live in the URL, like every filter bar."""
    current = filters.query().get(name, "")
    buttons = [
        dcc.Link(
            text,
            href=with_query(
                ALERTS,
                {**filters.query(), name: value} if value else {k: v for k, v in filters.query().items() if k != name},
            ),
            className="btn btn-sm " + ("btn-secondary active" if current == value else "btn-outline-secondary"),
        )
        for value, text in (("", "Any"), *choices)
    ]
    return dbc.Col(
        [
            html.Div(label, className="small text-muted mb-1"),
            html.Div(
                buttons,
                className="btn-group flex-wrap",
                role="group",
                id=f"alerts-filter-{name}",
                **{"aria-label": label},
            ),
        ],
        width="auto",
    )


def filter_bar(filters: AlertFilters, rules: list[str]) -> dbc.Row:
    if filters.rule and filters.rule not in rules:
        rules = [*rules, filters.rule]
    return dbc.Row(
        [
            _choice_buttons("State", "state", [(s, STATE_WORDS[s]) for s in STATES], filters),
            _choice_buttons("Rule", "rule", [(r, rule_words(r)) for r in rules], filters),
        ],
        className="g-3 mb-3",
    )


def downloads(filters: AlertFilters) -> html.Span | None:
    """The alerts of this view as CSV and XLSX, for a role that may export (none carries customer data)."""
    if refusal("alerts"):
        return None
    return html.Span(
        [
            html.A(
                f"⤓ {file_type.upper()}",
                href=export_href("alerts", filters.query(), file_type),
                className="btn btn-outline-secondary btn-sm text-nowrap",
                id=f"alerts-download-{file_type}",
                title=f"Download alerts.{file_type} for this view",
            )
            for file_type in FILE_TYPES
        ],
        className="d-inline-flex gap-1",
    )


def _when(moment) -> str:
    return clock.shown(moment, current_settings().zone) if moment else ""


def state_cell(alert: ListedAlert) -> html.Td:
    if not alert.is_open:
        return html.Td(
            [
                html.Span("Closed", className="badge text-bg-secondary"),
                html.Div(alert.close_reason or "", className="small"),
            ]
        )
    if alert.acknowledged:
        return html.Td(
            [
                html.Span("Open, acknowledged", className="badge text-bg-info"),
                html.Div(f"by {alert.acknowledged_by}, {_when(alert.acknowledged_at)}", className="small"),
                html.Div(alert.note, className="small fst-italic"),
            ]
        )
    return html.Td(html.Span("Open", className="badge text-bg-warning"))


def history_details(entries: list[dict]) -> html.Details:
    items = [
        html.Li(
            [
                html.Strong(CHANGE_WORDS.get(e["change"], e["change"])),
                f" {_when(e['at'])}" + (f" by {e['actor']}" if e.get("actor") else "") + f": {e['detail']}",
            ]
        )
        for e in entries
    ]
    return html.Details(
        [html.Summary("History", className="small"), html.Ul(items, className="small mb-0")], className="fw-normal"
    )


def failed_delivery_note(alert_id: int, failures: list[dict]) -> html.Div | None:
    """Which messages of the alert never went out, in words and in the failure colour's text shade."""
    if not failures:
        return None
    said = [
        f"{f['channel'].split(':')[0]} ({'opening' if f['change'] == 'opened' else 'closing'}) failed after "
        f"{f['tries']} tries, last {_when(f['last_try_at'])}: {f['error']}"
        for f in failures
    ]
    return html.Div(
        "Not delivered: " + "; ".join(said) + ". Later checks try again.",
        className="small fw-normal",
        style={"color": FAILURE_TEXT},
        id={"type": "alert-delivery-failed", "alert": str(alert_id)},
    )


def alert_row(alert: ListedAlert, entries: list[dict], failures: list[dict] = ()) -> html.Tr:
    links = [dcc.Link("Chart", href=chart_href(alert), id={"type": "alert-chart", "alert": str(alert.alert_id)})]
    if (accounts := accounts_href(alert)) and can(Permission.VIEW_ACCOUNTS):
        links += [
            " · ",
            dcc.Link("Accounts", href=accounts, id={"type": "alert-accounts", "alert": str(alert.alert_id)}),
        ]
    return html.Tr(
        [
            # the links sit under the alert's own words, not in a last column: a phone's table scrolls
            # sideways, and the way to the chart and accounts must not be off its screen
            html.Th(
                [
                    describe(alert),
                    html.Div(f"Rule: {rule_words(alert.rule_key)}", className="small text-muted fw-normal"),
                    html.Div(links, className="fw-normal"),
                    failed_delivery_note(alert.alert_id, list(failures)),
                    history_details(entries),
                ],
                scope="row",
                style={"minWidth": "15rem"},
            ),
            state_cell(alert),
            html.Td(_when(alert.opened_at), className="small"),
            html.Td(_when(alert.closed_at), className="small"),
        ],
        id=f"alert-{alert.alert_id}",
    )


def listing(alerts: list[ListedAlert]) -> html.Div:
    """The alerts as a table, newest first; or, with none, why the page is empty."""
    if not alerts:
        return html.P(
            "No alert matches this view. The rules are judged after every load (python -m etl run) and by "
            "python -m dashboard alerts check.",
            className="text-muted",
            id="alerts-empty",
        )
    engine = current_warehouse().engine
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("Alert", "State", "Opened", "Closed")]))
    rows = [
        alert_row(alert, history(engine, alert.alert_id), failed_deliveries(engine, alert.alert_id)) for alert in alerts
    ]
    return dbc.Table(
        [head, html.Tbody(rows)], size="sm", striped=True, responsive=True, className="small mb-0", id="alerts-table"
    )


def acknowledgeable(alerts: list[ListedAlert]) -> list[dict]:
    return [
        {"label": f"#{a.alert_id} {describe(a)}", "value": a.alert_id}
        for a in alerts
        if a.is_open and not a.acknowledged
    ]


def acknowledge_card(alerts: list[ListedAlert]) -> dbc.Card:
    """The form support and admin acknowledge an open alert with; others never get it, and the server
    refuses them anyway (`acknowledge_alert`)."""
    body = [
        dbc.Label("Open alert", html_for=ACK_ALERT_ID),
        dcc.Dropdown(
            id=ACK_ALERT_ID, options=acknowledgeable(alerts), placeholder="Pick an open alert", className="mb-2"
        ),
        dbc.Label("Note (who is on it, or why it needs nothing)", html_for=ACK_NOTE_ID),
        dbc.Textarea(id=ACK_NOTE_ID, maxLength=NOTE_LIMIT, rows=2, className="mb-2"),
        dbc.Button("Acknowledge", id=ACK_SUBMIT_ID, color="primary", size="sm"),
        html.Div(id=ACK_RESULT_ID, className="mt-2", role="status"),
    ]
    note = html.Small(
        "An acknowledged alert stays open until its series is back inside the usual band; the acknowledgement "
        "is kept in its history and written to the audit log.",
        className="text-muted d-block mt-2",
    )
    return dbc.Card(
        [dbc.CardHeader(html.H3("Acknowledge an alert", className="h6 mb-0")), dbc.CardBody([*body, note])],
        className="mb-3 shadow-sm",
    )


def body(query: Mapping[str, str]):
    def render(warehouse, _filters):
        filters, problem = read_filters(query)
        children = []
        if problem:
            children.append(dbc.Alert(f"{problem}; showing every alert instead.", color="warning", id=PROBLEM_ID))
        alerts = listed_alerts(warehouse.engine, filters)
        children += [
            filter_bar(filters, rule_keys(warehouse.engine)),
            chart_card(f"Alerts ({len(alerts):,})", html.Div(listing(alerts), id=LIST_ID), downloads(filters)),
        ]
        if can(Permission.ACKNOWLEDGE_ALERTS):
            children.append(acknowledge_card(listed_alerts(warehouse.engine, AlertFilters(state="unacknowledged"))))
        return html.Div(children)

    return render


def layout(**query):
    query = clean_query(query)
    return page(
        "Alerts",
        "What the alert rules found outside the usual band, open and past: each leads to its chart, the period "
        "marked, and to the accounts behind it.",
        (),
        query,
        body(query),
        controls=(),  # the alerts have filters of their own, above the list
        drawn_for=query,
        kept=False,  # an acknowledgement changes the page without a new load
    )


@dash.callback(
    Output(ACK_RESULT_ID, "children"),
    Output(LIST_ID, "children"),
    Output(ACK_ALERT_ID, "options"),
    Output(ACK_NOTE_ID, "value"),
    Input(ACK_SUBMIT_ID, "n_clicks"),
    State(ACK_ALERT_ID, "value"),
    State(ACK_NOTE_ID, "value"),
    State("view-url", "search"),
    prevent_initial_call=True,
)
@requires(Permission.ACKNOWLEDGE_ALERTS)
def acknowledge_alert(_clicks, alert_id, note, search):
    """Acknowledge the picked alert with the note; the list and the picker show the change."""
    if alert_id is None:
        return _refused("pick an open alert first"), dash.no_update, dash.no_update, dash.no_update
    engine = current_warehouse().engine
    try:
        done = acknowledge(engine, int(alert_id), actor(), note or "", _utc_now(), remote_addr=remote_addr())
    except AcknowledgementRefused as error:
        return _refused(str(error)), dash.no_update, dash.no_update, dash.no_update
    filters, _ = read_filters(dict(parse_qsl((search or "").lstrip("?"))))
    message = dbc.Alert(f"Acknowledged: {describe(done)}.", color="success", className="py-2 mb-0")
    open_ones = listed_alerts(engine, AlertFilters(state="unacknowledged"))
    return message, listing(listed_alerts(engine, filters)), acknowledgeable(open_ones), ""


def _refused(reason: str) -> dbc.Alert:
    return dbc.Alert(f"Not acknowledged: {reason}", color="danger", className="py-2 mb-0")


def _utc_now():
    return clock.now().replace(tzinfo=None)
