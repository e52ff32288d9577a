"""A chart in words and as a table: the text alternative a screen reader announces, and the rows a
person reads or tabs through instead of hovering, taken from the very traces the chart draws.

Helper traces (a band's lower edge, markers that repeat a value) carry no name or skip hover and
are left out; the usual range reads as "low–high".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

USUAL_RANGE = "Usual range"


@dataclass(frozen=True)
class Cell:
    text: str
    drill: str | None = None
    """The account-list query of the slice behind the value, when the chart opens one on a click."""


@dataclass(frozen=True)
class FigureTable:
    key: str
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]


def _label(value) -> str:
    """A period as its first day (ISO), anything else as written."""
    if isinstance(value, np.datetime64 | date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    text = str(value)
    return text[:10] if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-" else text


def _number(value, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if percent:
        return f"{value:.1%}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _shown(trace) -> bool:
    return bool(trace.name) and trace.hoverinfo != "skip" and not _is_marker_only(trace)


def _is_marker_only(trace) -> bool:
    return trace.type == "scatter" and trace.mode == "markers"


def _percent(figure: go.Figure) -> bool:
    return "%" in str(figure.layout.yaxis.tickformat or "")


def figure_table(figure: go.Figure) -> FigureTable | None:
    """The chart's values as rows: one per period or category, one column per series; None for an
    empty state."""
    traces = [trace for trace in figure.data if _shown(trace) or trace.type == "heatmap"]
    if not traces:
        return None
    if traces[0].type == "heatmap":
        return _heatmap_table(traces[0])
    percent = _percent(figure)
    horizontal = traces[0].type == "bar" and traces[0].orientation == "h"
    keys: list[str] = []
    cells: dict[str, dict[str, Cell]] = {}
    for trace in traces:
        along, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        custom = list(trace.customdata) if trace.customdata is not None else [None] * len(along)
        for key, value, extra in zip(along, values, custom, strict=False):
            label = _label(key)
            if label not in cells:
                keys.append(label)
                cells[label] = {}
            if trace.name == USUAL_RANGE:
                low, high = extra[0], extra[1]
                text = "–" if low is None or math.isnan(low) else f"{_number(low, percent)}–{_number(high, percent)}"
                cells[label][trace.name] = Cell(text)
            else:
                drill = extra if isinstance(extra, str) else None
                cells[label][trace.name] = Cell(_number(value, percent), drill)
    columns = [trace.name for trace in traces]
    key = figure.layout.xaxis.title.text if not horizontal else "Step"
    return FigureTable(key or "", columns, [(k, [cells[k].get(c, Cell("")) for c in columns]) for k in keys])


def _heatmap_table(trace) -> FigureTable:
    """A heatmap reads as its own grid: a row per y label, a column per x label."""
    drills = trace.customdata if trace.customdata is not None else [[None] * len(trace.x)] * len(trace.y)
    rows = [
        (str(label), [Cell(_number(v, False), d if isinstance(d, str) else None) for v, d in zip(z, ds, strict=False)])
        for label, z, ds in zip(trace.y, trace.z, drills, strict=False)
    ]
    return FigureTable("", [str(x) for x in trace.x], rows)


def summary(title: str, figure: go.Figure, table: FigureTable | None = None) -> str:
    """One paragraph a screen reader announces for the chart: what it shows over which periods, and
    each series' total (for bars), highest and lowest point, and any period outside the usual range.
    `table`: the figure's `figure_table`, when the caller has it already."""
    table = table or figure_table(figure)
    if table is None:
        return f"{title}: no data in this range."
    if not table.rows:
        return f"{title}: no data."
    span = f"{table.rows[0][0]} to {table.rows[-1][0]}" if len(table.rows) > 1 else table.rows[0][0]
    parts = [f"{title}, {len(table.rows)} rows from {span}."]
    traces = [trace for trace in figure.data if _shown(trace) and trace.name != USUAL_RANGE]
    percent = _percent(figure)
    for trace in traces:
        horizontal = trace.type == "bar" and trace.orientation == "h"
        along, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        series = pd.Series(list(values), index=[_label(k) for k in along], dtype=float).dropna()
        if series.empty:
            continue
        total = f"total {_number(series.sum(), False)}, " if trace.type == "bar" and not percent else ""
        parts.append(
            f"{trace.name}: {total}highest {_number(series.max(), percent)} ({series.idxmax()}), "
            f"lowest {_number(series.min(), percent)} ({series.idxmin()})."
        )
    for trace in figure.data:
        if _is_marker_only(trace) and trace.name:
            when = ", ".join(_label(x) for x in trace.x)
            parts.append(f"{trace.name}: {when}.")
    return " ".join(parts)
