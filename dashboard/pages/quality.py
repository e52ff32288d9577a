"""Data quality, for analysts: what the last load set aside, could not map, or could not tie to an account.

Quality is about the loaded data, not a period: the page has no filter bar, and one link for the whole
page to the `quality` export, which holds the whole report (quarantined rows with their reasons,
unmapped event types, orphan events).
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
from dashboard.web.layout import chart_card, current_settings, page_layout, register_page
from dashboard.web.urls import QUALITY
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


def _text(field: str, header: str, **extra) -> dict:
    return {"field": field, "headerName": header, "filter": "agTextColumnFilter", **extra}


def _number(field: str, header: str) -> dict:
    return {"field": field, "headerName": header, "filter": "agNumberColumnFilter", "type": "numericColumn"}


def _capped(shown: int, total: int, noun: str) -> str | None:
    if total > shown:
        return f"Showing the first {shown:,} of {total:,} {noun}; quality.csv holds them all."
    return None


def last_load_card(summary: dict, zone: ZoneInfo) -> dbc.Card:
    run = summary["last_run"]
    if run is None:
        body = dbc.Alert(
            "Nothing has been loaded into this warehouse yet: run a load (python -m etl run) and reload this page.",
            color="info",
            id="quality-empty",
            className="mb-0",
        )
        return chart_card("Last load", body)
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
    return chart_card("Last load", body)


def summary_card(summary: pd.DataFrame) -> dbc.Card:
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
    return chart_card("Issues by reason", body)


def quarantined_card(rows: pd.DataFrame, total: int) -> dbc.Card:
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
        note=_capped(len(rows), total, "quarantined rows")
        or "Rows set aside by the load with the reason; they count nowhere else.",
    )


def unmapped_card(unmapped: pd.DataFrame) -> dbc.Card:
    if unmapped.empty:
        body = html.P("Every source event type maps to a canonical type.", className="text-muted mb-0")
    else:
        columns = [_text("source_event_type", "Source value", flex=3), _number("events", "Events")]
        body = _grid("quality-unmapped", unmapped, columns, height=300)
    return chart_card(
        f"Unmapped event types ({len(unmapped):,})",
        html.Div(body, id="quality-unmapped-body"),
        note="Typed other: add each to [event_types] in the config file to map it to a canonical type.",
    )


def orphans_card(orphans: pd.DataFrame, total: int, zone: ZoneInfo) -> dbc.Card:
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
        note=_capped(len(orphans), total, "orphan events")
        or "Events whose account number matches no loaded web user (its row may be quarantined); "
        "they count in event metrics under segment unknown.",
    )


def body(warehouse: Warehouse, _filters: Filters) -> html.Div:
    load, zone = warehouse.load_summary(), current_settings().zone
    children = [
        dbc.Alert("This report covers everything loaded, whatever its dates.", color="light", className="py-2 small"),
        last_load_card(load, zone),
    ]
    if load["last_run"] is None:
        return html.Div(children)
    parts = warehouse.quality_sections(limit=LIST_LIMIT, unmasked=can(Permission.UNMASK))
    children += [
        summary_card(parts["summary"]),
        dbc.Row(
            [
                dbc.Col(quarantined_card(parts["quarantined"], parts["quarantined_total"]), lg=7),
                dbc.Col(unmapped_card(parts["unmapped"]), lg=5),
            ]
        ),
        orphans_card(parts["orphans"], parts["orphans_total"], zone),
    ]
    return html.Div(children)


layout = page_layout(
    "Data quality",
    "Rows set aside with their reasons, event types mapped to other, and events of unknown accounts.",
    body,
    ("quality",),  # the whole report, whatever part of it a card shows
    controls=(),  # quality is about what was loaded, not a period
)
