"""Whether a page's figures are current, in words every page shows under the time of the last load.

Three things make figures doubtful, each worth a warning of its own: the last load is older than
`[freshness] max_load_age_hours` (the scheduled `etl run` has stopped), the newest event it holds is
more than `max_event_lag_hours` before it (the billing system has stopped writing its activity log,
or the load reads the wrong one), or the newest run failed (the figures are the load before it). None
of them makes a new load, so pages kept per load (dashboard/web/page_cache.py) cannot carry them: the
state is read, and these words written, for every view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.data.clock import as_utc, shown, span
from portal.config import FreshnessConfig


@dataclass(frozen=True)
class LoadState:
    """What the warehouse says of its loads, instants in naive UTC as it keeps them."""

    loaded_at: datetime | None = None
    """When the last successful load finished; None before the first."""
    newest_event_at: datetime | None = None
    """The newest event instant that load holds."""
    failed_at: datetime | None = None
    """When the newest run failed, if no load has succeeded since; None otherwise."""
    failure: str | None = None
    """That run's one-line reason."""


@dataclass(frozen=True)
class Notice:
    """One warning: its kind (`failed`, `old`, `lag`) and the sentence a page shows."""

    kind: str
    text: str


def notices(state: LoadState, limits: FreshnessConfig, zone: ZoneInfo, now: datetime) -> list[Notice]:
    """The warnings the state calls for at `now` (aware), the failed run first: it says which figures are shown."""
    found = []
    if state.failed_at is not None:
        figures = (
            f"figures are from the load of {shown(state.loaded_at, zone)}"
            if state.loaded_at is not None
            else "nothing has been loaded yet"
        )
        reason = (state.failure or "no reason recorded").rstrip(".")
        found.append(Notice("failed", f"The last load failed at {shown(state.failed_at, zone)}: {reason}; {figures}."))
    if state.loaded_at is None:
        return found
    loaded = as_utc(state.loaded_at)
    age = now - loaded
    if age > timedelta(hours=limits.max_load_age_hours):
        found.append(
            Notice(
                "old",
                f"The data is {span(age)} old, more than the {limits.max_load_age_hours} hours allowed: "
                "is the scheduled load (python -m etl run) still running?",
            )
        )
    if state.newest_event_at is not None:
        lag = loaded - as_utc(state.newest_event_at)
        if lag > timedelta(hours=limits.max_event_lag_hours):
            found.append(
                Notice(
                    "lag",
                    f"The newest event is from {shown(state.newest_event_at, zone)}, {span(lag)} before the load: "
                    "is the billing system still writing its activity log?",
                )
            )
    return found
