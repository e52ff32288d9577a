"""The usual band on a chart: a shaded range behind a series, and its periods outside it marked.

The band is `Warehouse.band`'s (`dashboard/data/baseline.py`); a chart only draws it. Outside points
carry a marker with a word in their hover, so "unusual" never rests on colour alone.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.over_time import PERIOD_HOVER
from dashboard.charts.palette import NEUTRAL
from dashboard.data.view import Filters

BAND_FILL = "rgba(31, 58, 95, 0.13)"
BAND_EDGE = "rgba(31, 58, 95, 0.35)"
"""Tints of the neutral navy (`palette.NEUTRAL`): the usual range judges nothing."""
MARK_COLOR = NEUTRAL
MARKS = {"above": ("triangle-up", "above the usual range"), "below": ("triangle-down", "below the usual range")}


def add_band(figure: go.Figure, band: pd.DataFrame, filters: Filters, label: str, number: str = ",.0f") -> go.Figure:
    """Shade the usual range of a series behind it and mark each period outside it.

    `band`: `Warehouse.band`'s rows for the figure's periods; `number`: the d3 format of the values.
    An empty state (a figure without traces) stays as it is."""
    if not figure.data or band["usual"].isna().all():
        return figure
    period = PERIOD_HOVER[filters.grain]
    usual = f"Usual range %{{customdata[0]:{number}}}–%{{customdata[1]:{number}}} (median %{{customdata[2]:{number}}})"
    bounds = band[["low", "high", "usual"]].to_numpy()
    figure.add_trace(_edge(band, "low", hoverinfo="skip", showlegend=False))
    figure.add_trace(
        _edge(
            band,
            "high",
            fill="tonexty",
            fillcolor=BAND_FILL,
            name="Usual range",
            customdata=bounds,
            hovertemplate=f"{period}<br>{label}: {usual}<extra></extra>",
        )
    )
    for side, (symbol, words) in MARKS.items():
        out = band[band["outside"] == side]
        if out.empty:
            continue
        figure.add_trace(
            go.Scatter(
                x=out["period_start"],
                y=out["value"],
                mode="markers",
                marker={"symbol": symbol, "size": 11, "color": MARK_COLOR, "line": {"width": 1, "color": "white"}},
                name=f"{words[0].upper()}{words[1:]}",
                customdata=out[["low", "high", "usual"]].to_numpy(),
                hovertemplate=f"{period}<br>{label}: %{{y:{number}}}, {words}<br>{usual}<extra></extra>",
            )
        )
    return figure


def _edge(band: pd.DataFrame, column: str, **style) -> go.Scatter:
    """One edge of the band, a thin line; the upper one fills down to the lower."""
    return go.Scatter(
        x=band["period_start"],
        y=band[column],
        mode="lines",
        line={"width": 0.5, "color": BAND_EDGE},
        legendgroup="usual",
        **style,
    )
