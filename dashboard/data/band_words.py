"""How a figure and its usual band read in words, wherever an alert or a band is written out: the
Alerts page and banner, alert messages, and the digest. One place, so an email never words a band
differently from the page its link opens."""

from __future__ import annotations

import math

from dashboard.data.series import SERIES


def is_rate(series: str) -> bool:
    """Whether a series is a share (read as a percentage) rather than a count."""
    return series in SERIES and not SERIES[series].count


def series_label(series: str, segment: str | None = None) -> str:
    """The series' name as pages title it, with its segment when it is one segment's."""
    label = SERIES[series].label if series in SERIES else series
    return f"{label} ({segment})" if segment else label


def figure(value: float, rate: bool) -> str:
    """A count as a whole number where it is one, a rate as a percentage."""
    if rate:
        return f"{value:.1%}"
    return f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"


def usual_range(low: float, high: float, rate: bool) -> str:
    """The usual values: for a count, the whole numbers inside the band (a high edge of 5.9 allows 5),
    never below 0."""
    if rate:
        return f"{low:.1%}-{high:.1%}"
    return f"{max(0, math.ceil(low)):,}-{math.floor(high):,}"
