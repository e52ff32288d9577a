"""Users, for admins: who may sign in, with which roles, and the way to add, change, disable and reset them.

Every change goes through `UserStore`, which checks it (names, roles, password length, never the
last active admin) and writes the audit entry in the same transaction; this page only collects the
input and shows the store's one-line answer. Passwords travel from an input to the store and no
further: they are never in the grid, the URL or a browser store, and the inputs are emptied after
a change. A generated password is shown once, in the message of the action that set it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.guard import actor, remote_addr, requires
from dashboard.auth.roles import ROLES, Permission, UnknownRole
from dashboard.auth.store import UserError, UserStore, check_password
from dashboard.auth.web import store
from dashboard.data.clock import headed, shown, wall_column
from dashboard.web.alert_views import alerts_banner
from dashboard.web.grids import grid, records
from dashboard.web.layout import ADMIN_MENU, current_settings, current_warehouse, register_page
from dashboard.web.urls import ADMIN_USERS

register_page(__name__, ADMIN_USERS, "Users", 8, Permission.MANAGE_USERS, menu=ADMIN_MENU)

GRID_ID = "admin-users-grid"
SELECT_ID = "admin-users-selected"
STATUS_ID = "admin-users-selected-status"
ADD_RESULT_ID = "admin-users-add-result"
CHANGE_RESULT_ID = "admin-users-change-result"
ADD = "admin-users-add"
RESET = "admin-users-reset"
"""Prefixes of the two password forms: `<prefix>-mode`, `-password`, `-repeat`."""
TYPED, GENERATE = "typed", "generate"
ROLE_OPTIONS = [{"label": role, "value": role} for role in ROLES]

COLUMNS = [
    {"field": "name", "headerName": "User", "filter": "agTextColumnFilter", "pinned": "left"},
    {
        "field": "roles",
        "headerName": "Roles",
        "filter": "agTextColumnFilter",
        "valueFormatter": {"function": "params.value ? params.value.split(',').join(', ') : ''"},
    },
    {"field": "active", "headerName": "Active", "maxWidth": 110},
    {"field": "locked_until", "headerName": "Locked until"},
    {"field": "created_at", "headerName": "Created"},
    {"field": "updated_at", "headerName": "Updated"},
]
TIME_FIELDS = ("locked_until", "created_at", "updated_at")
"""Instants the store keeps in UTC, shown in the configured zone."""

manage = requires(Permission.MANAGE_USERS)


def _new_password(input_id: str, placeholder: str) -> dbc.Input:
    return dbc.Input(
        id=input_id, type="password", placeholder=placeholder, autoComplete="new-password", className="mb-2"
    )


def user_rows(users: UserStore) -> list[dict]:
    """The grid's rows: the store's listing, which carries no password hash or session token, its times in
    the configured zone."""
    listed, zone = users.list(), current_settings().zone
    return records(listed.assign(**{name: wall_column(listed[name], zone) for name in TIME_FIELDS}))


def user_options(users: UserStore) -> list[dict]:
    return [{"label": name, "value": name} for name in users.list()["name"]]


def users_grid(rows: list[dict]):
    column, zone = {"flex": 1, "minWidth": 120}, current_settings().zone
    columns = [{**c, "headerName": headed(c["headerName"], zone)} if c["field"] in TIME_FIELDS else c for c in COLUMNS]
    return grid(GRID_ID, columns, rows=rows, row_id="name", column=column, height=460, fit=110, clickable=True)


def done(message) -> dbc.Alert:
    return dbc.Alert(message, color="success", className="py-2 mb-0")


def failed(error: Exception) -> dbc.Alert:
    """The store's reason in one line: the admin needs to know what to fix, never how the server failed."""
    reason = (str(error).strip().splitlines() or ["the change could not be made"])[0]
    return dbc.Alert(f"Not done: {reason}", color="danger", className="py-2 mb-0")


def chosen_password(mode: str | None, password: str | None, repeat: str | None) -> tuple[str, bool]:
    """The password to set and whether it was generated; a typed one must be typed the same twice."""
    if mode == GENERATE:
        return secrets.token_urlsafe(12), True
    if (password or "") != (repeat or ""):
        raise UserError("the two passwords differ; type the same password twice")
    return check_password(password or ""), False


def generated_note(password: str, generated: bool) -> list:
    """The one and only showing of a generated password, for the admin to hand over."""
    if not generated:
        return []
    return [
        " Their password is ",
        html.Code(password, id="admin-users-generated", className="user-select-all"),
        " (shown once: give it to them over a safe channel).",
    ]


def password_form(prefix: str, submit: str) -> html.Div:
    return html.Div(
        [
            dbc.RadioItems(
                id=f"{prefix}-mode",
                options=[
                    {"label": "Type a password", "value": TYPED},
                    {"label": "Generate a password", "value": GENERATE},
                ],
                value=TYPED,
                inline=True,
                className="mb-2",
            ),
            _new_password(f"{prefix}-password", "Password (at least 10 characters)"),
            _new_password(f"{prefix}-repeat", "Repeat the password"),
            dbc.Button(submit, id=f"{prefix}-submit", color="primary", size="sm"),
        ]
    )


def add_card() -> dbc.Card:
    body = [
        dbc.Label("User name", html_for=f"{ADD}-name"),
        dbc.Input(id=f"{ADD}-name", placeholder="e.g. jane.doe", autoComplete="off", className="mb-2"),
        dbc.Label("Roles", html_for=f"{ADD}-roles"),
        dcc.Dropdown(id=f"{ADD}-roles", options=ROLE_OPTIONS, multi=True, placeholder="Roles", className="mb-2"),
        password_form(ADD, "Add user"),
        html.Div(id=ADD_RESULT_ID, className="mt-2"),
    ]
    return dbc.Card([dbc.CardHeader(html.H3("Add a user", className="h6 mb-0")), dbc.CardBody(body)], className="mb-3")


def change_card(options: list[dict]) -> dbc.Card:
    body = [
        dbc.Label("User (or click a row of the table)", html_for=SELECT_ID),
        dcc.Dropdown(id=SELECT_ID, options=options, placeholder="Pick a user", className="mb-1"),
        html.Small(id=STATUS_ID, className="text-muted d-block mb-3"),
        dbc.Label("Roles", html_for="admin-users-roles"),
        dbc.InputGroup(
            [
                html.Div(
                    dcc.Dropdown(id="admin-users-roles", options=ROLE_OPTIONS, multi=True, placeholder="Roles"),
                    className="flex-grow-1",
                ),
                dbc.Button("Set roles", id="admin-users-roles-submit", color="primary", size="sm"),
            ],
            className="mb-3 flex-nowrap",
        ),
        html.Div(
            [
                dbc.Button("Disable", id="admin-users-disable", color="warning", size="sm", className="me-2"),
                dbc.Button("Enable", id="admin-users-enable", color="success", outline=True, size="sm"),
            ],
            className="mb-3",
        ),
        dbc.Label("Reset the password"),
        password_form(RESET, "Reset password"),
        html.Div(id=CHANGE_RESULT_ID, className="mt-2"),
    ]
    return dbc.Card(
        [dbc.CardHeader(html.H3("Change a user", className="h6 mb-0")), dbc.CardBody(body)], className="mb-3"
    )


def layout(**_query):
    users = store()
    rows = user_rows(users)
    note = html.Small(
        "Changing roles, disabling a user or resetting a password ends that user's sessions. "
        "Every change is written to the audit log.",
        className="text-muted",
    )
    return html.Div(
        [
            html.H2("Users", className="h4 mb-1"),
            alerts_banner(current_warehouse()),
            html.P("Who may sign in, and what their roles let them see and do.", className="text-muted"),
            dbc.Card([dbc.CardBody([users_grid(rows), note])], className="mb-3 shadow-sm"),
            dbc.Row(
                [dbc.Col(add_card(), lg=5), dbc.Col(change_card(user_options(users)), lg=7)],
                className="g-3",
            ),
        ]
    )


@dash.callback(
    Output(ADD_RESULT_ID, "children"),
    Output(GRID_ID, "rowData", allow_duplicate=True),
    Output(SELECT_ID, "options"),
    Output(f"{ADD}-password", "value"),
    Output(f"{ADD}-repeat", "value"),
    Input(f"{ADD}-submit", "n_clicks"),
    State(f"{ADD}-name", "value"),
    State(f"{ADD}-roles", "value"),
    State(f"{ADD}-mode", "value"),
    State(f"{ADD}-password", "value"),
    State(f"{ADD}-repeat", "value"),
    prevent_initial_call=True,
)
@manage
def add_user(_clicks, name, roles, mode, password, repeat):
    """Add a user; on success the grid and the user picker show them and the password inputs are emptied."""
    users = store()
    try:
        secret, generated = chosen_password(mode, password, repeat)
        user = users.add(name or "", roles or [], secret, actor=actor(), remote_addr=remote_addr())
    except (UserError, UnknownRole) as error:
        return failed(error), dash.no_update, dash.no_update, dash.no_update, dash.no_update
    message = done([f"Added {user.name} ({', '.join(user.roles)}).", *generated_note(secret, generated)])
    return message, user_rows(users), user_options(users), "", ""


def _selected(name: str | None) -> str:
    if not name:
        raise UserError("pick a user first")
    return name


@dash.callback(
    Output(CHANGE_RESULT_ID, "children", allow_duplicate=True),
    Output(GRID_ID, "rowData", allow_duplicate=True),
    Input("admin-users-roles-submit", "n_clicks"),
    State(SELECT_ID, "value"),
    State("admin-users-roles", "value"),
    prevent_initial_call=True,
)
@manage
def set_roles(_clicks, name, roles):
    users = store()
    try:
        users.set_roles(_selected(name), roles or [], actor=actor(), remote_addr=remote_addr())
    except (UserError, UnknownRole) as error:
        return failed(error), dash.no_update
    return done(f"{name} now has the roles {', '.join(users.get(name).roles)}."), user_rows(users)


def _set_active(name: str | None, active: bool) -> tuple:
    users = store()
    try:
        users.set_active(_selected(name), active, actor=actor(), remote_addr=remote_addr())
    except UserError as error:
        return failed(error), dash.no_update
    state = "enabled: they can sign in again" if active else "disabled: they cannot sign in"
    return done(f"{name} is {state}."), user_rows(users)


def _switch(button: str, active: bool):
    """The callback of a button that disables or enables the chosen user."""

    @dash.callback(
        Output(CHANGE_RESULT_ID, "children", allow_duplicate=True),
        Output(GRID_ID, "rowData", allow_duplicate=True),
        Input(button, "n_clicks"),
        State(SELECT_ID, "value"),
        prevent_initial_call=True,
    )
    @manage
    def switch(_clicks, name):
        return _set_active(name, active)

    return switch


disable_user = _switch("admin-users-disable", False)
enable_user = _switch("admin-users-enable", True)
"""Enabling also clears a lockout, so it is the way to let a locked-out user in before the lock ends."""


@dash.callback(
    Output(CHANGE_RESULT_ID, "children", allow_duplicate=True),
    Output(GRID_ID, "rowData", allow_duplicate=True),
    Output(f"{RESET}-password", "value"),
    Output(f"{RESET}-repeat", "value"),
    Input(f"{RESET}-submit", "n_clicks"),
    State(SELECT_ID, "value"),
    State(f"{RESET}-mode", "value"),
    State(f"{RESET}-password", "value"),
    State(f"{RESET}-repeat", "value"),
    prevent_initial_call=True,
)
@manage
def reset_password(_clicks, name, mode, password, repeat):
    users = store()
    try:
        secret, generated = chosen_password(mode, password, repeat)
        users.set_password(_selected(name), secret, actor=actor(), remote_addr=remote_addr())
    except UserError as error:
        return failed(error), dash.no_update, dash.no_update, dash.no_update
    message = done([f"Reset the password of {name}.", *generated_note(secret, generated)])
    return message, user_rows(users), "", ""


@dash.callback(
    Output(SELECT_ID, "value"),
    Input(GRID_ID, "cellClicked"),
    prevent_initial_call=True,
)
@manage
def pick_from_grid(cell):
    """A click on a row picks that user for the change form (the row id is the user name)."""
    name = (cell or {}).get("rowId")
    return name or dash.no_update


@dash.callback(
    Output("admin-users-roles", "value"),
    Output(STATUS_ID, "children"),
    Input(SELECT_ID, "value"),
    Input(GRID_ID, "rowData"),
)
@manage
def show_selected(name, _rows):
    """The picked user's current roles and state, read again whenever the grid is refreshed by a change."""
    user = store().get(name) if name else None
    if user is None:
        return [], ""
    state = "active" if user.active else "disabled"
    still_locked = user.locked_until and user.locked_until > datetime.now(UTC).replace(tzinfo=None)
    locked = f", locked until {shown(user.locked_until, current_settings().zone)}" if still_locked else ""
    return list(user.roles), f"{user.name}: {state}{locked}"


def typed_password_disabled(mode: str | None) -> tuple[bool, bool]:
    """The typed-password inputs are off while a generated password is chosen, so nothing typed is ignored."""
    off = mode == GENERATE
    return off, off


for _prefix in (ADD, RESET):
    dash.callback(
        Output(f"{_prefix}-password", "disabled"),
        Output(f"{_prefix}-repeat", "disabled"),
        Input(f"{_prefix}-mode", "value"),
    )(manage(typed_password_disabled))
