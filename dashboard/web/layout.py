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
from dashboard.charts.band import add_band
from dashboard.charts.figure_text import figure_table, summary
from dashboard.charts.over_time import RATE_TITLES, rate_figure
from dashboard.data import clock
from dashboard.data.datasets import FILE_TYPES
from dashboard.data.freshness import notices
from dashboard.data.ranges import PRESETS, matching_preset
from dashboard.data.view import GRAINS, Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web import page_cache
from dashboard.web.alert_views import alerts_banner
from dashboard.web.export import refusal
from dashboard.web.marking import MARK, marked, read_mark
from dashboard.web.urls import OVERVIEW, clean_query, export_href, slice_href
from portal.config import Config


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
PRESET_ID = "filter-preset"
"""The range presets: shown with the dates, whose parameters they write (`ranges.preset_range`)."""


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
                dcc.Dropdown(
                    id=PRESET_ID,
                    options=[{"label": label, "value": name} for name, label in PRESETS],
                    value=matching_preset(filters.start, filters.end, extent),
                    placeholder="Custom range",
                    clearable=False,
                    searchable=False,
                    style={"minWidth": "11rem"},
                ),
                width="auto",
            ),
            dbc.Col(
                dcc.DatePickerRange(
                    id=FILTER_CONTROLS["dates"].component_id,
                    start_date=filters.start.isoformat(),
                    end_date=filters.end.isoformat(),
                    min_date_allowed=min(low, filters.start).isoformat(),
                    max_date_allowed=max(high, filters.end).isoformat(),
                    display_format="YYYY-MM-DD",
                    updatemode="bothdates",  # one new URL per chosen range, not one per date clicked
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
    if "dates" not in controls:
        undeclared.add(PRESET_ID)
    bar.children = [
        part for part in bar.children if getattr(getattr(part, "children", None), "id", None) not in undeclared
    ]
    return bar


def _with_current(segments: list[str], current: str | None) -> list[str]:
    """A segment from a link that no account has stays selectable, so its empty view is shown as such."""
    return segments if current is None or current in segments else [*segments, current]


def export_link(dataset: str, filters: Filters) -> html.Span | None:
    """Page-wide buttons, as CSV and as a workbook, to a dataset that is the page as a whole (the quality
    report), for its view; a dataset a card shows has its links on the card instead. None for a role that
    may not take it."""
    if refusal(dataset):
        return None
    return html.Span(
        [
            html.A(
                f"Download {dataset}.{file_type}",
                href=export_href(dataset, filters.query(), file_type),
                className="btn btn-outline-primary btn-sm me-2 mb-2",
                id=f"export-{dataset}" if file_type == "csv" else f"export-{dataset}-{file_type}",
            )
            for file_type in FILE_TYPES
        ]
    )


REBUILD_NOTICE = "Figures are being rebuilt after an upgrade; those shown are from the last load."


def freshness(warehouse: Warehouse) -> html.Div:
    """When the data was loaded, in the configured zone; in words, every reason to doubt the figures (an
    old load, events lagging it, a failed last run: dashboard/data/freshness.py); and while an upgrade's
    rebuild is pending, that these figures predate it.

    Drawn for every view, outside the kept page (`page`): age grows with the clock, and a failed run
    makes no new load to key a kept page by."""
    settings = current_settings()
    state = warehouse.load_state()
    loaded = state.loaded_at
    text = f"Data last loaded {clock.shown(loaded, settings.zone)}" if loaded else "No data loaded yet"
    lines = [html.Small(text, className="text-muted", id="freshness")]
    warnings = notices(state, settings.freshness, settings.zone, clock.now())
    if warnings:
        lines.append(
            dbc.Alert(
                [html.Div(notice.text, id=f"freshness-{notice.kind}") for notice in warnings],
                color="warning",
                className="small py-2 px-3 mt-1 mb-0",
                id="freshness-warnings",
            )
        )
    if warehouse.rebuild_pending():
        lines.append(html.Small(REBUILD_NOTICE, className="d-block text-warning-emphasis", id="rebuild-notice"))
    return html.Div(lines)


def current_warehouse() -> Warehouse:
    from flask import current_app

    return Warehouse(current_app.config["PORTAL_WAREHOUSE_URL"])


def current_settings() -> Config:
    """The app's configuration: its zone is the one every time is shown in."""
    from flask import current_app

    return current_app.config["PORTAL_SETTINGS"]


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
    """The frame of every page: title, freshness, the open alerts' banner, filter bar, exports, then the
    page's own body, with the period of `?mark=` marked on its banded charts (dashboard/web/marking.py).

    `controls` are the filter bar's controls that act on the page (names of FILTER_CONTROLS); a page
    that no control acts on has no filter bar, and no warning about a bad view it does not read.

    All but the title, freshness and alerts banner is drawn once per view, permission set and load
    (dashboard/web/page_cache.py); those are drawn for every view, since the freshness warnings and
    the alerts change without a new load. The view is keyed as parsed, so `?grain=week` and the same view with
    its dates spelled out, as the filter bar writes it, are one drawing; a page whose body reads more
    of the query passes it as `drawn_for`. A page whose drawing does more than draw (an account page
    audits each unmasked view) is not `kept`.
    """
    warehouse = current_warehouse()
    filters, problem = Filters.read(query, warehouse.extent())
    mark, bad_mark = read_mark(query)

    def draw() -> html.Div:
        return marked(_framed(warehouse, purpose, datasets, controls, filters, problem, body), mark, bad_mark, filters)

    key = drawn_for if drawn_for is not None else {**filters.query(), "problem": problem or ""}
    key = {**key, MARK: query.get(MARK, "")} if MARK in query else key
    content = page_cache.drawn(warehouse, title, key, draw) if kept else draw()
    heading = html.Div(
        [html.H2(title, className="h4 mb-0"), freshness(warehouse), alerts_banner(warehouse)], className="mb-2"
    )
    return html.Div([heading, content])


def _framed(
    warehouse: Warehouse,
    purpose: str,
    datasets: tuple[str, ...],
    controls: tuple[str, ...],
    filters: Filters,
    problem: str | None,
    body,
) -> html.Div:
    children = [
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
) -> html.Span | None:
    """Links to the export of exactly what a chart or table shows, same function, same filters: the CSV,
    and beside it the same rows as an Excel workbook (ids `download` and `download-xlsx`).

    None for a role without exports: a link that answers 403 is worse than no link.
    """
    if refusal(dataset):
        return None
    query = {**filters.query(), **{k: v for k, v in extra.items() if v}}
    links = [
        html.A(
            [html.Span("⤓ ", **{"aria-hidden": "true"}), label if file_type == "csv" else label.replace("CSV", "XLSX")],
            href=export_href(dataset, query, file_type),
            className="btn btn-outline-secondary btn-sm text-nowrap",
            id={
                "type": "download" if file_type == "csv" else f"download-{file_type}",
                "dataset": dataset,
                **(id_extra or {}),
            },
            title=f"Download {dataset}.{file_type} for this view" + (" (Excel)" if file_type == "xlsx" else ""),
        )
        for file_type in FILE_TYPES
    ]
    return html.Span(links, className="d-inline-flex gap-1")


def chart_card(title: str, body, *downloads: html.A, note: str | None = None) -> dbc.Card:
    """A chart or table with its title, its CSV and XLSX downloads and an optional how-to-read note; on a
    narrow screen the downloads go under the title rather than squeeze it. A header without a download is
    as tall as one with, so cards side by side line up."""
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


def drill_graph(name: str, figure, *, clickable: bool = True) -> html.Figure:
    """A chart whose points carry their account slice; clicking one opens the filtered account list
    (its table view's links do the same from the keyboard)."""
    graph = dcc.Graph(
        id={"type": "drill", "chart": name},
        figure=figure,
        config=GRAPH_CONFIG,
        style={"cursor": "pointer"} if clickable else None,
    )
    return described(graph, figure, name)


def drill_chart(name: str, figure) -> html.Figure:
    """A drill-down graph; an empty state has nothing to click, so it gets no pointer cursor."""
    return drill_graph(name, figure, clickable=bool(figure.data))


def described(graph: dcc.Graph, figure, name: str, title: str | None = None) -> html.Figure:
    """A chart with its text alternative (the figure's caption, which screen readers announce) and a
    "Table" view of the same values, for every role that sees the chart: numbers to read or copy
    without a mouse, each linking to its accounts where a click on the chart would."""
    title = title or figure.layout.yaxis.title.text or "Chart"
    table = figure_table(figure)
    parts = [graph, html.Figcaption(summary(title, figure, table), className="visually-hidden", id=f"{name}-summary")]
    if table is not None:
        parts.append(
            html.Details(
                [html.Summary("Table", className="small text-body-secondary"), _values_table(table)],
                className="mt-1",
                id=f"{name}-table",
            )
        )
    return html.Figure(parts, className="m-0")


def _values_table(table) -> dbc.Table:
    linked = can(Permission.VIEW_ACCOUNTS)

    def cell(value) -> html.Td:
        if linked and value.drill:
            return html.Td(dcc.Link(value.text, href=slice_href(value.drill)), className="text-end")
        return html.Td(value.text, className="text-end")

    head = html.Thead(html.Tr([html.Th(table.key, scope="col")] + [html.Th(c, scope="col") for c in table.columns]))
    body = html.Tbody([html.Tr([html.Th(key, scope="row"), *[cell(v) for v in values]]) for key, values in table.rows])
    return dbc.Table([head, body], size="sm", striped=True, className="small mb-0", responsive=True)


RATE_NOTES = {
    "recovery_success_rate": "Attempts that succeeded, of the attempts started in each period.",
    "staff_share_of_resets": "Resets done by staff, of all resets (self-service and staff) in each period: the calls "
    "the portal did not absorb.",
    "lockouts_per_1000_enrolled": "Lockout events in each period per 1,000 accounts enrolled at its end: a count that "
    "grows with enrollment reads flat here unless lockouts grow faster.",
    "active_share_30d": "Accounts with a successful login in the 30 days up to each period's end, of the accounts "
    "enrolled then: how many of those who can use the portal do.",
}


BAND_NOTE = (
    " The shaded range is the usual one, from the 8 comparable periods before each (the same weekday at "
    "day grain); a triangle marks a whole period above or below it."
)


def rate_card(rates, column: str, filters: Filters, band=None) -> dbc.Card:
    """One support rate over the view's periods, with the rates CSV and, when given, its usual band
    (`Warehouse.band`); an open point is a partial period."""
    name, _, _, number = RATE_TITLES[column]
    figure = rate_figure(rates, column, filters)
    if band is not None:
        add_band(figure, band, filters, name, number)
    return chart_card(
        name,
        described(dcc.Graph(id=f"rate-{column}", figure=figure, config=GRAPH_CONFIG), figure, f"rate-{column}", name),
        download_link("rates", filters, id_extra={"chart": column}),
        note=RATE_NOTES[column]
        + " An open point is a period the range covers only in part."
        + (BAND_NOTE if band is not None else ""),
    )
