"""Judging the rules: which whole periods a load completed, and whether each lies outside its usual band.

The band is `Warehouse.band`, the very figures the pages shade, so an alert and a chart never disagree.
A period is judged only once complete: it ends before the day of the newest event loaded, since that
day (in the configured zone) may still be filling. Rates are judged on periods with enough events to
be a share of (`rules.RATE_VOLUMES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.alerts.rules import RATE_VOLUMES, Rule
from dashboard.data.alert_list import period_end
from dashboard.data.baseline import WIDTH
from dashboard.data.clock import as_utc
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse


@dataclass(frozen=True)
class Judgement:
    """One whole period of one rule's series against its usual band."""

    rule: Rule
    period_start: date
    value: float
    usual: float
    low: float
    high: float
    volume: float
    alerting: bool

    @property
    def period_end(self) -> date:
        return period_end(self.period_start, self.rule.settings.grain)


def period_of(day: date, grain: str) -> date:
    """The first day of the day's period (ISO weeks start on Monday)."""
    return day - timedelta(days=day.weekday()) if grain == "week" else day


def complete_through(warehouse: Warehouse, zone: ZoneInfo) -> date | None:
    """The last day the loaded data holds whole: the day before the newest event's, in the zone. None
    before the first load."""
    newest = warehouse.load_state().newest_event_at
    if newest is None:
        return None
    return as_utc(newest).astimezone(zone).date() - timedelta(days=1)


def last_complete_period(through: date, grain: str) -> date:
    """The start of the newest period that ends on or before `through`."""
    start = period_of(through, grain)
    return start if period_end(start, grain) <= through else start - timedelta(days=7)


def judge(warehouse: Warehouse, rule: Rule, first: date, through: date) -> list[Judgement]:
    """The rule's whole periods from the one holding `first` to the last ending by `through`, oldest
    first; periods without a band (too little history) are left out, as the pages leave them unshaded."""
    grain = rule.settings.grain
    last = last_complete_period(through, grain)
    start = min(period_of(first, grain), last)
    if period_end(last, grain) < start:
        return []
    view = Filters(start, period_end(last, grain), grain, rule.settings.segment)
    band = warehouse.band(rule.settings.series, view)
    volumes = _volumes(warehouse, rule, view, band)
    out = []
    for row, volume in zip(band.itertuples(index=False), volumes, strict=True):
        if any(pd.isna(v) for v in (row.value, row.usual, row.high)) or math.isnan(volume):
            continue
        out.append(
            Judgement(
                rule,
                pd.Timestamp(row.period_start).date(),
                float(row.value),
                float(row.usual),
                float(row.low),
                float(row.high),
                float(volume),
                _alerting(rule, float(row.value), float(row.usual), float(row.low), float(row.high), float(volume)),
            )
        )
    return out


def _alerting(rule: Rule, value: float, usual: float, low: float, high: float, volume: float) -> bool:
    """Outside the band by the rule's extra spreads, in its direction, on enough volume."""
    settings = rule.settings
    spread = (high - usual) / WIDTH
    if volume < settings.min_volume:
        return False
    if settings.direction == "up":
        return value > high + settings.spreads * spread
    return value < low - settings.spreads * spread


def _volumes(warehouse: Warehouse, rule: Rule, view: Filters, band: pd.DataFrame) -> list[float]:
    """Per period of the band, the volume `min_volume` is held to: a count's own value going up and its
    usual going down (a drop from a usual 1 to 0 is no news); for a rate, the events it is a share of."""
    name = rule.settings.series
    if name in RATE_VOLUMES:
        table_name, columns = RATE_VOLUMES[name]
        table = getattr(warehouse, table_name)(view).set_index("period_start")
        parts = table[list(columns)].sum(axis=1)
        return [float(parts.get(pd.Timestamp(p), float("nan"))) for p in band["period_start"]]
    if not rule.series.count:
        return [math.inf] * len(band)
    column = "value" if rule.settings.direction == "up" else "usual"
    return [float("nan") if pd.isna(v) else float(v) for v in band[column]]
