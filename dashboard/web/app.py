"""The Dash application: the shell, the pages, the URL-bound filter bar and the export routes."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html

from dashboard.auth import audit_owner, hardening, web
from dashboard.auth.guard import actor, can, guard_layout, remote_addr, requires
from dashboard.auth.roles import Permission
from dashboard.auth.store import ensure_admin
from dashboard.auth.web import store as users
from dashboard.data.ranges import preset_range
from dashboard.data.warehouse import FIND_LIMIT
from dashboard.web import export, grids, page_cache, plotly_bundle
from dashboard.web.grids import ACCOUNT_GRID, PAGED_GRID
from dashboard.web.layout import (
    FILTER_CONTROLS,
    FILTER_RENDERED_ID,
    FIND_ACCOUNT_ID,
    FIND_RESULT_ID,
    NAVBAR_COLLAPSE_ID,
    NAVBAR_TOGGLER_ID,
    PRESET_ID,
    FilterControl,
    current_warehouse,
    navbar,
    not_allowed,
)
from dashboard.web.urls import account_href, slice_href
from portal.config import Config, load_config
from portal.db import warehouse_engine

HERE = Path(__file__).resolve().parent


def create_app(config: Config | None = None) -> Dash:
    """Build the app for a configuration; the server's config carries the warehouse URL to routes."""
    config = config or load_config()
    audit_owner.require(warehouse_engine(config.warehouse.url), config.auth.audit_owner)  # before any Dash state
    app = Dash(
        "dashboard",  # page modules are then named as imported: dashboard.pages.<name>
        use_pages=True,
        pages_folder=str(HERE.parent / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Billing portal analytics",
        suppress_callback_exceptions=True,
        serve_locally=True,
        health_endpoint="health",
        enable_mcp=False,
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # screen readers pick the voice
    app.server.config["PORTAL_WAREHOUSE_URL"] = config.warehouse.url
    app.server.config["PORTAL_SETTINGS"] = config
    web.install(app.server, config)
    plotly_bundle.install(app.server)  # after the sign-in gate, which answers anonymous callers first
    hardening.install(app)
    page_cache.install(app.server)
    app.server.register_blueprint(export.blueprint)
    _guard_pages(app)
    app.layout = shell
    _register_filter_callbacks(app)
    _register_navbar_toggle(app)
    _register_drill_callbacks(app)
    _register_find_callback(app)
    grids.register_callbacks(app)
    _announce_admin(app)
    return app


def shell() -> html.Div:
    """The frame around every page, drawn per request so the navbar shows only what the user may open."""
    return html.Div(
        [
            dcc.Location(id="view-url", refresh="callback-nav"),
            dcc.Location(id="drill-nav", refresh="callback-nav"),
            dcc.Location(id="row-nav", refresh="callback-nav"),
            dcc.Location(id="find-nav", refresh="callback-nav"),
            navbar(),
            dbc.Container([html.Div(id=FIND_RESULT_ID), dash.page_container], fluid=True),
        ]
    )


def _guard_pages(app: Dash) -> None:
    """Each page renders only for roles its registered permission opens it to, however it is reached
    (typed URL or link); the sign-in gate finds a requested path's page in `PORTAL_PAGES`."""
    pages = {}
    for page in dash.page_registry.values():
        pages[page.get("path_template") or page["path"]] = page
        page["layout"] = guard_layout(page, page["layout"], not_allowed)
    app.server.config["PORTAL_PAGES"] = pages


def _register_navbar_toggle(app: Dash) -> None:
    """The menu button opens and closes the folded navbar of a narrow window, saying which it is to a screen
    reader; opening a page closes it, so the page is not left under the menu. In the browser: nothing to
    ask the server."""
    app.clientside_callback(
        f"""function (_presses, _path, open) {{
            const pressed = window.dash_clientside.callback_context.triggered_id === {NAVBAR_TOGGLER_ID!r};
            const now = pressed ? !open : false;
            return [now, String(now)];
        }}""",
        Output(NAVBAR_COLLAPSE_ID, "is_open"),
        Output(NAVBAR_TOGGLER_ID, "aria-expanded"),
        Input(NAVBAR_TOGGLER_ID, "n_clicks"),
        Input("view-url", "pathname"),
        State(NAVBAR_COLLAPSE_ID, "is_open"),
        prevent_initial_call=True,
    )


def _announce_admin(app: Dash) -> None:
    generated = ensure_admin(app.server.extensions["portal_users"], os.environ.get("PORTAL_ADMIN_PASSWORD"))
    if generated:
        print(
            f"Created the first admin user 'admin' with password: {generated}\n"
            "It is stored hashed and not shown again; change it on the Users page or with "
            "`python -m dashboard users reset-password admin`.",
            flush=True,
        )


def drill_href(click_data: dict | None) -> str | None:
    """The account list of a clicked point's slice, or None when the point carries none."""
    points = (click_data or {}).get("points") or []
    slice_query = points[0].get("customdata") if points else None
    if isinstance(slice_query, list):
        slice_query = slice_query[0] if slice_query else None
    return slice_href(slice_query) if isinstance(slice_query, str) and slice_query else None


def row_href(cell: dict | None) -> str | None:
    """The page of the account whose grid row was clicked."""
    row_id = (cell or {}).get("rowId")
    return account_href(row_id) if row_id else None


def _register_drill_callbacks(app: Dash) -> None:
    @app.callback(
        Output("drill-nav", "href"),
        Input({"type": "drill", "chart": ALL}, "clickData"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_ACCOUNTS)
    def open_slice(_clicks):
        """A click on a bar, point, funnel step or heatmap cell opens exactly its accounts."""
        href = drill_href(ctx.triggered[0]["value"]) if ctx.triggered else None
        return href or dash.no_update

    @app.callback(
        Output("row-nav", "href"),
        Input({"type": ACCOUNT_GRID, "name": ALL}, "cellClicked"),
        Input({"type": PAGED_GRID, "name": ALL}, "cellClicked"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_ACCOUNTS)
    def open_account(_cells, _paged_cells):
        """A click on a row of any account table opens that account; on the account number itself
        the link does it (and Ctrl-click must leave this tab where it is)."""
        cell = ctx.triggered[0]["value"] if ctx.triggered else None
        if (cell or {}).get("colId") == "account_number":
            return dash.no_update
        return row_href(cell) or dash.no_update


def _register_find_callback(app: Dash) -> None:
    @app.callback(
        Output("find-nav", "href"),
        Output(FIND_RESULT_ID, "children"),
        Input(FIND_ACCOUNT_ID, "n_submit"),
        State(FIND_ACCOUNT_ID, "value"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_ACCOUNTS)
    def find_account(_submitted, text):
        """One account found opens it; none or several say so. A lookup by email or username reads
        customers' details, so only a role that may see them makes one, and each is audited."""
        wanted = str(text or "").strip()[:FIND_LONGEST]
        if not wanted:
            return dash.no_update, None
        by_contact = can(Permission.UNMASK)
        found = current_warehouse().find_accounts(wanted, by_contact=by_contact)
        if by_contact and not (len(found) == 1 and found[0].upper() == wanted.upper()):
            detail = {"by": "email or username", "matches": len(found)}
            users().audit(actor(), "account_lookup", ", ".join(found), detail, remote_addr=remote_addr())
        if len(found) == 1:
            return account_href(found[0]), None
        return dash.no_update, find_result(wanted, found, by_contact)


def find_result(wanted: str, found: list[str], by_contact: bool) -> dbc.Alert:
    """What a lookup that opened nothing says: nothing found, or the accounts to choose from."""
    if not found:
        named = "account number, email or username" if by_contact else "account number"
        return dbc.Alert(f"No account has the {named} “{wanted}”.", color="warning", dismissable=True, id="find-none")
    more = " (the first ten)" if len(found) >= FIND_LIMIT else ""
    links = [dcc.Link(number, href=account_href(number)) for number in found]
    return dbc.Alert(
        [
            html.Div(f"{len(found)} accounts match “{wanted}”{more}:"),
            html.Div(links, className="d-flex flex-wrap gap-2"),
        ],
        color="info",
        dismissable=True,
        id="find-several",
    )


FIND_LONGEST = 320
"""The longest text a lookup reads (an email address is at most 320 characters)."""


def _register_filter_callbacks(app: Dash) -> None:
    """One callback per filter-bar control, each writing only its own query parameters: a page shows the
    controls that act on it, and Dash refuses to run a callback that has some of its inputs missing."""
    for control in FILTER_CONTROLS.values():
        _register_filter_callback(app, control)
    _register_preset_callback(app)


def _register_filter_callback(app: Dash, control: FilterControl) -> None:
    @app.callback(
        Output("view-url", "search", allow_duplicate=True),
        *(Input(control.component_id, prop) for prop in control.parameters),
        State("view-url", "search"),
        State(FILTER_RENDERED_ID, "data"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_CHARTS)
    def filters_to_url(*values):
        """Every filter change lands in the query string, so links, reloads and Back reproduce it.

        Other parameters (the other controls', a drill-down slice) stay as they are. A control settling
        on the view the page was drawn with (as the date picker does when it mounts) changes nothing,
        so loading a page adds no history entry.
        """
        *chosen, search, rendered = values
        names = control.parameters.values()
        params = {name: query_value(name, value) for name, value in zip(names, chosen, strict=True)}
        if rendered is not None and all(value == rendered.get(name) for name, value in params.items()):
            return dash.no_update
        return filter_search(search, params) or dash.no_update


def _register_preset_callback(app: Dash) -> None:
    @app.callback(
        Output("view-url", "search", allow_duplicate=True),
        Input(PRESET_ID, "value"),
        State("view-url", "search"),
        State(FILTER_RENDERED_ID, "data"),
        prevent_initial_call=True,
    )
    @requires(Permission.VIEW_CHARTS)
    def preset_to_url(preset, search, rendered):
        """A range preset writes the dates it stands for and lets the grain fit the new range; the picker
        settling on the range the page was drawn with changes nothing."""
        extent = current_warehouse().extent()
        if not preset or extent is None:
            return dash.no_update
        first, last = (day.isoformat() for day in preset_range(preset, extent))
        if rendered is not None and (rendered.get("start"), rendered.get("end")) == (first, last):
            return dash.no_update
        return filter_search(search, {"start": first, "end": last, "grain": None}) or dash.no_update


def query_value(parameter: str, value) -> str | None:
    """A control's value as the query string holds it: a day without a time, nothing as None."""
    if not value:
        return None
    return str(value)[:10] if parameter in ("start", "end") else str(value)


def filter_search(search: str | None, chosen: dict[str, str | None]) -> str | None:
    """The query string with these parameters set (None removes one); None when it would not change."""
    params = dict(parse_qsl((search or "").lstrip("?")))
    for key, value in chosen.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    new = "?" + urlencode(params)
    return None if new == (search or "?") else new
