"""The weekly digest's content: one ISO week of every support series against its usual band, in plain
words first ("Lockout events 31, usual 9-14, up 3.4x"), each figure with a link to its page, the
alerts open that week, and the weeks before it for a chart.

The band is `Warehouse.band`, the one the pages shade and the alerts judge, and the figures and bands
are worded by `message.figure` and `message.band` as the alert emails word them, so a digest, a chart
and an alert never disagree. Built from period tables and stored alerts: counts, rates and series
names, never an account, email or username.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.alerts import store
from dashboard.alerts.evaluate import complete_through
from dashboard.alerts.message import PRODUCT, describe, link
from dashboard.data.band_words import figure, usual_range
from dashboard.data.series import OVERVIEW_SERIES, SERIES
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web.urls import SERIES_PAGES, page_href

DIGEST_SERIES = (*OVERVIEW_SERIES, "new_at_risk")
"""What the overview strip checks, and the new accounts that cannot recover a password by themselves."""
CONTEXT_WEEKS = 11
"""Weeks before the digest's week on its charts and behind its links, as the overview strip links: enough to
see the usual range."""
WEEK = re.compile(r"(\d{4})-W(\d{2})")


class WeekError(ValueError):
    """A week there can be no digest of: not an ISO week, or one the loaded data does not reach. Its
    message is one line naming the week."""


def parse_week(text: str) -> date:
    """The Monday of an ISO week written `YYYY-Www` (2026-W12)."""
    found = WEEK.fullmatch(text.strip())
    if not found:
        raise WeekError(f"--week {text!r}: expected an ISO week as YYYY-Www, such as 2026-W12")
    year, number = int(found[1]), int(found[2])
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        raise WeekError(f"--week {text!r}: {year} has no ISO week {number}") from None


def last_full_week(today: date) -> date:
    """The Monday of the last whole calendar week before `today` (a Monday cron sends the week just ended)."""
    return today - timedelta(days=today.weekday() + 7)


def week_name(monday: date) -> str:
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Figure:
    """One series in the digest's week: its figures against the band, in words, with its link and chart data."""

    series: str
    label: str
    rate: bool
    value: float
    usual: float
    low: float
    high: float
    outside: str
    """"above", "below", or "" (inside, or no band)."""
    words: str
    alt: str
    """The chart in words: its text alternative."""
    link: str
    history: pd.DataFrame
    """`Warehouse.band`'s rows for the week and the `CONTEXT_WEEKS` before it, for the chart."""


@dataclass(frozen=True)
class AlertLine:
    words: str
    link: str


@dataclass(frozen=True)
class Digest:
    week: Filters
    figures: list[Figure]
    alerts: list[AlertLine]
    partial_through: date | None
    """The last whole day of data when the week is not whole yet (its figures are not final), else None."""

    @property
    def name(self) -> str:
        return week_name(self.week.start)

    @property
    def span(self) -> str:
        return f"{self.week.start:%a %d %b} to {self.week.end:%a %d %b %Y}"

    @property
    def unusual(self) -> list[Figure]:
        return [f for f in self.figures if f.outside]

    @property
    def subject(self) -> str:
        count = len(self.unusual)
        verdict = f"{count} outside the usual" if count else "all inside the usual"
        if self.partial_through is not None:
            verdict = "not whole yet"
        return f"[{PRODUCT}] Weekly digest {self.name} ({self.span}): {verdict}"

    @property
    def summary(self) -> str:
        count, total = len(self.unusual), len(self.figures)
        if self.partial_through is not None:
            return "The week is not whole yet, so no figure is judged against its usual range."
        if not count:
            return f"All {total} figures were inside their usual range this week."
        names = ", ".join(f.label for f in self.unusual)
        were = "was" if count == 1 else "were"
        return f"{count} of {total} figures {were} outside their usual range this week: {names}."


def compose(warehouse: Warehouse, monday: date, dashboard_url: str, zone: ZoneInfo) -> Digest:
    """The digest of the week starting `monday`, all segments."""
    week = Filters(monday, monday + timedelta(days=6), "week")
    context = Filters(monday - timedelta(weeks=CONTEXT_WEEKS), week.end, "week")
    base = dashboard_url.rstrip("/")
    extent, through = warehouse.extent(), complete_through(warehouse, zone)
    _check_covered(week, extent, through)
    partial = through if through < week.end else None
    figures = []
    for name in DIGEST_SERIES:
        history = _within(warehouse.band(name, context), extent)
        href = base + page_href(SERIES_PAGES[name], context)
        figures.append(_figure(name, history, href, partial is not None))
    with warehouse.engine.connect() as connection:
        alerts = [a for a in store.all_alerts(connection) if _open_in(a, week)]
    lines = [AlertLine(_alert_words(a), link(a, dashboard_url)) for a in alerts]
    return Digest(week, figures, lines, partial)


def _check_covered(week: Filters, extent: tuple[date, date] | None, through: date | None) -> None:
    """A week the data does not reach has no figures to send: zeros worded "as usual" would hide a stopped
    load, or a week asked for by mistake."""
    name = week_name(week.start)
    if extent is None or through is None:
        raise WeekError(f"week {name}: no whole day is loaded yet, so there is nothing to send")
    if through < week.start:
        raise WeekError(
            f"week {name}: the loaded data holds whole days only through {through:%a %d %b %Y}, before the week "
            "starts (is the scheduled etl run working?)"
        )
    if week.end < extent[0]:
        raise WeekError(f"week {name}: the loaded data starts on {extent[0]:%a %d %b %Y}, after the week ends")


def _within(history: pd.DataFrame, extent: tuple[date, date] | None) -> pd.DataFrame:
    """Weeks that start before the data does read as no figure, not as a quiet week of 0: the band leaves
    them out of every usual range, and the chart and its words do the same."""
    if extent is None:
        return history
    before = pd.to_datetime(history["period_start"]) < pd.Timestamp(extent[0])
    return history.assign(value=history["value"].astype(float).mask(before.to_numpy()))


def _figure(name: str, history: pd.DataFrame, href: str, partial: bool) -> Figure:
    one = SERIES[name]
    rate = not one.count
    row = history.iloc[-1]
    value, usual, low, high = (float(row[c]) for c in ("value", "usual", "low", "high"))
    return Figure(
        name,
        one.label,
        rate,
        value,
        usual,
        low,
        high,
        row["outside"],
        words(one.label, value, usual, low, high, row["outside"], rate, partial=partial),
        _alt(one.label, history, rate),
        href,
        history,
    )


def words(
    label: str, value: float, usual: float, low: float, high: float, outside: str, rate: bool, *, partial: bool = False
) -> str:
    """One figure against its band: "Lockout events 31, usual 9-14, up 3.4x"; a rate's gap in points. A week
    not yet whole is judged by nobody (the band judges whole periods only): its figure is "so far"."""
    if math.isnan(value):
        return f"{label}: none this week (nothing to take a share of)"
    if math.isnan(usual):
        return f"{label} {figure(value, rate)}, no usual range yet (too few weeks before it)"
    how = "so far, the week is not whole yet" if partial else "as usual"
    if outside and rate:
        points = abs(value - usual) * 100
        how = f"{'up' if outside == 'above' else 'down'} {points:.1f} points"
    elif outside == "above":
        how = f"up {value / usual:.1f}x" if usual else "usually none"
    elif outside == "below":
        how = f"down {1 - value / usual:.0%}"
    return f"{label} {figure(value, rate)}, usual {usual_range(low, high, rate)}, {how}"


def _alt(label: str, history: pd.DataFrame, rate: bool) -> str:
    """What the chart shows, for a reader who cannot see it: the week's figure, where it lies, and the
    range of the weeks before."""
    row, before = history.iloc[-1], history.iloc[:-1]["value"].dropna()
    first = pd.Timestamp(history["period_start"].iloc[0])
    monday = pd.Timestamp(row["period_start"])
    where = {"above": "above", "below": "below"}.get(row["outside"], "inside")
    span = f"Line chart of {label.lower()} per week from the week of {first:%d %b %Y} to the week of {monday:%d %b %Y}"
    if history["value"].isna().all():
        return f"{span}: no figure in any of these weeks (nothing to take a share of)."
    if math.isnan(float(row["usual"])):
        position = "with no usual range yet"
    else:
        position = f"{where} its usual range of {usual_range(float(row['low']), float(row['high']), rate)}"
    last = (
        "The last week has no figure"
        if math.isnan(float(row["value"]))
        else f"The last week is {figure(float(row['value']), rate)}, {position}"
    )
    text = f"{span}, with the usual range shaded. {last}."
    if not before.empty:
        text += (
            f" The {len(before)} weeks before ranged from {figure(before.min(), rate)} to {figure(before.max(), rate)}."
        )
    return text


def _open_in(alert: store.Alert, week: Filters) -> bool:
    """Open at some time in the week: raised on a period up to its end, and still open or running into it."""
    if alert.period_start > week.end:
        return False
    last_end = alert.last_period_start + timedelta(days=6 if alert.grain == "week" else 0)
    return alert.state == store.OPENED or last_end >= week.start


def _alert_words(alert: store.Alert) -> str:
    state = "Still open." if alert.state == store.OPENED else f"Closed on {alert.closed_at:%Y-%m-%d}."
    return f"{describe(alert)} {state}"
