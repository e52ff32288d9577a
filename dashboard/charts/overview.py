"""The overview's headline cards: how each figure reads, whether its change is good news, its trend line.

Each KPI of `metrics.KPIS` has a card with a trend taken from one column of a period table the other
pages show (`TREND_SOURCES`), so a sparkline and the page it links to can never disagree; a share of
enrolled accounts is written on its count's card instead (`SHOWN_ON`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.common import GRAIN_TITLES, NEUTRAL_LINE
from dashboard.charts.palette import FAILURE_TEXT, NEITHER_TEXT, SUCCESS_TEXT
from dashboard.data import ranges
from dashboard.data.metrics import periods, previous_range
from dashboard.data.view import GRAINS, Filters

TREND_SOURCES = {
    # kpi: (period table, its column)
    "adoption_rate": ("adoption", "adoption_rate"),
    "enrolled_accounts": ("adoption", "enrolled_accounts"),
    "active_users_30d": ("active_users", "active_users_30d"),
    "active_users_90d": ("active_users", "active_users_90d"),
    "placeholder_accounts": ("email_statuses", "placeholder"),
    "at_risk_accounts": ("email_statuses", "at_risk"),
    "failed_recovery_attempts": ("recovery", "failed"),
    "recovery_success_rate": ("rates", "recovery_success_rate"),
    "self_service_resets": ("resets", "self_service_resets"),
    "staff_resets": ("resets", "staff_resets"),
    "staff_share_of_resets": ("rates", "staff_share_of_resets"),
    "lockout_events": ("lockouts", "lockout_events"),
    "lockouts_per_1000_enrolled": ("rates", "lockouts_per_1000_enrolled"),
}
GOOD_WHEN = {
    # +1: a rise is good news, -1: a rise is bad news, 0: neither (more self-service resets mean more
    # forgotten passwords, but each one is a call the office did not have to take)
    "adoption_rate": 1,
    "enrolled_accounts": 1,
    "active_users_30d": 1,
    "active_share_30d": 1,
    "active_users_90d": 1,
    "active_share_90d": 1,
    "placeholder_accounts": -1,
    "at_risk_accounts": -1,
    "failed_recovery_attempts": -1,
    "recovery_success_rate": 1,
    "self_service_resets": 0,
    "staff_resets": -1,
    "staff_share_of_resets": -1,
    "lockout_events": -1,
    "lockouts_per_1000_enrolled": -1,
}
VERDICT_COLORS = {
    "better": SUCCESS_TEXT,
    "worse": FAILURE_TEXT,
    "neutral": NEITHER_TEXT,
    "unchanged": NEITHER_TEXT,
    "none": NEITHER_TEXT,
}
"""Good news in success's green, bad news in failure's vermillion, the rest in grey (`palette.MEANINGS`)."""
VERDICT_WORDS = {"better": "better", "worse": "worse"}
"""The word beside a coloured change, so better and worse never rest on colour alone."""
TREND_MAX_POINTS = 200
"""A sparkline is a hand's width: past this many periods it uses the next coarser grain."""
RATE_KPIS = frozenset(
    {"adoption_rate", "recovery_success_rate", "staff_share_of_resets", "active_share_30d", "active_share_90d"}
)
"""Shares, shown as percentages and changing in percentage points."""
PER_THOUSAND_KPIS = frozenset({"lockouts_per_1000_enrolled"})
"""Counts per 1,000 accounts, shown to one decimal."""
STOCK_KPIS = frozenset(
    {
        "adoption_rate",
        "enrolled_accounts",
        "active_users_30d",
        "active_users_90d",
        "placeholder_accounts",
        "at_risk_accounts",
    }
)
"""Standing counts change by a few percent a quarter: their lines follow the data, not a zero baseline."""
SHOWN_ON = {"active_share_30d": "active_users_30d", "active_share_90d": "active_users_90d"}
"""Shares written on their count's card ("45.7% of enrolled"): a card each would repeat the count's trend."""


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(kpi: str, value) -> str:
    if _missing(value):
        return "–"
    if kpi in RATE_KPIS:
        return f"{value:.1%}"
    if kpi in PER_THOUSAND_KPIS:
        return f"{value:,.1f}"
    return f"{int(value):,}"


@dataclass(frozen=True)
class Change:
    arrow: str
    text: str
    verdict: str  # better, worse, neutral, unchanged, none

    @property
    def color(self) -> str:
        return VERDICT_COLORS[self.verdict]

    @property
    def word(self) -> str:
        return VERDICT_WORDS.get(self.verdict, "")

    @property
    def title(self) -> str:
        return {
            "better": "Better than the previous range",
            "worse": "Worse than the previous range",
            "neutral": "Changed against the previous range (neither good nor bad in itself)",
            "unchanged": "Same as the previous range",
            "none": "No figure to compare with",
        }[self.verdict]


NOT_COMPARED = {
    "none": "no data in the previous range",
    "part": "previous range only partly loaded: not compared",
}
"""What a card says instead of a change when the data does not cover the range it would compare with."""


def describe_change(kpi: str, change, previous=None, *, coverage: str = "whole") -> Change:
    """The arrow, the signed change (with its percentage of `previous` for counts) and whether the
    change is good news for this KPI.

    Not compared unless the data covers the whole previous range (`coverage`, see
    `ranges.coverage`): against a range the data only starts in, a count would look like growth.
    """
    if coverage != "whole":
        return Change("", NOT_COMPARED[coverage], "none")
    if _missing(change):
        return Change("", "no earlier figure", "none")
    if change == 0:
        return Change("→", "no change", "unchanged")
    arrow = "▲" if change > 0 else "▼"
    sign = "+" if change > 0 else "−"
    size = abs(change)
    if kpi in RATE_KPIS:
        text = f"{sign}{size * 100:.1f} pp"
    elif kpi in PER_THOUSAND_KPIS:
        text = f"{sign}{size:,.1f}{_percent(change, previous)}"
    else:
        text = f"{sign}{int(size):,}{_percent(change, previous)}"
    direction = GOOD_WHEN.get(kpi, 0)
    verdict = "neutral" if direction == 0 else "better" if (change > 0) == (direction > 0) else "worse"
    return Change(arrow, text, verdict)


def _percent(change, previous) -> str:
    """The change as a percentage of the previous figure; a rise from nothing has none."""
    if _missing(previous):
        return ""
    if previous == 0:
        return " (from 0)"
    sign = "+" if change > 0 else "−"
    ratio = abs(change) / abs(previous)
    return f" ({sign}{ratio:.0%})" if ratio >= 0.1 else f" ({sign}{ratio:.1%})"


def trend_filters(filters: Filters) -> Filters:
    """The view's grain, or a coarser one when the range holds more periods than a sparkline needs."""
    coarser = GRAINS[GRAINS.index(filters.grain) :]
    for grain in coarser:
        candidate = replace(filters, grain=grain)
        if len(periods(candidate)) <= TREND_MAX_POINTS:
            return candidate
    return replace(filters, grain=coarser[-1])


def trend_series(kpi: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The KPI per period (period_start, value), straight from its source period table."""
    source, column = TREND_SOURCES[kpi]
    table = tables[source]
    return pd.DataFrame({"period_start": table["period_start"], "value": table[column]})


def sparkline(kpi: str, trend: pd.DataFrame, grain: str, label: str) -> go.Figure:
    """A small line of the KPI per period; hover gives the period and the value with its unit."""
    figure = go.Figure()
    values = trend["value"]
    if trend.empty or not values.fillna(0).to_numpy().any():
        figure.add_annotation(text="no data in this range", showarrow=False, font={"size": 11, "color": NEITHER_TEXT})
    else:
        value_format = "%{y:.1%}" if kpi in RATE_KPIS else "%{y:,.1f}" if kpi in PER_THOUSAND_KPIS else "%{y:,}"
        figure.add_trace(
            go.Scatter(
                x=trend["period_start"],
                y=values,
                mode="lines",
                line={"color": NEUTRAL_LINE, "width": 2},
                fill=None if kpi in STOCK_KPIS else "tozeroy",
                fillcolor=_tint(NEUTRAL_LINE),
                hovertemplate=f"{GRAIN_TITLES[grain]} %{{x|%Y-%m-%d}}<br>{label}: {value_format}<extra></extra>",
                name=label,
            )
        )
    figure.update_layout(
        template=None,  # eight of these per page: a template costs more to build than the line it styles
        height=64,
        margin={"l": 0, "r": 0, "t": 4, "b": 4},
        showlegend=False,
        hovermode="x",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    figure.update_xaxes(visible=False, fixedrange=True)
    figure.update_yaxes(visible=False, fixedrange=True, rangemode="normal" if kpi in STOCK_KPIS else "tozero")
    return figure


def _tint(color: str) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},0.12)"


def previous_coverage(filters: Filters, extent) -> str:
    """How much of the previous range (`metrics.previous_range`) the loaded data covers."""
    before = previous_range(filters)
    return ranges.coverage((before.start, before.end), extent)


def has_any_figure(kpis: pd.DataFrame) -> bool:
    """False when every headline figure is zero or empty: nothing in this range or segment."""
    return bool(kpis["value"].fillna(0).astype(float).to_numpy().any())


def describe_unusual(row: dict) -> str:
    """One line for a figure outside its usual range: the figure, the range, and how far off, as
    "Lockout events 31: above the usual 4–18, 2.8x the median of 11"."""
    kpi = row["series"]
    usual = f"{format_value(kpi, row['low'])}–{format_value(kpi, row['high'])}"
    if kpi in RATE_KPIS:
        gap = f"{abs(row['value'] - row['usual']) * 100:.1f} pp from the median of {format_value(kpi, row['usual'])}"
    elif row["usual"]:
        gap = f"{row['value'] / row['usual']:.1f}x the median of {format_value(kpi, row['usual'])}"
    else:
        gap = "usually none"
    return f"{row['label']} {format_value(kpi, row['value'])}: {row['outside']} the usual {usual}, {gap}"
