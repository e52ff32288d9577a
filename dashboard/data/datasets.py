"""Every CSV export by name: what it reads, which parameters it takes, who may take it, how its file is named.

The dataset exports of SPEC section 5 are served at `/export/<name>.csv`, each with an Excel twin at
`/export/<name>.xlsx`; the audit log keeps its own URL beside its page, `/admin/audit.csv` (and
`.xlsx`). One route (`dashboard.web.export`) serves them all from
this table, with one permission check, and pages build their download links from it, so a link
and the file it fetches never disagree. Nothing here knows about HTTP: a builder raises
BadParameter for a bad request, which the route answers with its one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, NamedTuple

import pandas as pd

from dashboard.auth.roles import Permission
from dashboard.data.alert_list import ALERT_PARAMETERS, AlertFilters, alert_frame, alerts_file_name
from dashboard.data.audit import AUDIT_PARAMETERS, audit_file_name, audit_frame, parse_audit_filters
from dashboard.data.params import BadParameter, check_known, parse_int, parse_text
from dashboard.data.slices import ACCOUNT_PARAMETERS, AccountFilters
from dashboard.data.view import VIEW_PARAMETERS, Filters
from dashboard.data.warehouse import Warehouse

EXPORT_PATH = "/export/{name}"
"""Where a dataset's files are, less the file type (`export_path` adds it)."""
FILE_TYPES = ("csv", "xlsx")
"""Every export comes as CSV (the default) and as an Excel workbook, with the same rows."""


def view_filters(args: Mapping[str, str], parameters: frozenset[str], warehouse: Warehouse) -> Filters:
    """The view of a dataset export, strictly: an unknown parameter or a bad value raises BadParameter."""
    check_known(args, parameters)
    return Filters.parse(args, warehouse.extent())


def view_file_name(name: str, filters: Filters) -> str:
    """Names that say what the file holds, so a folder of exports stays legible; the route adds the type."""
    parts = [name, filters.start.isoformat(), filters.end.isoformat(), filters.grain, filters.segment or "all-segments"]
    safe = "_".join(parts)
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in safe)


class Dataset(NamedTuple):
    """One export: `read(args, parameters, source)` parses the request's filters and
    `build(source, filters, args, unmasked)` makes the frame, both raising BadParameter for a bad
    request. The source is the warehouse, or for the audit log the user store, whose rows are no
    customer's: its exports do not record masking."""

    parameters: frozenset[str]
    build: Callable[[Any, Any, Mapping[str, str], bool], pd.DataFrame]
    permissions: tuple[Permission, ...] = (Permission.EXPORT,)
    unmaskable: bool = False
    """Whether a user with the unmask permission gets emails and usernames in the clear."""
    source: Literal["warehouse", "users"] = "warehouse"
    read: Callable[[Mapping[str, str], frozenset[str], Any], Any] = view_filters
    file_name: Callable[[str, Any], str] = view_file_name
    path: str = EXPORT_PATH
    refusal: str | None = None
    """The one line a user without every permission gets; by default it names the first one missing."""
    frames: Callable[[Any, Any, Mapping[str, str], bool], Iterator[pd.DataFrame]] | None = None
    """The same rows as `build` in frames read as they are sent, for datasets of up to millions of rows."""


def _account_param(args: Mapping[str, str]) -> str:
    account = parse_text(args, "account")
    if not account:
        raise BadParameter("this dataset needs an account parameter, e.g. ?account=A0000001")
    return account


def _limit(args: Mapping[str, str]) -> int:
    return parse_int(args, "limit", 1, 100_000) or 20


REGISTRY: dict[str, Dataset] = {
    "adoption": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.adoption(f)),
    "recovery": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.recovery(f)),
    "recovery_attempts": Dataset(
        VIEW_PARAMETERS,
        lambda w, f, a, u: w.recovery_attempts(f),
        frames=lambda w, f, a, u: w.recovery_attempt_frames(f),
    ),
    "resets": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.resets(f)),
    "lockouts": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.lockouts(f)),
    "rates": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.rates(f)),
    "active_users": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.active_users(f)),
    "accounts": Dataset(
        VIEW_PARAMETERS | ACCOUNT_PARAMETERS,
        lambda w, f, a, u: w.accounts(f, AccountFilters.parse(a), unmasked=u),
        unmaskable=True,
        frames=lambda w, f, a, u: w.account_frames(f, AccountFilters.parse(a), unmasked=u),
    ),
    "activity": Dataset(
        VIEW_PARAMETERS | {"account"},
        lambda w, f, a, u: w.activity(_account_param(a), f, unmasked=u),
        unmaskable=True,
    ),
    # The quality report is the analysts' page: its export needs that permission too.
    "quality": Dataset(
        VIEW_PARAMETERS,
        lambda w, f, a, u: w.quality(unmasked=u),
        permissions=(Permission.EXPORT, Permission.VIEW_QUALITY),
        unmaskable=True,
    ),
    "kpis": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.kpis(f)),
    "email_statuses": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.email_status_over_time(f)),
    "at_risk_changes": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.at_risk_changes(f)),
    "email_status_breakdown": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.email_status_breakdown(f)),
    "adoption_by_segment": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.adoption_by_segment(f)),
    "enrollment_funnel": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.enrollment_funnel(f)),
    "recovery_funnel": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.recovery_funnel(f)),
    "reset_heatmap": Dataset(VIEW_PARAMETERS, lambda w, f, a, u: w.reset_heatmap(f)),
    "most_locked": Dataset(VIEW_PARAMETERS | {"limit"}, lambda w, f, a, u: w.most_locked(f, _limit(a))),
    "account_attempts": Dataset(VIEW_PARAMETERS | {"account"}, lambda w, f, a, u: w.attempts_of(_account_param(a))),
    # The alerts of the Alerts page, with its filters: counts and rates, no customer's data to mask.
    "alerts": Dataset(
        ALERT_PARAMETERS,
        lambda w, f, a, u: alert_frame(w.engine, f),
        read=lambda args, _parameters, _warehouse: AlertFilters.parse(args),
        file_name=lambda _name, filters: alerts_file_name(filters),
    ),
    # Both permissions: the audit log is the admins' page, and taking data away is what the export
    # permission governs. Reading the log in bulk is itself audited, like every export.
    "audit_log": Dataset(
        AUDIT_PARAMETERS,
        lambda users, f, a, u: audit_frame(users, f),
        permissions=(Permission.VIEW_AUDIT, Permission.EXPORT),
        source="users",
        read=lambda args, _parameters, _users: parse_audit_filters(args),
        file_name=lambda _name, filters: audit_file_name(filters),
        path="/admin/audit",
        refusal="not allowed: the audit log export needs the view_audit and export permissions",
    ),
}

DATASETS: dict[str, Dataset] = {name: spec for name, spec in REGISTRY.items() if spec.path == EXPORT_PATH}
"""The datasets of `/export/<name>.csv` and `.xlsx`."""


def export_path(name: str, file_type: str = "csv") -> str:
    return f"{REGISTRY[name].path.format(name=name)}.{file_type}"


def dataset_frames(
    source: Any, dataset: str, args: Mapping[str, str], *, unmasked: bool = False
) -> tuple[Iterator[pd.DataFrame], Any, bool]:
    """The export's rows as frames, its filters, and whether the frames stream from the database (their
    number of rows known only at the end); raises BadParameter for bad parameters."""
    spec = REGISTRY[dataset]
    filters = spec.read(args, spec.parameters, source)
    if spec.frames is None:
        return iter([spec.build(source, filters, args, unmasked)]), filters, False
    return spec.frames(source, filters, args, unmasked), filters, True
