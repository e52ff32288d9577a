"""The account list, for everyone: every flag and drill-down slice, paged on the server.

The grid uses AG Grid's infinite row model: it asks for rows 0-100, 100-200, ... as the user
scrolls, with its sort and column filters, and `grid_rows` answers each request with one page from
`Warehouse.accounts_page`, so a million accounts cost one indexed page at a time. The view and
the slice come from the query string; the page keeps them in a store the grid callback reads, so
every page of rows, the count and the CSV link describe the same accounts.
"""

from __future__ import annotations

from collections.abc import Mapping

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from dashboard.auth.guard import requires
from dashboard.auth.roles import Permission
from dashboard.data.params import BadParameter
from dashboard.data.slices import ALL_ACCOUNTS, FLAG_CHOICES, AccountFilters
from dashboard.data.view import Filters, view_only
from dashboard.data.warehouse import Warehouse
from dashboard.web.grids import ACCOUNT_GRID, account_columns, count_text, grid, grid_state, rows_response
from dashboard.web.layout import chart_card, download_link, page, register_page
from dashboard.web.urls import ACCOUNTS, clean_query, list_href

register_page(__name__, ACCOUNTS, "Accounts", 6, Permission.VIEW_ACCOUNTS, warm=True)

GRID_ID = {"type": ACCOUNT_GRID, "name": "accounts"}
STATE_ID = "accounts-state"
COUNT_ID = "accounts-count"
LAST_LIST_ID = "account-list-search"
"""A session store of the list's last query string, so the account page's back link returns to it."""


def read_view(warehouse: Warehouse, query: Mapping[str, str]) -> tuple[Filters, AccountFilters, str | None]:
    """The view and slice from the query string; a bad slice falls back to the unsliced list with a reason."""
    filters, _ = Filters.read(query, warehouse.extent(), default_grain="week")  # the page frame says what was bad
    try:
        return filters, AccountFilters.parse(query), None
    except BadParameter as error:
        return filters, ALL_ACCOUNTS, str(error)


def grid_rows(request: dict | None, state: dict | None):
    """One block of the list for the infinite grid, and the count line; see `grids.rows_response`."""
    return rows_response(request, state)


dash.callback(
    Output(GRID_ID, "getRowsResponse"),
    Output(COUNT_ID, "children"),
    Input(GRID_ID, "getRowsRequest"),
    State(STATE_ID, "data"),
    prevent_initial_call=True,
)(requires(Permission.VIEW_ACCOUNTS)(grid_rows))

dash.clientside_callback(
    "function (search) { return search; }",
    Output(LAST_LIST_ID, "data"),
    Input("accounts-search", "data"),
)


def chip_bar(query: Mapping[str, str], filters: Filters, only: AccountFilters) -> html.Div:
    chips = only.chips(query, filters)
    if not chips:
        return html.Div(html.Small("No slice: every account in the view.", className="text-muted"), id="accounts-chips")
    items = [html.Small("Showing ", className="text-muted me-1")]
    for chip in chips:
        items.append(
            html.Span(
                [
                    chip.label,
                    dcc.Link(
                        "×",
                        href=list_href(query, drop=chip.params),
                        className="ms-2 text-decoration-none text-secondary fw-bold",
                        title=f"Remove {chip.label}",
                    ),
                ],
                className="badge rounded-pill text-bg-light border fw-normal fs-6 me-2 mb-1",
                **{"data-params": ",".join(chip.params)},
            )
        )
    if len(chips) > 1:
        every = [name for chip in chips for name in chip.params]
        items.append(dcc.Link("Clear all", href=list_href(query, drop=every), className="small"))
    return html.Div(items, id="accounts-chips", className="d-flex flex-wrap align-items-center mb-2")


def flag_controls(query: Mapping[str, str], only: AccountFilters) -> dbc.Row:
    """A button group per flag; each button is a link to the same list with that flag set."""
    chosen = only.query()
    groups = []
    for name, label, choices in FLAG_CHOICES:
        current = chosen.get(name)
        buttons = [
            dcc.Link(
                text,
                # "Any" drops the parameter instead of setting it empty.
                href=list_href(query, **{name: value or None}),
                className="btn btn-sm "
                + ("btn-secondary active" if (current or "") == value else "btn-outline-secondary"),
            )
            for value, text in (("", "Any"), *choices)
        ]
        groups.append(
            dbc.Col(
                [
                    html.Div(label, className="small text-muted mb-1"),
                    html.Div(buttons, className="btn-group flex-wrap", role="group", id=f"flag-{name}"),
                ],
                width="auto",
            )
        )
    return dbc.Row(groups, className="g-3 mb-2")


def account_grid(total: int) -> dag.AgGrid:
    return grid(GRID_ID, account_columns(), total=total, height=560)


def body(query: dict[str, str]):
    def render(warehouse: Warehouse, _filters: Filters):
        filters, only, problem = read_view(warehouse, query)
        usable = query if problem is None else view_only(query)
        _, total = warehouse.accounts_page(filters, only, limit=0)
        state = grid_state(filters, only, total)
        children = [
            dcc.Store(id=STATE_ID, data=state),
            dcc.Store(id="accounts-search", data=list_href(usable)),
            dcc.Store(id=LAST_LIST_ID, storage_type="session"),
        ]
        if problem:
            children.append(
                dbc.Alert(
                    [
                        f"{problem}; showing the list without a slice instead. ",
                        dcc.Link("Clear the bad parameters", href=list_href(view_only(query)), className="alert-link"),
                    ],
                    color="warning",
                    id="accounts-problem",
                )
            )
        children += [chip_bar(usable, filters, only), flag_controls(usable, only)]
        counts_note = (
            "Failed recovery attempts and lockouts are counted "
            f"from {filters.start:%Y-%m-%d} to {filters.end:%Y-%m-%d}."
        )
        download = download_link("accounts", filters, "CSV of every row", **only.query())
        if total == 0:
            empty = (
                "The warehouse holds no accounts yet: run a load (python -m etl run) and reload this page."
                if warehouse.load_summary()["rows"]["accounts"] == 0
                else "No accounts match this slice. Remove a filter above to widen it."
            )
            listing = html.Div(
                [html.P(html.Strong("0 accounts"), id=COUNT_ID, className="mb-1"), dbc.Alert(empty, color="info")],
                id="accounts-empty",
            )
            children.append(chart_card("Accounts", listing, download))
            return html.Div(children)
        listing = html.Div(
            [
                html.P(html.Strong(count_text(total), id=COUNT_ID), className="mb-1"),
                account_grid(total),
            ]
        )
        note = (
            f"{counts_note} Click a row to open the account. Sorting and column filters run on the server; "
            "the CSV holds every account of the slice above (the grid's column filters are not applied)."
        )
        children.append(chart_card("Accounts", listing, download, note=note))
        return html.Div(children)

    return render


def layout(**query):
    query = clean_query(query)
    return page(
        "Accounts",
        "Every billing account with its portal flags, failed recovery attempts and lockouts in the range.",
        (),
        query,
        body(query),
        controls=("dates", "segment"),  # the range counts failures and lockouts; the list has no periods
        drawn_for=query,  # the slice, and the list's own link back, are read from the query as given
    )
