"""A period marked on a page's charts: `?mark=2026-10-19`, as an alert's link sends it.

The charts that draw a usual band (`charts.band.add_band`, whose "Usual range" trace names them) get the
period that starts on the marked day, at the view's grain, shaded and labelled; a line above them says
which period it is, so the mark does not rest on colour alone. A bad date is said on the page, as a bad
view is, and nothing is marked; a day outside the range shown marks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.data.params import BadParameter, parse_date
from dashboard.data.view import Filters

MARK = "mark"
MARK_ID = "marked-period"
MARK_FILL = "rgba(213, 94, 0, 0.16)"
MARK_EDGE = "#A94700"
"""Vermillion, the colour of alarm on every page; the edge in its darker shade readable as text."""
BAND_TRACE = "Usual range"
HALF_PERIOD = {"day": timedelta(hours=12), "week": timedelta(days=3.5), "month": timedelta(days=15)}
"""A bar is drawn centred on its period's first day; the shading spans the bar's slot around it."""


def read_mark(query: Mapping[str, str]) -> tuple[date | None, str | None]:
    """The marked day, or the one-line reason the parameter is bad."""
    try:
        return parse_date(query, MARK), None
    except BadParameter as error:
        return None, str(error)


def _banded(component: Component) -> list[dcc.Graph]:
    found, stack = [], [component]
    while stack:
        item = stack.pop()
        figure = getattr(item, "figure", None) if isinstance(item, dcc.Graph) else None
        if isinstance(figure, go.Figure) and any(trace.name == BAND_TRACE for trace in figure.data):
            found.append(item)
        children = getattr(item, "children", None)
        stack.extend(c for c in (children if isinstance(children, list | tuple) else [children]) if c is not None)
    return found


def marked(content: html.Div, mark: date | None, problem: str | None, filters: Filters) -> html.Div:
    """The drawn page with the marked period shaded on each banded chart and said above them; unchanged
    without a mark, or when the day is outside the range or no chart draws a band."""
    if problem:
        content.children = [dbc.Alert(f"{problem}; nothing is marked.", color="warning", id=MARK_ID), *content.children]
        return content
    if mark is None or not filters.start <= mark <= filters.end:
        return content
    graphs = _banded(content)
    if not graphs:
        return content
    middle = datetime.combine(mark, time())
    half = HALF_PERIOD[filters.grain]
    for graph in graphs:
        graph.figure.add_vrect(
            x0=middle - half,
            x1=middle + half,
            fillcolor=MARK_FILL,
            line={"color": MARK_EDGE, "width": 1, "dash": "dot"},
            layer="below",
            annotation_text="Alert",
            annotation_position="top left",
            annotation_font_color=MARK_EDGE,
        )
    period = {"day": "The day", "week": "The week of", "month": "The month of"}[filters.grain]
    note = html.P(
        f"{period} {mark.isoformat()} is marked on the charts with a usual range: the period of an alert.",
        className="small fw-semibold",
        style={"color": MARK_EDGE},
        id=MARK_ID,
    )
    content.children = [*content.children[:1], note, *content.children[1:]]
    return content
