"""Pieces every page shares: the navbar, the filter bar that lives in the URL, and export links."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

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
from dashboard.web.export import refusal
from dashboard.web.urls import OVERVIEW, clean_query, export_href, slice_href
from portal.config import Config


def nav_pages() -> list[dict]:
    """The registered pages that belong in the navbar (those with an `order`), in that order."""
    listed = [page for page in dash.page_registry.values() if page.get("order") is not None]
    return sorted(listed, key=lambda page: page["order"])


def navbar() -> dbc.Navbar:
    """Links to the pages this user may open, who is signed in, and the way out."""
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["path"], active="exact"))
        for page in nav_pages()
        if page_allowed(page)
    ]
    roles = ", ".join(_roles())
    who = html.Div(
        [
            html.Span([actor(), html.Small(f" ({roles})", className="text-white-50")], id="signed-in-as"),
            html.Form(
                html.Button(
                    "Sign out", type="submit", className="btn btn-outline-light btn-sm text-nowrap", id="sign-out"
                ),
                method="POST",
                action="/logout",
                className="m-0",
            ),
        ],
        className="d-flex align-items-center gap-2 text-light ms-auto",
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Billing portal analytics", href=OVERVIEW),
                dbc.Nav(links, navbar=True, className="flex-wrap"),
                find_account_box(),
                who,
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )


FIND_ACCOUNT_ID = "find-account"
FIND_RESULT_ID = "find-account-result"


def find_account_box() -> html.Div | None:
    """Where support types what a caller gives: an account number, or (for a role that may see
    customers' details) their email or username. Enter opens the account."""
    if not can(Permission.VIEW_ACCOUNTS):
        return None
    wording = "Account, email or username" if can(Permission.UNMASK) else "Account number"
    return html.Div(
        [
            html.Label(f"Find an account by {wording.lower()}", htmlFor=FIND_ACCOUNT_ID, className="visually-hidden"),
            dbc.Input(
                id=FIND_ACCOUNT_ID, type="search", placeholder=f"Find: {wording.lower()}", size="sm", autoComplete="off"
            ),
        ],
        className="ms-lg-3 my-1",
        style={"minWidth": "14rem"},
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


def filter_bar(filters: Filters, segments: list[str], extent: tuple[date, date] | None) -> dbc.Row:
    low, high = extent or (filters.start, filters.end)
    return dbc.Row(
        [
            dbc.Col(
                dcc.Dropdown(
                    id="filter-preset",
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
                    id="filter-dates",
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
                    id="filter-grain",
                    options=[{"label": g.title(), "value": g} for g in GRAINS],
                    value=filters.grain,
                    clearable=False,
                    style={"minWidth": "9rem"},
                ),
                width="auto",
            ),
            dbc.Col(
                dcc.Dropdown(
                    id="filter-segment",
                    options=[{"label": s, "value": s} for s in _with_current(segments, filters.segment)],
                    value=filters.segment,
                    placeholder="All segments",
                    style={"minWidth": "12rem"},
                ),
                width="auto",
            ),
            dcc.Store(id="filter-rendered", data=filters.query()),
        ],
        className="g-2 mb-3 align-items-center",
    )


def _with_current(segments: list[str], current: str | None) -> list[str]:
    """A segment from a link that no account has stays selectable, so its empty view is shown as such."""
    return segments if current is None or current in segments else [*segments, current]


def export_link(dataset: str, filters: Filters) -> html.Span | None:
    """Page-wide buttons to a dataset of the page, for its view, as CSV and as a workbook; None for a role
    that may not take it."""
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


def register_page(module: str, path: str, name: str, order: int | None, permission: Permission, **extra) -> None:
    """Register a page with Dash: its path, its navbar name and place (None: not in the navbar), and the
    permission that opens it, which the navbar, the page guard and the sign-in gate all read from here.
    `warm=True`: its default view is drawn for every role after each load (dashboard/web/page_cache.py).

    Named as Dash's own: Dash imports only the page files whose text contains `register_page`."""
    extra.setdefault("title", f"{name} · {PRODUCT}")
    where = {"path_template": path} if "<" in path else {"path": path}
    dash.register_page(module, **where, name=name, order=order, permission=permission, **extra)


def page_layout(title: str, purpose: str, body, datasets: tuple[str, ...] = ()) -> Callable[..., html.Div]:
    """The layout of a page whose body draws the view: `body(warehouse, filters)` under the shared frame."""

    def layout(**query) -> html.Div:
        return page(title, purpose, datasets, clean_query(query), body)

    return layout


def page(
    title: str,
    purpose: str,
    datasets: tuple[str, ...],
    query: Mapping[str, str],
    body=None,
    *,
    drawn_for: Mapping[str, str] | None = None,
    kept: bool = True,
):
    """The frame of every page: title, freshness, filter bar, exports, then the page's own body.

    All but the title and freshness is drawn once per view, permission set and load
    (dashboard/web/page_cache.py); those two are drawn for every view, since the freshness warnings
    change without a new load. The view is keyed as parsed, so `?grain=week` and the same view with
    its dates spelled out, as the filter bar writes it, are one drawing; a page whose body reads more
    of the query passes it as `drawn_for`. A page whose drawing does more than draw (an account page
    audits each unmasked view) is not `kept`.
    """
    warehouse = current_warehouse()
    filters, problem = Filters.read(query, warehouse.extent())

    def draw() -> html.Div:
        return _framed(warehouse, purpose, datasets, filters, problem, body)

    key = drawn_for if drawn_for is not None else {**filters.query(), "problem": problem or ""}
    content = page_cache.drawn(warehouse, title, key, draw) if kept else draw()
    heading = html.Div([html.H2(title, className="h4 mb-0"), freshness(warehouse)], className="mb-2")
    return html.Div([heading, content])


def _framed(
    warehouse: Warehouse,
    purpose: str,
    datasets: tuple[str, ...],
    filters: Filters,
    problem: str | None,
    body,
) -> html.Div:
    children = [
        html.P(purpose, className="text-muted"),
        filter_bar(filters, warehouse.segments(), warehouse.extent()),
    ]
    if problem:
        children.append(dbc.Alert(f"{problem}; showing the default view instead.", color="warning"))
    children.append(html.Div([link for name in datasets if (link := export_link(name, filters))]))
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
            className="btn btn-outline-secondary btn-sm",
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
    """A chart or table with its title, its CSV and XLSX downloads and an optional how-to-read note."""
    header = html.Div(
        [html.H3(title, className="h6 mb-0"), html.Div([d for d in downloads if d], className="d-flex gap-1")],
        className="d-flex justify-content-between align-items-center",
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
    parts = [graph, html.Figcaption(summary(title, figure), className="visually-hidden", id=f"{name}-summary")]
    table = figure_table(figure)
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
