"""The view every figure is cut to: a date range, a grain and one segment or all.

It lives in the query string (`?start=2026-03-01&end=2026-03-31&grain=week&segment=Business`), so
a link, a reload or Back reproduces what was on screen. This module reads it (strictly for exports,
with a fallback for pages) and writes it back; nothing else spells its parameters.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, true

from dashboard.data.params import BadParameter, parse_date
from dashboard.data.ranges import default_range

GRAINS = ("day", "week", "month")
VIEW_PARAMETERS = frozenset({"start", "end", "grain", "segment"})
LONGEST_RANGE_DAYS = 366 * 50


@dataclass(frozen=True)
class Filters:
    """An inclusive date range, a grain and one segment or all (None)."""

    start: date
    end: date
    grain: str = "day"
    segment: str | None = None

    @property
    def start_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.start)

    @property
    def end_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.end)

    def segment_condition(self, column) -> ColumnElement[bool]:
        """The segment cut in SQL: the column equal to the chosen segment, or true for all segments."""
        return true() if self.segment is None else column == self.segment

    def query(self) -> dict[str, str]:
        """The view as query parameters, the way `parse` reads them back (no segment means all)."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat(), "grain": self.grain}
        if self.segment:
            params["segment"] = self.segment
        return params

    @classmethod
    def parse(cls, args: Mapping[str, str], extent: tuple[date, date] | None, default_grain: str = "day") -> Filters:
        """The view from `start`, `end`, `grain` and `segment`; a missing bound is the data's own.

        Raises BadParameter: a script that sends a date the wrong way round must hear so, not
        receive a plausible file for some other view.
        """
        start, end = parse_date(args, "start"), parse_date(args, "end")
        grain = (args.get("grain") or default_grain).strip().lower()
        if grain not in GRAINS:
            raise BadParameter(f"grain must be one of {', '.join(GRAINS)}, got {args.get('grain')!r}")
        today = date.today()
        low, high = extent or (today, today)
        start = start or min(low, end or low)
        end = end or max(high, start)
        if start > end:
            raise BadParameter(f"start {start.isoformat()} is after end {end.isoformat()}")
        if (end - start).days > LONGEST_RANGE_DAYS:
            raise BadParameter("the range from start to end is longer than 50 years")
        segment = (args.get("segment") or "").strip() or None
        return cls(start=start, end=end, grain=grain, segment=segment)

    @classmethod
    def read(
        cls, args: Mapping[str, str], extent: tuple[date, date] | None, default_grain: str | None = None
    ) -> tuple[Filters, str | None]:
        """The view a page shows for a query string, and a one-line problem when the string was bad.

        A page never fails on a bad link: it shows the default view and says why. Without dates it
        opens on the default range (`ranges.default_range`), which an export without dates does
        not: a file without dates holds all the data. Without a grain (or with a bad string) the
        grain is `default_grain`, or else the one that suits the range, so a long range stays readable.
        """
        try:
            filters, problem = cls.parse(_dated(args, extent), extent, default_grain or "day"), None
        except BadParameter as error:
            filters, problem = cls.parse(_dated({}, extent), extent, default_grain or "day"), str(error)
        if default_grain is None and (problem is not None or not (args.get("grain") or "").strip()):
            filters = replace(filters, grain=fitting_grain(filters.start, filters.end))
        return filters, problem


def _dated(args: Mapping[str, str], extent: tuple[date, date] | None) -> Mapping[str, str]:
    """The query with the default range's dates when it names neither start nor end."""
    if extent is None or (args.get("start") or "").strip() or (args.get("end") or "").strip():
        return args
    start, end = default_range(extent)
    return {**args, "start": start.isoformat(), "end": end.isoformat()}


def fitting_grain(start: date, end: date) -> str:
    """The finest grain that keeps a range to a readable number of periods: days up to two months,
    weeks up to about a year (53 at most), months beyond (three years of weeks were 150 bars a chart,
    more than the eye takes in and a second of drawing)."""
    days = (end - start).days + 1
    if days <= 62:
        return "day"
    return "week" if days <= 371 else "month"


def view_only(query: Mapping[str, str]) -> dict[str, str]:
    """Only the view's parameters of a query string: the query without any slice."""
    return {k: v for k, v in query.items() if k in VIEW_PARAMETERS}


def period_label(view: Filters) -> str:
    """A range that is one calendar period reads as that period, any other as from..to."""
    start, end = view.start, view.end
    if start == end:
        return f"Day: {start.isoformat()}"
    if start.weekday() == 0 and end == start + timedelta(days=6):
        return f"Week of {start.isoformat()}"
    month_end = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and (end.year, end.month, end.day) == (start.year, start.month, month_end):
        return f"Month: {calendar.month_name[start.month]} {start.year}"
    return f"{start.isoformat()} to {end.isoformat()}"
