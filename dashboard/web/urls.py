"""Every URL the dashboard links to, built in one place from the view and the slice.

Page paths are spelled here once; `register_page`, the navbar, links and redirects all read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from dashboard.data.datasets import export_path
from dashboard.data.series import SERIES

if TYPE_CHECKING:
    from dashboard.data.view import Filters

OVERVIEW = "/"
ADOPTION = "/adoption"
PLACEHOLDER_EMAILS = "/placeholder-emails"
RECOVERY = "/recovery"
RESETS = "/resets"
LOCKOUTS = "/lockouts"
ACCOUNTS = "/accounts"
ACCOUNT = f"{ACCOUNTS}/<account_number>"
"""One account's page: a Dash path template, filled by `account_href`."""
QUALITY = "/quality"
ALERTS = "/alerts"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"

KPI_PAGES: dict[str, str] = {
    "adoption_rate": ADOPTION,
    "enrolled_accounts": ADOPTION,
    "active_users_30d": ADOPTION,
    "active_share_30d": ADOPTION,
    "active_users_90d": ADOPTION,
    "active_share_90d": ADOPTION,
    "placeholder_accounts": PLACEHOLDER_EMAILS,
    "at_risk_accounts": PLACEHOLDER_EMAILS,
    "failed_recovery_attempts": RECOVERY,
    "recovery_success_rate": RECOVERY,
    "self_service_resets": RESETS,
    "staff_resets": RESETS,
    "staff_share_of_resets": RESETS,
    "lockout_events": LOCKOUTS,
    "lockouts_per_1000_enrolled": LOCKOUTS,
}
"""The page that explains each headline figure of `metrics.KPIS`: the overview's cards link to it, and the
`kpis` export names it in its `page` column."""
_TABLE_PAGES = {
    "lockouts": LOCKOUTS,
    "recovery": RECOVERY,
    "resets": RESETS,
    "adoption": ADOPTION,
    "at_risk_changes": PLACEHOLDER_EMAILS,
}
SERIES_PAGES: dict[str, str] = {
    name: KPI_PAGES.get(name) or _TABLE_PAGES[series.table] for name, series in SERIES.items()
}
"""The page that draws each support series of `series.SERIES`: where the overview strip and alerts link."""


def page_href(path: str, filters: Filters) -> str:
    """A page showing this view (dates, grain, segment)."""
    return with_query(path, filters.query())


def account_href(number: object) -> str:
    """One account's page; the number is one path segment, whatever characters it holds."""
    return f"{ACCOUNTS}/{quote(str(number), safe='')}"


def slice_href(slice_query: str) -> str:
    """The account list of a drill-down slice, given as a ready query string."""
    return f"{ACCOUNTS}?{slice_query}"


def clean_query(query: Mapping[str, object]) -> dict[str, str]:
    """A page's query parameters as text; a parameter given twice keeps its last value."""
    out = {}
    for name, value in query.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        if value is not None:
            out[str(name)] = str(value)
    return out


def with_query(path: str, params: Mapping[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def list_href(query: Mapping[str, str], *, drop: Iterable[str] = (), **changes: str | None) -> str:
    """The account list with these parameters dropped or changed (None drops), the rest as they were."""
    params = {k: v for k, v in query.items() if k not in set(drop)}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return with_query(ACCOUNTS, params)


def export_href(dataset: str, params: Mapping[str, str], file_type: str = "csv") -> str:
    """The URL of an export (`/export/<dataset>.csv` or `.xlsx`, or the audit log's own) for these parameters."""
    return with_query(export_path(dataset, file_type), params)
