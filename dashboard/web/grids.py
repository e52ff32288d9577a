"""Every AG Grid of the dashboard, built by `grid`: rows held in the browser, or paged on the server.

Client-side grids get their rows with the page (`rows=`), sort and filter in the browser, and page
through them fifty or a hundred at a time. Server-paged grids (`total=`) use AG Grid's infinite row
model: it asks for rows 0-100, 100-200, ... as the user scrolls, with its sort and column filters,
and `rows_response` answers each request with one page of `Warehouse.accounts_page`, so a slice of
a hundred thousand accounts costs the browser one page, not megabytes of rows. The view and the
slice travel in a store beside the grid and are parsed again on every request, since anyone signed
in can call a callback with any store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import dash
import dash_ag_grid as dag
import pandas as pd
from dash import MATCH, Input, Output, State, html

from dashboard.auth.guard import requires
from dashboard.auth.roles import Permission
from dashboard.data.params import BadParameter
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.layout import current_warehouse
from dashboard.web.urls import clean_query

ACCOUNT_GRID = "account-grid"
"""The id type of a client-side grid of account rows: the shared row-click callback opens the account."""
PAGED_GRID = "paged-grid"
"""The id type of a server-paged grid that is not the account list page's own."""
BLOCK = 100
MAX_BLOCK = 1_000
"""The most rows one grid request may ask for: the grid asks for BLOCK, a script gets no more than this."""
ROW_PX = 42
"""The height of one row, for grids that shrink to fit a few rows."""


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts: times as text, missing as None."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name].dtype):
            fmt = "%Y-%m-%d" if name in {"period_start", "day", "last_locked_day"} else "%Y-%m-%d %H:%M:%S"
            out[name] = out[name].dt.strftime(fmt)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


def grid(
    grid_id: str | dict,
    columns: list[dict],
    *,
    height: int,
    rows: pd.DataFrame | list[dict] | None = None,
    total: int | None = None,
    fit: int | None = None,
    row_id: str | None = None,
    column: dict | None = None,
    page_size: int = 50,
    options: dict | None = None,
    clickable: bool = False,
    **props,
) -> dag.AgGrid:
    """A sortable, resizable grid of `columns`: the one builder of every grid of the app.

    With `rows` (a frame, or records already) the grid holds them and pages past `page_size`. With
    `total` instead, the rows are the account list's, paged on the server by `rows_response`, keyed
    by account number and opened by a click. `height` is in pixels; with `fit` (the pixels of the
    header and scrollbar) a grid of few rows shrinks to them. `column` is the default column
    definition beyond sortable and resizable; `options` are added to the grid options.
    """
    if total is None:
        data = {"rowData": records(rows) if isinstance(rows, pd.DataFrame) else rows}
        count = len(rows)
        grid_options = {"animateRows": False, "pagination": count > page_size, "paginationPageSize": page_size}
        column = {"filter": True, "flex": 1, "minWidth": 110} if column is None else column
    else:
        data, count = {"rowModelType": "infinite"}, total
        grid_options = {
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 50,
            "infiniteInitialRowCount": min(BLOCK, max(total, 1)),
            "rowBuffer": 10,
            "animateRows": False,
            "tooltipShowDelay": 300,
            # Two lines of header text at a fixed height: measuring each header (autoHeaderHeight)
            # forced a layout of the whole page per column while the charts were drawing.
            "headerHeight": 52,
        }
        column = {"minWidth": 90, "wrapHeaderText": True}
        fit, row_id, clickable = 150, "account_number", True
    if fit is not None:
        height = min(height, fit + ROW_PX * max(count, 1))
    return dag.AgGrid(
        id=grid_id,
        **data,
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, **column},
        getRowId=f"params.data.{row_id}" if row_id else None,
        dashGridOptions={**grid_options, **(options or {})},
        style={"height": f"{height}px", **({"cursor": "pointer"} if clickable else {})},
        **props,
    )


def frame_columns(frame: pd.DataFrame) -> list[dict]:
    """A column per column of `frame`, headed by its name; numbers get a number filter, the rest a text one."""
    defs = []
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name].dtype) and not pd.api.types.is_bool_dtype(frame[name].dtype)
        defs.append(
            {
                "field": name,
                "headerName": name.replace("_", " "),
                "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
                "type": "numericColumn" if numeric else None,
                **(ACCOUNT_LINK if name == "account_number" else {}),
            }
        )
    return [{k: v for k, v in d.items() if v is not None} for d in defs]


# --- the account list's columns, as server-paged grids show them ----------------------------------

MASKED = ("email", "username")
"""Never sorted or filtered on: the order or a match would reveal what the mask hides."""
TEXT_OPTIONS = ["contains", "notContains", "equals", "notEqual", "startsWith", "endsWith"]
NUMBER_OPTIONS = ["equals", "notEqual", "greaterThan", "greaterThanOrEqual", "lessThan", "lessThanOrEqual"]
"""Only the filter operators the query layer turns into SQL, so no filter is silently ignored."""
YES_NO = {"function": "params.value == null ? '' : (params.value ? 'yes' : 'no')"}
DAY = {"function": "params.value ? params.value.slice(0, 10) : ''"}
"""Dates show as days; the full time is in the tooltip and the CSV."""


def _filtered(field: str, header: str, kind: str, options: list[str], **extra) -> dict:
    """A column with a floating filter offering only `options`."""
    return {
        "field": field,
        "headerName": header,
        "filter": f"ag{kind}ColumnFilter",
        "filterParams": {"filterOptions": options, "maxNumConditions": 2},
        "floatingFilter": True,
        **extra,
    }


def _text(field: str, header: str, **extra) -> dict:
    return _filtered(field, header, "Text", TEXT_OPTIONS, **extra)


def _number(field: str, header: str) -> dict:
    return _filtered(field, header, "Number", NUMBER_OPTIONS, type="numericColumn", width=125)


ACCOUNT_LINK = {"cellRenderer": "AccountLink"}
"""An account number drawn as a link to its page (assets/account_links.js): Ctrl-click, Enter, a new tab."""


def _unfiltered(field: str, header: str, **extra) -> dict:
    """Sortable, no column filter: flags have their own controls, dates and masked text have none."""
    return {"field": field, "headerName": header, "filter": False, **extra}


ACCOUNT_COLUMNS = [
    _text("account_number", "Account", pinned="left", width=125, **ACCOUNT_LINK),
    _text("segment", "Segment", width=130),
    _unfiltered("portal_access", "Portal access", valueFormatter=YES_NO, width=100),
    _text("email_status", "Email status", width=130),
    _unfiltered("username_is_email", "Username is email", valueFormatter=YES_NO, width=110),
    # Masked values: sorting or filtering them would reveal what the mask hides.
    _unfiltered("email", "Email (masked)", sortable=False, flex=1, minWidth=170),
    _unfiltered("username", "Username (masked)", sortable=False, flex=1, minWidth=160),
    _unfiltered("enrolled_at", "Enrolled", valueFormatter=DAY, tooltipField="enrolled_at", width=115),
    _unfiltered("last_login_at", "Last login", valueFormatter=DAY, tooltipField="last_login_at", width=115),
    _number("failed_recovery_attempts", "Failed recoveries in range"),
    _number("lockouts", "Lockouts in range"),
    _unfiltered("created_at", "Created", valueFormatter=DAY, tooltipField="created_at", width=115),
]
"""Every column of the `accounts` dataset as a server-paged grid shows it."""


def account_columns(fields: Sequence[str] | None = None, sort: tuple[str, str] | None = None) -> list[dict]:
    """The columns of `fields` (all by default), in that order; `sort` (field, "asc" or "desc") is the first order."""
    by_field = {column["field"]: column for column in ACCOUNT_COLUMNS}
    defs = [dict(by_field[field]) for field in (by_field if fields is None else fields)]
    for column in defs:
        if sort is not None and column["field"] == sort[0]:
            column["sort"] = sort[1]
    return defs


# --- server paging ----------------------------------------------------------------------------------


def grid_state(filters: Filters, only: AccountFilters, total: int) -> dict:
    """What the grid callback needs: the view and the slice as query parameters, and the slice's size."""
    return {"query": {**filters.query(), **only.query()}, "total": total}


def count_text(matching: int, in_slice: int | None = None) -> str:
    noun = "account" if matching == 1 else "accounts"
    if in_slice is None or matching == in_slice:
        return f"{matching:,} {noun}"
    return f"{matching:,} of {in_slice:,} accounts match the column filters"


MAX_OFFSET = 10_000_000
"""The furthest row a grid request may start at: beyond any account list here, and far from SQL's integer limit."""
MAX_CONDITIONS = 2
"""Conditions in one column's filter, as its `maxNumConditions`; a condition holds no conditions of its own."""
MAX_FILTER_TEXT = 200
"""The longest text a column filter may search for."""
MAX_FILTER_NUMBER = 10**15
"""The largest number (either sign) a number filter may compare with; JSON numbers are exact up to 2**53."""
NO_BLOCK = {"rowData": [], "rowCount": 0}


class BadGridRequest(ValueError):
    """A grid request no grid of this app sends: refused before any query, so none costs unbounded work."""


def _row_number(value: object, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadGridRequest("a row number is not a whole number")
    return value


def _sort_model(model: object) -> list[tuple[str, bool]]:
    """(column, ascending) for each sorted column but the masked ones; each column sorts once at most."""
    if model is None:
        return []
    if not isinstance(model, list) or len(model) > len(ACCOUNT_COLUMNS):
        raise BadGridRequest("the sort model is not a short list")
    sort = []
    for item in model:
        if not isinstance(item, dict) or not isinstance(item.get("colId"), str):
            raise BadGridRequest("a sort item names no column")
        if item["colId"] not in MASKED:
            sort.append((item["colId"], item.get("sort") != "desc"))
    return sort


def _check_condition(model: object) -> None:
    """One column filter condition: an operator word, and a short text or a finite number."""
    if not isinstance(model, dict) or "conditions" in model:
        raise BadGridRequest("a filter condition is not a simple condition")
    if not isinstance(model.get("type"), str | None) or not isinstance(model.get("filterType"), str | None):
        raise BadGridRequest("a filter condition's type is not a word")
    value = model.get("filter")
    if isinstance(value, str) and len(value) > MAX_FILTER_TEXT:
        raise BadGridRequest("a filter text is too long")
    if isinstance(value, int | float) and not (math.isfinite(value) and abs(value) <= MAX_FILTER_NUMBER):
        raise BadGridRequest("a filter number is out of range")


def _filter_model(model: object) -> dict | None:
    """The column filters but those of masked columns, each one condition or a pair of them."""
    if model is None:
        return None
    if not isinstance(model, dict) or len(model) > len(ACCOUNT_COLUMNS):
        raise BadGridRequest("the filter model is not a short mapping")
    for column_filter in model.values():
        if isinstance(column_filter, dict) and "conditions" in column_filter:
            conditions = column_filter["conditions"]
            if not isinstance(conditions, list) or not 0 < len(conditions) <= MAX_CONDITIONS:
                raise BadGridRequest("a column filter's conditions are not a short list")
            if not isinstance(column_filter.get("operator"), str | None):
                raise BadGridRequest("a column filter's operator is not a word")
            for condition in conditions:
                _check_condition(condition)
        else:
            _check_condition(column_filter)
    return {name: value for name, value in model.items() if name not in MASKED} or None


def grid_request(request: object) -> tuple[int, int, list[tuple[str, bool]], dict | None]:
    """Offset, limit, sort and column filters of an infinite grid's request, within bounds.

    Anyone signed in can post any request, so every part is checked: whole row numbers, an offset
    up to MAX_OFFSET, a block of MAX_BLOCK rows at most, each column sorted once and filtered by at
    most MAX_CONDITIONS short conditions. Anything else raises BadGridRequest.
    """
    if not isinstance(request, dict):
        raise BadGridRequest("the request is not a mapping")
    start = max(_row_number(request.get("startRow"), 0), 0)
    end = _row_number(request.get("endRow"), start + BLOCK)
    if start > MAX_OFFSET:
        raise BadGridRequest("the block starts too far down")
    limit = min(max(end - start, 0), MAX_BLOCK)
    return start, limit, _sort_model(request.get("sortModel")), _filter_model(request.get("filterModel"))


def rows_response(request: dict | None, state: dict | None):
    """One block of rows for an infinite grid, and its count line: sort and column filters go into SQL."""
    if not request:
        return dash.no_update, dash.no_update
    state = {} if state is None else state
    query = (state.get("query") or {}) if isinstance(state, dict) else None
    try:
        if not isinstance(query, dict):
            raise BadParameter("the grid's state is not a mapping of parameters")
        params = clean_query(query)
        filters, only = Filters.parse(params, None), AccountFilters.parse(params)
    except BadParameter:
        return dict(NO_BLOCK), "The list's parameters are not valid; reload the page."
    try:
        start, limit, sort, grid_filters = grid_request(request)
    except BadGridRequest:
        return dict(NO_BLOCK), "The list's request is not valid; reload the page."
    in_slice = state.get("total")
    in_slice = in_slice if isinstance(in_slice, int) else None
    rows, total = current_warehouse().accounts_page(
        filters,
        only,
        sort=sort,
        grid_filters=grid_filters,
        offset=start,
        limit=limit,
        known_total=None if grid_filters else in_slice,
    )
    return {"rowData": records(rows), "rowCount": total}, count_text(total, in_slice if grid_filters else None)


def paged_grid(
    name: str,
    filters: Filters,
    only: AccountFilters,
    fields: Sequence[str],
    total: int,
    *,
    after_count=None,
    sort: tuple[str, str] | None = None,
) -> html.Div:
    """A slice of the account list as a server-paged grid, under a count line that follows its column filters."""
    count = html.Strong(count_text(total), id={"type": f"{PAGED_GRID}-count", "name": name})
    return html.Div(
        [
            dash.dcc.Store(id={"type": f"{PAGED_GRID}-state", "name": name}, data=grid_state(filters, only, total)),
            html.Div([count, *([after_count] if after_count is not None else [])], className="small mb-2"),
            grid({"type": PAGED_GRID, "name": name}, account_columns(fields, sort), total=total, height=480),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """The rows callback of every server-paged grid, on this app: registered through Dash's global list
    at import it would go to whichever app served first, and a second app in the process would lack it."""
    app.callback(
        Output({"type": PAGED_GRID, "name": MATCH}, "getRowsResponse"),
        Output({"type": f"{PAGED_GRID}-count", "name": MATCH}, "children"),
        Input({"type": PAGED_GRID, "name": MATCH}, "getRowsRequest"),
        State({"type": f"{PAGED_GRID}-state", "name": MATCH}, "data"),
        prevent_initial_call=True,
    )(requires(Permission.VIEW_ACCOUNTS)(rows_response))
