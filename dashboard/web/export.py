"""`GET /export/<dataset>.csv`: every dataset of SPEC section 5 as a streamed CSV file.

The routes call the same query-layer functions as the pages. Errors in the request are HTTP 400
with one line of plain text; nothing else about the server is ever shown. Exports need the export
permission (analyst, admin); emails and usernames stay masked unless the user may also see them
(support or admin), and every export is written to the audit log with its filters and row count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from flask import Blueprint, Response, current_app, request

from dashboard.auth.guard import actor, can, remote_addr
from dashboard.auth.roles import Permission
from dashboard.auth.web import store as users
from dashboard.data.params import BadParameter, check_known
from dashboard.data.slices import ACCOUNT_PARAMETERS, AccountFilters
from dashboard.data.view import VIEW_PARAMETERS, Filters
from dashboard.data.warehouse import Warehouse
from dashboard.web.csvout import csv_chunks
from dashboard.web.urls import KPI_PAGES

Dataset = Callable[[Warehouse, Filters, Mapping[str, str], bool], pd.DataFrame]


def _account_param(args: Mapping[str, str]) -> str:
    account = (args.get("account") or "").strip()
    if not account:
        raise BadParameter("this dataset needs an account parameter, e.g. ?account=A0000001")
    return account


def _limit(args: Mapping[str, str]) -> int:
    text = (args.get("limit") or "20").strip()
    if not text.isdigit() or not 1 <= int(text) <= 100_000:
        raise BadParameter(f"limit must be a whole number from 1 to 100000, got {text!r}")
    return int(text)


def _kpis_with_pages(kpis: pd.DataFrame) -> pd.DataFrame:
    """The headline figures with, after each label, the path of the page that explains it."""
    table = kpis.copy()
    table.insert(table.columns.get_loc("label") + 1, "page", table["kpi"].map(KPI_PAGES))
    return table


DATASETS: dict[str, tuple[frozenset[str], Dataset]] = {
    "adoption": (VIEW_PARAMETERS, lambda w, f, a, u: w.adoption(f)),
    "recovery": (VIEW_PARAMETERS, lambda w, f, a, u: w.recovery(f)),
    "recovery_attempts": (VIEW_PARAMETERS, lambda w, f, a, u: w.recovery_attempts(f)),
    "resets": (VIEW_PARAMETERS, lambda w, f, a, u: w.resets(f)),
    "lockouts": (VIEW_PARAMETERS, lambda w, f, a, u: w.lockouts(f)),
    "accounts": (
        VIEW_PARAMETERS | ACCOUNT_PARAMETERS,
        lambda w, f, a, u: w.accounts(f, AccountFilters.parse(a), unmasked=u),
    ),
    "activity": (VIEW_PARAMETERS | {"account"}, lambda w, f, a, u: w.activity(_account_param(a), f, unmasked=u)),
    "quality": (VIEW_PARAMETERS, lambda w, f, a, u: w.quality()),
    "kpis": (VIEW_PARAMETERS, lambda w, f, a, u: _kpis_with_pages(w.kpis(f))),
    "email_statuses": (VIEW_PARAMETERS, lambda w, f, a, u: w.email_status_over_time(f)),
    "email_status_breakdown": (VIEW_PARAMETERS, lambda w, f, a, u: w.email_status_breakdown(f)),
    "adoption_by_segment": (VIEW_PARAMETERS, lambda w, f, a, u: w.adoption_by_segment(f)),
    "enrollment_funnel": (VIEW_PARAMETERS, lambda w, f, a, u: w.enrollment_funnel(f)),
    "recovery_funnel": (VIEW_PARAMETERS, lambda w, f, a, u: w.recovery_funnel(f)),
    "reset_heatmap": (VIEW_PARAMETERS, lambda w, f, a, u: w.reset_heatmap(f)),
    "most_locked": (VIEW_PARAMETERS | {"limit"}, lambda w, f, a, u: w.most_locked(f, _limit(a))),
    "account_attempts": (VIEW_PARAMETERS | {"account"}, lambda w, f, a, u: w.attempts_of(_account_param(a))),
}

EXTRA_PERMISSION: dict[str, Permission] = {"quality": Permission.VIEW_QUALITY}
"""Datasets that need more than the export permission: the quality report is the analysts' page."""

blueprint = Blueprint("export", __name__)


def file_name(dataset: str, filters: Filters) -> str:
    """Names that say what the file holds, so a folder of exports stays legible."""
    parts = [
        dataset,
        filters.start.isoformat(),
        filters.end.isoformat(),
        filters.grain,
        filters.segment or "all-segments",
    ]
    safe = "_".join(parts)
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in safe) + ".csv"


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def dataset_frame(
    warehouse: Warehouse, dataset: str, args: Mapping[str, str], *, unmasked: bool = False
) -> tuple[pd.DataFrame, Filters]:
    """The frame a dataset export holds for these parameters; raises BadParameter for bad ones."""
    allowed, build = DATASETS[dataset]
    check_known(args, allowed)
    filters = Filters.parse(args, warehouse.extent())
    return build(warehouse, filters, args, unmasked), filters


def _refusal(dataset: str) -> str | None:
    needed = [Permission.EXPORT, *([EXTRA_PERMISSION[dataset]] if dataset in EXTRA_PERMISSION else [])]
    missing = [permission for permission in needed if not can(permission)]
    return f"not allowed: {dataset} exports need the {missing[0].value} permission" if missing else None


@blueprint.get("/export/<dataset>.csv")
def export(dataset: str) -> Response:
    if dataset not in DATASETS:
        return _plain(404, f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    refusal = _refusal(dataset)
    if refusal:
        return _plain(403, refusal)
    warehouse = Warehouse(current_app.config["PORTAL_WAREHOUSE_URL"])
    unmasked = can(Permission.UNMASK)
    try:
        frame, filters = dataset_frame(warehouse, dataset, request.args, unmasked=unmasked)
    except BadParameter as error:
        return _plain(400, str(error))
    detail = {"filters": dict(request.args), "unmasked": unmasked and dataset in UNMASKABLE}
    users().audit(actor(), "export", dataset, detail, rows=len(frame), remote_addr=remote_addr())
    return csv_response(frame, file_name(dataset, filters))


UNMASKABLE = frozenset({"accounts", "activity"})


def csv_response(frame: pd.DataFrame, name: str) -> Response:
    response = Response(csv_chunks(frame), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Row-Count"] = str(len(frame))
    return response
