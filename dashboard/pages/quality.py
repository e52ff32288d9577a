"""Data quality, for analysts: what the last load set aside, could not map, or could not tie to an account.

Every part links to the `quality` export, which holds the whole report (quarantined rows with their
reasons, unmapped event types, orphan events) whatever range the filter bar shows: quality is about
the loaded data, not a period.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.auth.guard import can
from dashboard.auth.roles import Permission
from dashboard.data.clock import headed, shown
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web.grids import grid
from dashboard.web.layout import chart_card, current_settings, download_link, page, register_page
from dashboard.web.urls import QUALITY, clean_query
from portal.vocabulary import unloaded_warning

register_page(__name__, QUALITY, "Data quality", 7, Permission.VIEW_QUALITY, warm=True)

LIST_LIMIT = 1_000
"""Rows shown in a list on the page; the page says when a list holds more, and the CSV has them all."""

RUN_FIELDS = (
    ("finished_at", "Finished"),
    ("started_at", "Started"),
    ("mode", "Mode"),
    ("rows_read", "Rows read"),
    ("rows_loaded", "Rows loaded"),
    ("rows_quarantined", "Rows quarantined"),
    ("rows_other_typed", "Events typed other"),
    ("accounts_changed", "Accounts changed"),
    ("watermark_utc", "Newest event loaded"),
    ("rows_unloaded", "Source rows not loaded"),
)
TABLE_LABELS = {
    "accounts": "Accounts (web users)",
    "events": "Events (activity log)",
    "recovery_attempts": "Recovery attempts",
    "quarantine": "Quarantined rows",
}


def _value(value, zone: ZoneInfo) -> str:
    """A field of the last run as shown: its times are instants (naive UTC), shown in the configured zone."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, datetime):
        return shown(value, zone)
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _grid(grid_id: str, frame: pd.DataFrame, columns: list[dict], height: int = 360, row_id: str | None = None):
    return grid(grid_id, columns, rows=frame, row_id=row_id, height=height, fit=90, page_size=100)


def _download(filters: Filters, part: str) -> html.A | None:
    """The `quality` export; each part's link gets its own id (one page, several links to one dataset)."""
    return download_link("quality", filters, "CSV", id_extra=None if part == "load" else {"part": part})


def _text(field: str, header: str, **extra) -> dict:
    return {"field": field, "headerName": header, "filter": "agTextColumnFilter", **extra}


def _number(field: str, header: str) -> dict:
    return {"field": field, "headerName": header, "filter": "agNumberColumnFilter", "type": "numericColumn"}


def _capped(shown: int, total: int, noun: str) -> str | None:
    if total > shown:
        return f"Showing the first {shown:,} of {total:,} {noun}; the CSV holds them all."
    return None


def last_load_card(summary: dict, filters: Filters, zone: ZoneInfo) -> dbc.Card:
    run = summary["last_run"]
    download = _download(filters, "load")
    if run is None:
        body = dbc.Alert(
            "Nothing has been loaded into this warehouse yet: run a load (python -m etl run) and reload this page.",
            color="info",
            id="quality-empty",
            className="mb-0",
        )
        return chart_card("Last load", body, download)
    run_rows = [
        html.Tr([html.Th(label, className="fw-normal text-muted"), html.Td(_value(run.get(key), zone))])
        for key, label in RUN_FIELDS
    ]
    table_rows = [
        html.Tr([html.Th(TABLE_LABELS.get(name, name), className="fw-normal text-muted"), html.Td(f"{count:,}")])
        for name, count in summary["rows"].items()
    ]
    unloaded = run.get("rows_unloaded") or 0
    warning = (
        dbc.Alert(unloaded_warning(unloaded).capitalize() + ".", color="warning", id="quality-unloaded")
        if unloaded
        else None
    )
    body = dbc.Row(
        [
            *([dbc.Col(warning, width=12)] if warning else []),
            dbc.Col(dbc.Table(html.Tbody(run_rows), size="sm", className="mb-0", id="quality-last-run"), md=6),
            dbc.Col(
                [
                    html.Div("Rows per warehouse table", className="small text-muted mb-1"),
                    dbc.Table(html.Tbody(table_rows), size="sm", className="mb-0", id="quality-table-rows"),
                ],
                md=6,
            ),
        ]
    )
    return chart_card("Last load", body, download)


def summary_card(summary: pd.DataFrame, filters: Filters) -> dbc.Card:
    if summary.empty:
        body = dbc.Alert(
            "No quality issues: nothing quarantined, every event type mapped, every event tied to an account.",
            color="success",
            className="mb-0",
        )
    else:
        columns = [
            _text(
                "issue", "Issue", valueFormatter={"function": "params.value ? params.value.replaceAll('_', ' ') : ''"}
            ),
            _text("source_table", "Source table"),
            _text("reason", "Reason", flex=2),
            _number("rows", "Rows"),
        ]
        body = _grid("quality-summary", summary, columns, height=420)
    return chart_card("Issues by reason", body, _download(filters, "summary"))


def quarantined_card(rows: pd.DataFrame, total: int, filters: Filters) -> dbc.Card:
    if rows.empty:
        body = html.P("No rows were quarantined.", className="text-muted mb-0")
    else:
        columns = [
            _text("source_table", "Source table"),
            _text("row_key", "Row key (account number or event id)"),
            _text("reason", "Reason", flex=2),
        ]
        body = _grid("quality-quarantined", rows, columns)
    return chart_card(
        f"Quarantined rows ({total:,})",
        html.Div(body, id="quality-quarantined-body"),
        _download(filters, "quarantined"),
        note=_capped(len(rows), total, "quarantined rows")
        or "Rows set aside by the load with the reason; they count nowhere else.",
    )


def unmapped_card(unmapped: pd.DataFrame, filters: Filters) -> dbc.Card:
    if unmapped.empty:
        body = html.P("Every source event type maps to a canonical type.", className="text-muted mb-0")
    else:
        columns = [_text("source_event_type", "Source value", flex=3), _number("events", "Events")]
        body = _grid("quality-unmapped", unmapped, columns, height=300)
    return chart_card(
        f"Unmapped event types ({len(unmapped):,})",
        html.Div(body, id="quality-unmapped-body"),
        _download(filters, "unmapped"),
        note="Typed other: add each to [event_types] in the config file to map it to a canonical type.",
    )


def orphans_card(orphans: pd.DataFrame, total: int, filters: Filters, zone: ZoneInfo) -> dbc.Card:
    if orphans.empty:
        body = html.P("Every event with an account number matches a loaded web user.", className="text-muted mb-0")
    else:
        columns = [
            _text("occurred_at", headed("When", zone), sort="desc"),
            _text("account_number", "Account number"),
            _text(
                "event_type",
                "Event",
                valueFormatter={"function": "params.value ? params.value.replaceAll('_', ' ') : ''"},
            ),
            _text("channel", "Channel"),
            _text("detail", "Detail", flex=2),
            _text("event_id", "Event id"),
        ]
        body = _grid("quality-orphans", orphans, columns, height=420, row_id="event_id")
    return chart_card(
        f"Orphan events ({total:,})",
        html.Div(body, id="quality-orphans-body"),
        _download(filters, "orphans"),
        note=_capped(len(orphans), total, "orphan events")
        or "Events whose account number matches no loaded web user (its row may be quarantined); "
        "they count in event metrics under segment unknown.",
    )


def body(warehouse: Warehouse, filters: Filters) -> html.Div:
    load, zone = warehouse.load_summary(), current_settings().zone
    children = [
        dbc.Alert(
            "This report covers everything loaded, whatever the range above.",
            color="light",
            className="py-2 small",
        ),
        last_load_card(load, filters, zone),
    ]
    if load["last_run"] is None:
        return html.Div(children)
    parts = warehouse.quality_sections(limit=LIST_LIMIT, unmasked=can(Permission.UNMASK))
    children += [
        summary_card(parts["summary"], filters),
        dbc.Row(
            [
                dbc.Col(quarantined_card(parts["quarantined"], parts["quarantined_total"], filters), lg=7),
                dbc.Col(unmapped_card(parts["unmapped"], filters), lg=5),
            ]
        ),
        orphans_card(parts["orphans"], parts["orphans_total"], filters, zone),
    ]
    return html.Div(children)


def layout(**query):
    query = clean_query(query)
    return page(
        "Data quality",
        "Rows set aside with their reasons, event types mapped to other, and events of unknown accounts.",
        (),
        query,
        body,
    )
