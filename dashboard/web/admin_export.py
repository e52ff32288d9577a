"""`GET /admin/audit.csv`: the audit log as a streamed CSV file, with the filters of the Audit log page.

The page and this route read their filters with the same parser, so the file holds exactly the
entries the page describes (without the page's display cap). Reading the audit log in bulk is
itself worth recording: the export writes its own audit entry, filters and row count included.
Errors are HTTP 400 or 403 with one line of plain text, like the dataset exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from flask import Blueprint, Response, request

from dashboard.auth.guard import actor, can, remote_addr
from dashboard.auth.roles import Permission
from dashboard.auth.store import AUDIT_COLUMNS, UserStore
from dashboard.auth.web import store
from dashboard.data.params import BadParameter, check_known, parse_date
from dashboard.web.export import csv_response

AUDIT_PARAMETERS = frozenset({"actor", "action", "target", "start", "end"})
NEEDED = (Permission.VIEW_AUDIT, Permission.EXPORT)
"""Both: the audit log is the admins' page, and taking data away is what the export permission governs."""

blueprint = Blueprint("admin_export", __name__)


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


def _text(args: Mapping[str, str], name: str) -> str | None:
    return (args.get(name) or "").strip() or None


def parse_audit_filters(args: Mapping[str, str]) -> AuditFilters:
    """The filters from a query string, strictly: a misspelt parameter must not export the whole log."""
    check_known(args, AUDIT_PARAMETERS)
    start, end = parse_date(args, "start"), parse_date(args, "end")
    if start and end and start > end:
        raise BadParameter(f"start {start.isoformat()} is after end {end.isoformat()}")
    return AuditFilters(
        actor=_text(args, "actor"), action=_text(args, "action"), target=_text(args, "target"), start=start, end=end
    )


def audit_frame(users: UserStore, filters: AuditFilters, limit: int | None = None) -> pd.DataFrame:
    """Matching entries newest first, with every column of the log in its own order."""
    frame = users.audit_entries(
        actor=filters.actor,
        action=filters.action,
        target=filters.target,
        start=datetime.combine(filters.start, time()) if filters.start else None,
        end=datetime.combine(filters.end + timedelta(days=1), time()) if filters.end else None,
        limit=limit,
    )
    return frame[list(AUDIT_COLUMNS)]


def file_name(filters: AuditFilters) -> str:
    """`audit_log_<start>_<end>.csv`; an open start says so, an open end is the day of the export."""
    start = filters.start.isoformat() if filters.start else "beginning"
    end = (filters.end or datetime.now(UTC).date()).isoformat()
    return f"audit_log_{start}_{end}.csv"


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@blueprint.get("/admin/audit.csv")
def audit_csv() -> Response:
    """Checked here, not only by the page: the URL can be fetched without ever opening the page."""
    if not all(can(permission) for permission in NEEDED):
        return _plain(403, "not allowed: the audit log export needs the view_audit and export permissions")
    try:
        filters = parse_audit_filters(request.args)
    except BadParameter as error:
        return _plain(400, str(error))
    users = store()
    frame = audit_frame(users, filters)
    users.audit(
        actor(), "export", "audit_log", {"filters": dict(request.args)}, rows=len(frame), remote_addr=remote_addr()
    )
    return csv_response(frame, file_name(filters))
