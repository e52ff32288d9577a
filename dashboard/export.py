"""`GET /export/<dataset>.csv`: every dataset of SPEC section 5 as a streamed CSV file.

The routes call the same query-layer functions as the pages. Errors in the request are HTTP 400
with one line of plain text; nothing else about the server is ever shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from flask import Blueprint, Response, current_app, request

from dashboard.csvout import csv_chunks
from dashboard.metrics import Filters
from dashboard.params import (
    ACCOUNT_PARAMETERS,
    VIEW_PARAMETERS,
    BadParameter,
    check_known,
    parse_account_filters,
    parse_filters,
)
from dashboard.queries import Warehouse

Dataset = Callable[[Warehouse, Filters, Mapping[str, str]], pd.DataFrame]


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


DATASETS: dict[str, tuple[frozenset[str], Dataset]] = {
    "adoption": (VIEW_PARAMETERS, lambda w, f, a: w.adoption(f)),
    "recovery": (VIEW_PARAMETERS, lambda w, f, a: w.recovery(f)),
    "recovery_attempts": (VIEW_PARAMETERS, lambda w, f, a: w.recovery_attempts(f)),
    "resets": (VIEW_PARAMETERS, lambda w, f, a: w.resets(f)),
    "lockouts": (VIEW_PARAMETERS, lambda w, f, a: w.lockouts(f)),
    "accounts": (
        VIEW_PARAMETERS | ACCOUNT_PARAMETERS,
        lambda w, f, a: w.accounts(f, parse_account_filters(a)),
    ),
    "activity": (VIEW_PARAMETERS | {"account"}, lambda w, f, a: w.activity(_account_param(a), f)),
    "quality": (VIEW_PARAMETERS, lambda w, f, a: w.quality()),
    "kpis": (VIEW_PARAMETERS, lambda w, f, a: w.kpis(f)),
    "email_statuses": (VIEW_PARAMETERS, lambda w, f, a: w.email_status_over_time(f)),
    "email_status_breakdown": (VIEW_PARAMETERS, lambda w, f, a: w.email_status_breakdown(f)),
    "adoption_by_segment": (VIEW_PARAMETERS, lambda w, f, a: w.adoption_by_segment(f)),
    "enrollment_funnel": (VIEW_PARAMETERS, lambda w, f, a: w.enrollment_funnel(f)),
    "recovery_funnel": (VIEW_PARAMETERS, lambda w, f, a: w.recovery_funnel(f)),
    "reset_heatmap": (VIEW_PARAMETERS, lambda w, f, a: w.reset_heatmap(f)),
    "most_locked": (VIEW_PARAMETERS | {"limit"}, lambda w, f, a: w.most_locked(f, _limit(a))),
    "account_attempts": (VIEW_PARAMETERS | {"account"}, lambda w, f, a: w.attempts_of(_account_param(a))),
}

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


def dataset_frame(warehouse: Warehouse, dataset: str, args: Mapping[str, str]) -> tuple[pd.DataFrame, Filters]:
    """The frame a dataset export holds for these parameters; raises BadParameter for bad ones."""
    allowed, build = DATASETS[dataset]
    check_known(args, allowed)
    filters = parse_filters(args, warehouse.extent())
    return build(warehouse, filters, args), filters


@blueprint.get("/export/<dataset>.csv")
def export(dataset: str) -> Response:
    if dataset not in DATASETS:
        return _plain(404, f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    warehouse = Warehouse(current_app.config["PORTAL_WAREHOUSE_URL"])
    try:
        frame, filters = dataset_frame(warehouse, dataset, request.args)
    except BadParameter as error:
        return _plain(400, str(error))
    response = Response(csv_chunks(frame), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(dataset, filters)}"'
    response.headers["X-Row-Count"] = str(len(frame))
    return response
