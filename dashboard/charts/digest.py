"""The weekly digest's charts: each series over the digest's week and the weeks before it, with the usual
band the pages shade, drawn as PNG images for an email (no email client runs plotly.js).

Kaleido drives the installed Chromium to draw them; all of a digest's charts are drawn in one browser
session (`plotly.io.write_images`), since starting Chromium costs seconds each time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.charts.band import add_band
from dashboard.charts.common import COLORS, NEUTRAL_LINE, THEME
from dashboard.data.view import Filters

WIDTH, HEIGHT = 560, 200
"""Pixels: fits the 600-pixel column most email clients show, short enough for seven in a row."""
WEEK_MARK = "rgba(31, 58, 95, 0.08)"


def weekly_chart(history: pd.DataFrame, label: str, *, series: str, column: str, rate: bool) -> go.Figure:
    """One series per week (`Warehouse.band`'s rows), the band shaded behind it and its last week marked."""
    view = Filters(
        pd.Timestamp(history["period_start"].iloc[0]).date(),
        pd.Timestamp(history["period_start"].iloc[-1]).date(),
        "week",
    )
    colour = COLORS.get(series) or COLORS.get(column) or NEUTRAL_LINE
    figure = go.Figure(
        go.Scatter(
            x=history["period_start"],
            y=history["value"],
            mode="lines+markers",
            name=label,
            line={"color": colour, "width": 2},
            marker={"size": 5},
        )
    )
    add_band(figure, history, view, label, ".1%" if rate else ",.0f")
    last = pd.Timestamp(history["period_start"].iloc[-1])
    figure.add_vrect(
        x0=last - pd.Timedelta(days=3.5), x1=last + pd.Timedelta(days=3.5), fillcolor=WEEK_MARK, line_width=0
    )
    figure.update_layout(
        template=THEME,
        title={"text": f"{label} per week", "font": {"size": 14}, "x": 0.01},
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 50, "r": 15, "t": 35, "b": 30},
        showlegend=False,
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 11},
    )
    if rate:
        figure.update_yaxes(range=[0, 1.02], tickformat=".0%")
    else:
        figure.update_yaxes(rangemode="tozero", tickformat=",d")
    figure.update_xaxes(tickformat="%d %b")
    return figure


def png_images(figures: Mapping[str, go.Figure]) -> dict[str, bytes]:
    """Each figure drawn as a PNG, by name, in one Chromium session."""
    names = list(figures)
    with tempfile.TemporaryDirectory(prefix="digest-charts-") as folder:
        paths = [Path(folder) / f"{index}.png" for index in range(len(names))]
        pio.write_images([figures[name] for name in names], paths, format="png", width=WIDTH, height=HEIGHT)
        return {name: path.read_bytes() for name, path in zip(names, paths, strict=True)}
