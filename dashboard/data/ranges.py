"""Named date ranges (presets), the default range a page opens on, and the range a view is compared with.

Presets count back from the newest day of loaded data, not from the server's today: a warehouse that
is loaded nightly, or a demo source written months ago, still opens on a range full of data. A
preset is only a way of choosing start and end; the URL carries the dates it chose, so a link made
today shows the same figures next month.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

Range = tuple[date, date]

PRESETS = (
    ("last_7_days", "Last 7 days"),
    ("last_full_week", "Last full week"),
    ("month_to_date", "Month to date"),
    ("last_full_month", "Last full month"),
    ("last_90_days", "Last 90 days"),
    ("all", "All data"),
)
PRESET_LABELS = dict(PRESETS)
DEFAULT_PRESET = "last_full_month"
"""Pages open on the last whole calendar month: no period of it is partial, it reads at day grain
(weekday patterns show), and it has a whole month before it to compare with."""


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _month_before(day: date) -> date:
    """The first day of the month before `day`'s month."""
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def preset_range(name: str, extent: Range) -> Range:
    """The dates a preset stands for, over data that runs from extent[0] to extent[1].

    "Full" weeks and months are the latest ones that end on or before the newest day of data; a
    range may start before the first day of data (its figures then say so, see `coverage`)."""
    first, newest = extent
    if name == "last_7_days":
        return newest - timedelta(days=6), newest
    if name == "last_90_days":
        return newest - timedelta(days=89), newest
    if name == "month_to_date":
        return newest.replace(day=1), newest
    if name == "last_full_week":
        sunday = newest - timedelta(days=(newest.weekday() + 1) % 7)
        return sunday - timedelta(days=6), sunday
    if name == "last_full_month":
        end = newest if newest == _month_end(newest) else newest.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if name == "all":
        return first, newest
    raise ValueError(f"unknown range preset {name!r}")


MATCH_ORDER = ("last_full_week", "last_full_month", "all", "last_7_days", "month_to_date", "last_90_days")
"""When two presets stand for the same days (data that ends on a month's last day makes the month to
date the last full month), the picker names the whole period."""


def matching_preset(start: date, end: date, extent: Range | None) -> str | None:
    """The preset that stands for exactly start..end over this data, if any (the picker shows it)."""
    if extent is None:
        return None
    return next((name for name in MATCH_ORDER if preset_range(name, extent) == (start, end)), None)


def default_range(extent: Range) -> Range:
    """The range a page opens on: the default preset when the data covers it and the range before it,
    so its figures can be compared; otherwise (a short history) all the data."""
    start, end = preset_range(DEFAULT_PRESET, extent)
    if coverage(previous_range(start, end), extent) == "whole":
        return start, end
    return extent


def previous_range(start: date, end: date) -> Range:
    """The range a view is compared with: the calendar period before it when the view is whole
    calendar months (or a month to date: the same days of the month before), else the range of
    equal length that ends the day before `start`."""
    if start.day == 1 and end == _month_end(end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first = start
        for _ in range(months):
            first = _month_before(first)
        return first, start - timedelta(days=1)
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        first = _month_before(start)
        return first, first.replace(day=min(end.day, _month_end(first).day))
    length = end - start
    before = start - timedelta(days=1)
    return before - length, before


def coverage(span: Range, extent: Range | None) -> str:
    """How much of a range the loaded data covers: "whole", "part" (it starts inside the range) or "none"."""
    if extent is None or span[1] < extent[0] or span[0] > extent[1]:
        return "none"
    return "whole" if span[0] >= extent[0] else "part"
