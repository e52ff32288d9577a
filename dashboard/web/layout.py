"""Pieces every page shares: the navbar, the filter bar that lives in the URL, and export links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.auth.guard import actor, can, page_allowed
from dashboard.auth.roles import Permission
from dashboard.charts.over_time import RATE_TITLES, rate_figure
from dashboard.data.view import GRAINS, Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web import page_cache
from dashboard.web.export import refusal
from dashboard.web.urls import OVERVIEW, clean_query, export_href


def nav_pages() -> list[dict]:
    """The registered pages that belong in the navbar (those with an `order`), in that order."""
    listed = [page for page in dash.page_registry.values() if page.get("order") is not None]
    return sorted(listed, key=lambda page: page["order"])


ADMIN_MENU = "Admin"
"""The navbar dropdown of the pages that manage the dashboard itself (users, the audit log)."""
NAVBAR_TOGGLER_ID = "navbar-toggler"
NAVBAR_COLLAPSE_ID = "navbar-collapse"


def navbar() -> dbc.Navbar:
    """Links to the pages this user may open, who is signed in, and the way out, on one line on a desk's
    screen; below the `xl` breakpoint all of it folds behind a menu button (the app opens and closes it)."""
    toggler = html.Button(
        html.Span(className="navbar-toggler-icon"),
        id=NAVBAR_TOGGLER_ID,
        type="button",
        className="navbar-toggler",
        **{"aria-label": "Menu", "aria-controls": NAVBAR_COLLAPSE_ID, "aria-expanded": "false"},
    )
    return dbc.Navbar(
        dbc.Container(
            [
                # from 1200 px to 1400 the links need the brand's room; the page's own title names it
                dbc.NavbarBrand(PRODUCT, href=OVERVIEW, className="d-xl-none d-xxl-block"),
                toggler,
                dbc.Collapse(
                    [dbc.Nav(nav_items(), navbar=True), find_account_box(), signed_in_as()],
                    id=NAVBAR_COLLAPSE_ID,
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        expand="xl",
        className="mb-3",
    )


def nav_items() -> list:
    """A link per page this user may open, then a dropdown per `menu` pages were registered under (the
    admin pages under "Admin"): a user who may open none of a menu's pages does not get the menu."""
    by_menu: dict[str | None, list[dict]] = {}
    for page in nav_pages():
        if page_allowed(page):
            by_menu.setdefault(page.get("menu"), []).append(page)
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["path"], active="exact")) for page in by_menu.pop(None, [])
    ]
    menus = [
        dbc.DropdownMenu(
            [dbc.DropdownMenuItem(page["name"], href=page["path"]) for page in pages],
            label=menu,
            nav=True,
            in_navbar=True,
            align_end=True,
            id=f"{menu.lower()}-menu",
        )
        for menu, pages in by_menu.items()
    ]
    return links + menus


def signed_in_as() -> html.Div:
    """Who is signed in, and the sign-out button (a POST: see dashboard/auth/web.py). The roles are in the
    name's tooltip: spelled out, an analyst who is also support pushed the navbar onto a second line; a
    long name is cut short only when the line has no room for it (assets/layout.css)."""
    return html.Div(
        [
            html.Span(
                actor(),
                id="signed-in-as",
                title=f"Signed in as {actor()} ({', '.join(_roles())})",
                className="text-truncate",
            ),
            html.Form(
                html.Button(
                    "Sign out", type="submit", className="btn btn-outline-light btn-sm text-nowrap", id="sign-out"
                ),
                method="POST",
                action="/logout",
                className="m-0",
            ),
        ],
        className="navbar-who d-flex align-items-center gap-2 text-light ms-auto ps-xl-2",
    )


FIND_ACCOUNT_ID = "find-account"
FIND_RESULT_ID = "find-account-result"


def find_account_box() -> html.Div | None:
    """Where support types what a caller gives: an account number, or (for a role that may see
    customers' details) their email or username. Enter opens the account."""
    if not can(Permission.VIEW_ACCOUNTS):
        return None
    by_contact = can(Permission.UNMASK)
    label = "Find an account by account number, email or username" if by_contact else "Find an account by number"
    return html.Div(
        [
            html.Label(label, htmlFor=FIND_ACCOUNT_ID, className="visually-hidden"),
            dbc.Input(
                id=FIND_ACCOUNT_ID,
                type="search",
                placeholder="Account, email, username" if by_contact else "Account number",
                size="sm",
                autoComplete="off",
            ),
        ],
        title=label,
        className="navbar-find ms-xl-2 my-1",
    )


def _roles() -> tuple[str, ...]:
    from flask_login import current_user

    return tuple(getattr(current_user, "roles", ()) or ())


def not_allowed() -> dbc.Alert:
    """What a page shows to a role it is not open to (its data is never read)."""
    return dbc.Alert(
        [
            html.H2("Not allowed", className="h5"),
            html.P(f"You are signed in as {actor()}; your role does not open this page."),
            dcc.Link("Back to the overview", href=OVERVIEW),
        ],
        color="warning",
        id="not-allowed",
    )


class FilterControl(NamedTuple):
    """A control of the filter bar: its component, and which of its properties writes which query parameter."""

    component_id: str
    parameters: dict[str, str]


FILTER_CONTROLS: dict[str, FilterControl] = {
    "dates": FilterControl("filter-dates", {"start_date": "start", "end_date": "end"}),
    "grain": FilterControl("filter-grain", {"value": "grain"}),
    "segment": FilterControl("filter-segment", {"value": "segment"}),
}
EVERY_CONTROL = tuple(FILTER_CONTROLS)
"""The controls of a page whose figures the whole view cuts: range, grain and segment."""
FILTER_RENDERED_ID = "filter-rendered"
"""The view the page was drawn with, so controls settling on it when they mount write nothing."""


def filter_bar(
    filters: Filters, segments: list[str], extent: tuple[date, date] | None, controls: tuple[str, ...] = EVERY_CONTROL
) -> dbc.Row:
    """The view's controls a page declares (`controls`, names of FILTER_CONTROLS): only those that change
    what it draws, so none sits there doing nothing. The bar is written whole, then the controls the page
    does not declare are left out."""
    low, high = extent or (filters.start, filters.end)
    bar = dbc.Row(
        [
            dbc.Col(
                dcc.DatePickerRange(
                    id=FILTER_CONTROLS["dates"].component_id,
                    start_date=filters.start.isoformat(),
                    end_date=filters.end.isoformat(),
                    min_date_allowed=min(low, filters.start).isoformat(),
                    max_date_allowed=max(high, filters.end).isoformat(),
                    display_format="YYYY-MM-DD",
                ),
                width="auto",
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=FILTER_CONTROLS["grain"].component_id,
                    options=[{"label": g.title(), "value": g} for g in GRAINS],
                    value=filters.grain,
                    clearable=False,
                    style={"minWidth": "9rem"},
                ),
                width="auto",
            ),
            dbc.Col(
                dcc.Dropdown(
                    id=FILTER_CONTROLS["segment"].component_id,
                    options=[{"label": s, "value": s} for s in _with_current(segments, filters.segment)],
                    value=filters.segment,
                    placeholder="All segments",
                    style={"minWidth": "12rem"},
                ),
                width="auto",
            ),
            dcc.Store(id=FILTER_RENDERED_ID, data=filters.query()),
        ],
        className="g-2 mb-3 align-items-center",
    )
    undeclared = {control.component_id for name, control in FILTER_CONTROLS.items() if name not in controls}
    bar.children = [
        part for part in bar.children if getattr(getattr(part, "children", None), "id", None) not in undeclared
    ]
    return bar


def _with_current(segments: list[str], current: str | None) -> list[str]:
    """A segment from a link that no account has stays selectable, so its empty view is shown as such."""
    return segments if current is None or current in segments else [*segments, current]


def export_link(dataset: str, filters: Filters) -> html.A | None:
    """A page-wide button to a dataset that is the page as a whole (the quality report), for its view; a
    dataset a card shows has its link on the card instead. None for a role that may not take it."""
    if refusal(dataset):
        return None
    return html.A(
        f"Download {dataset}.csv",
        href=export_href(dataset, filters.query()),
        className="btn btn-outline-primary btn-sm me-2 mb-2",
        id=f"export-{dataset}",
    )


REBUILD_NOTICE = "Figures are being rebuilt after an upgrade; those shown are from the last load."


def freshness(warehouse: Warehouse) -> html.Div:
    """When the data was loaded, and while an upgrade's rebuild is pending, that these figures predate it."""
    loaded = warehouse.last_load()
    text = f"Data last loaded {loaded:%Y-%m-%d %H:%M}" if loaded else "No data loaded yet"
    lines = [html.Small(text, className="text-muted", id="freshness")]
    if warehouse.rebuild_pending():
        lines.append(html.Small(REBUILD_NOTICE, className="d-block text-warning-emphasis", id="rebuild-notice"))
    return html.Div(lines)


def current_warehouse() -> Warehouse:
    from flask import current_app

    return Warehouse(current_app.config["PORTAL_WAREHOUSE_URL"])


PRODUCT = "Billing portal analytics"


def register_page(
    module: str,
    path: str,
    name: str,
    order: int | None,
    permission: Permission,
    *,
    menu: str | None = None,
    **extra,
) -> None:
    """Register a page with Dash: its path, its navbar name and place (None: not in the navbar), and the
    permission that opens it, which the navbar, the page guard and the sign-in gate all read from here.
    `menu`: the navbar dropdown it is listed in (the admin pages', "Admin") instead of a link of its own.
    `warm=True`: its default view is drawn for every role after each load (dashboard/web/page_cache.py).

    Named as Dash's own: Dash imports only the page files whose text contains `register_page`."""
    extra.setdefault("title", f"{name} · {PRODUCT}")
    where = {"path_template": path} if "<" in path else {"path": path}
    dash.register_page(module, **where, name=name, order=order, permission=permission, menu=menu, **extra)


def page_layout(
    title: str, purpose: str, body, datasets: tuple[str, ...] = (), controls: tuple[str, ...] = EVERY_CONTROL
) -> Callable[..., html.Div]:
    """The layout of a page whose body draws the view: `body(warehouse, filters)` under the shared frame."""

    def layout(**query) -> html.Div:
        return page(title, purpose, datasets, clean_query(query), body, controls=controls)

    return layout


def page(
    title: str,
    purpose: str,
    datasets: tuple[str, ...],
    query: Mapping[str, str],
    body=None,
    *,
    controls: tuple[str, ...] = EVERY_CONTROL,
    drawn_for: Mapping[str, str] | None = None,
    kept: bool = True,
):
    """The frame of every page: title, freshness, filter bar, exports, then the page's own body.

    `controls` are the filter bar's controls that act on the page (names of FILTER_CONTROLS); a page
    that no control acts on has no filter bar, and no warning about a bad view it does not read.

    Drawn once per view, permission set and load (dashboard/web/page_cache.py). The view is keyed as
    parsed, so `?grain=week` and the same view with its dates spelled out, as the filter bar writes
    it, are one drawing; a page whose body reads more of the query passes it as `drawn_for`. A page
    whose drawing does more than draw (an account page audits each unmasked view) is not `kept`.
    """
    warehouse = current_warehouse()
    filters, problem = Filters.read(query, warehouse.extent())

    def draw() -> html.Div:
        return _framed(warehouse, title, purpose, datasets, controls, filters, problem, body)

    if not kept:
        return draw()
    key = drawn_for if drawn_for is not None else {**filters.query(), "problem": problem or ""}
    return page_cache.drawn(warehouse, title, key, draw)


def _framed(
    warehouse: Warehouse,
    title: str,
    purpose: str,
    datasets: tuple[str, ...],
    controls: tuple[str, ...],
    filters: Filters,
    problem: str | None,
    body,
) -> html.Div:
    children = [
        html.Div([html.H2(title, className="h4 mb-0"), freshness(warehouse)], className="mb-2"),
        html.P(purpose, className="text-muted"),
    ]
    if controls:
        children.append(filter_bar(filters, warehouse.segments(), warehouse.extent(), controls))
        if problem:
            children.append(dbc.Alert(f"{problem}; showing the default view instead.", color="warning"))
    if links := [link for name in datasets if (link := export_link(name, filters))]:
        children.append(html.Div(links))
    if body is not None:
        children.append(body(warehouse, filters))
    return html.Div(children)


def download_link(
    dataset: str, filters: Filters, label: str = "CSV", *, id_extra: dict | None = None, **extra: str
) -> html.A | None:
    """A link to the export of exactly what a chart or table shows: same function, same filters.

    None for a role without exports: a link that answers 403 is worse than no link.
    """
    if refusal(dataset):
        return None
    return html.A(
        [html.Span("⤓ ", **{"aria-hidden": "true"}), label],
        href=export_href(dataset, {**filters.query(), **{k: v for k, v in extra.items() if v}}),
        className="btn btn-outline-secondary btn-sm text-nowrap",
        id={"type": "download", "dataset": dataset, **(id_extra or {})},
        title=f"Download {dataset}.csv for this view",
    )


def chart_card(title: str, body, *downloads: html.A, note: str | None = None) -> dbc.Card:
    """A chart or table with its title, its CSV downloads and an optional how-to-read note; on a narrow
    screen the downloads go under the title rather than squeeze it. A header without a download is as tall
    as one with, so cards side by side line up."""
    header = html.Div(
        [html.H3(title, className="h6 mb-0"), html.Div([d for d in downloads if d], className="d-flex gap-1")],
        className="card-title-row d-flex flex-wrap gap-2 justify-content-between align-items-center",
    )
    children = [
        dbc.CardHeader(header),
        dbc.CardBody([body] + ([html.Small(note, className="text-muted")] if note else [])),
    ]
    return dbc.Card(children, className="mb-3 shadow-sm")


NO_CLOUD = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "sendData": False,
    "plotlyServerURL": "",
}
"""Nothing on a chart may leave the site: plotly.js 3 shows "Share chart..." by default, which uploads
the chart, its data and hover text included, to Plotly Cloud; its URL is blanked too, so no button
could reach it. The toolbar keeps PNG download, zoom, pan and reset."""
GRAPH_CONFIG = {
    **NO_CLOUD,
    "modeBarButtonsToRemove": [
        "lasso2d",
        "select2d",
        "sendChartToCloud",
        "sendDataToCloud",
        "editInChartStudio",
        "downloadJson",
    ],
}
"""The config of every chart with a toolbar."""
SPARKLINE_CONFIG = {**GRAPH_CONFIG, "displayModeBar": False}
"""A small chart without a toolbar, and without cloud buttons should one ever show."""


def drill_graph(name: str, figure, *, clickable: bool = True) -> dcc.Graph:
    """A chart whose points carry their account slice; clicking one opens the filtered account list."""
    return dcc.Graph(
        id={"type": "drill", "chart": name},
        figure=figure,
        config=GRAPH_CONFIG,
        style={"cursor": "pointer"} if clickable else None,
    )


def drill_chart(name: str, figure):
    """A drill-down graph; an empty state has nothing to click, so it gets no pointer cursor."""
    return drill_graph(name, figure, clickable=bool(figure.data))


RATE_NOTES = {
    "recovery_success_rate": "Attempts that succeeded, of the attempts started in each period.",
    "staff_share_of_resets": "Resets done by staff, of all resets (self-service and staff) in each period: the calls "
    "the portal did not absorb.",
    "lockouts_per_1000_enrolled": "Lockout events in each period per 1,000 accounts enrolled at its end: a count that "
    "grows with enrollment reads flat here unless lockouts grow faster.",
}


def rate_card(rates, column: str, filters: Filters) -> dbc.Card:
    """One support rate over the view's periods, with the rates CSV; an open point is a partial period."""
    return chart_card(
        RATE_TITLES[column][0],
        dcc.Graph(id=f"rate-{column}", figure=rate_figure(rates, column, filters), config=GRAPH_CONFIG),
        download_link("rates", filters, id_extra={"chart": column}),
        note=RATE_NOTES[column] + " An open point is a period the range covers only in part.",
    )
