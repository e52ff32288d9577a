"""The one clock every time on the dashboard is shown by: the configured zone, named beside the time.

The warehouse keeps two kinds of time. Instants the portal itself records (loads, failed runs, audit
entries, users' changes) are naive UTC. Times read from the billing source (events, accounts) are naive
wall-clock times in the configured zone, as the loader converted them. A reader must never have to
guess which clock a time is on, so both are shown here, and only here, in that zone and named:
`2026-11-29 07:05 CST (America/Chicago)` for a time on its own, and in grids a column of wall-clock
times whose header names the zone (`At (America/Chicago)`), since a zone on every row is noise (a
grid too narrow for that, or a chart, says `times in America/Chicago` in its note).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd


def now() -> datetime:
    """The current instant, aware, in UTC: what the age of a load is measured against."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored instant as an aware UTC datetime: naive ones are UTC, as the warehouse keeps them."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shown(moment: datetime, zone: ZoneInfo) -> str:
    """A stored instant (naive UTC, or aware) as the zone's wall-clock time, to the minute, the zone named."""
    return _labelled(as_utc(moment).astimezone(zone), zone)


def shown_wall(moment: datetime, zone: ZoneInfo) -> str:
    """A wall-clock time already in the zone (a source time: an event's, an account's), the zone named.

    A time in the repeated hour when clocks fall back reads as its first occurrence, as the loader
    reads such naive source times."""
    return _labelled(moment.replace(tzinfo=zone, fold=0), zone)


def _labelled(local: datetime, zone: ZoneInfo) -> str:
    abbreviation = local.tzname()
    named = zone.key if abbreviation == zone.key else f"{abbreviation} ({zone.key})"
    return f"{local:%Y-%m-%d %H:%M} {named}"


def wall_column(values: pd.Series, zone: ZoneInfo) -> pd.Series:
    """Stored UTC instants as naive wall-clock times in the zone, for a grid column `headed` with it."""
    return pd.to_datetime(values).dt.tz_localize(UTC).dt.tz_convert(zone).dt.tz_localize(None)


def headed(label: str, zone: ZoneInfo) -> str:
    """A grid column's header that names the zone its times are in."""
    return f"{label} ({zone.key})"


def times_in(zone: ZoneInfo) -> str:
    """How a note under a narrow grid or a chart names the zone of the times it shows."""
    return f"times in {zone.key}"


def span(length: timedelta) -> str:
    """A length of time in whole hours up to two days, in whole days beyond, as a warning says it."""
    hours = int(length.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} hour{'' if hours == 1 else 's'}"
    return f"{hours // 24} days"
