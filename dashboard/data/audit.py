"""The audit log's filters, as the Audit log page and its CSV export read them, and the entries they select.

The page and the export read their filters with the same parser, so the file holds exactly the
entries the page describes (without the page's display cap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from dashboard.auth.store import AUDIT_COLUMNS, UserStore
from dashboard.data.params import BadParameter, check_known, parse_date, parse_text

AUDIT_PARAMETERS = frozenset({"actor", "action", "target", "start", "end"})


@dataclass(frozen=True)
class AuditFilters:
    """Which audit entries to show or export; `end` is an inclusive day, as people say date ranges."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    start: date | None = None
    end: date | None = None

    def query(self) -> dict[str, str]:
        """The filters as query parameters, for links that reproduce the view."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }
        return {name: value for name, value in values.items() if value}


def parse_audit_filters(args: Mapping[str, str]) -> AuditFilters:
    """The filters from a query string, strictly: a misspelt parameter must not export the whole log."""
    check_known(args, AUDIT_PARAMETERS)
    start, end = parse_date(args, "start"), parse_date(args, "end")
    if start and end and start > end:
        raise BadParameter(f"start {start.isoformat()} is after end {end.isoformat()}")
    return AuditFilters(
        actor=parse_text(args, "actor"),
        action=parse_text(args, "action"),
        target=parse_text(args, "target"),
        start=start,
        end=end,
    )


def audit_frame(users: UserStore, filters: AuditFilters, limit: int | None = None) -> pd.DataFrame:
    """Matching entries newest first, with every column of the log in its own order."""
    frame = users.audit_entries(
        actor=filters.actor,
        action=filters.action,
        target=filters.target,
        start=datetime.combine(filters.start, time()) if filters.start else None,
        end=_end_bound(filters.end),
        limit=limit,
    )
    return frame[list(AUDIT_COLUMNS)]


def _end_bound(end: date | None) -> datetime | None:
    """The moment after the inclusive end day; the last day a date can name (9999-12-31) is an open end."""
    if end is None or end == date.max:
        return None
    return datetime.combine(end + timedelta(days=1), time())


def audit_file_name(filters: AuditFilters) -> str:
    """`audit_log_<start>_<end>` (the route adds the file type); an open start says so, an open end is the
    day of the export."""
    start = filters.start.isoformat() if filters.start else "beginning"
    end = (filters.end or datetime.now(UTC).date()).isoformat()
    return f"audit_log_{start}_{end}"
