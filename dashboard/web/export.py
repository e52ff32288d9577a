"""The exports over HTTP: `GET /export/<dataset>.csv` for the datasets of SPEC section 5, and
`GET /admin/audit.csv` for the audit log, both served from the registry in `dashboard.data.datasets`;
each also as an Excel workbook (`.xlsx`, `dashboard.web.xlsxout`) with the same parameters, checks,
permissions, masking and audit entry.

The routes call the same query-layer functions as the pages. Errors in the request are HTTP 400 with
one line of plain text; nothing else about the server is ever shown. Each export needs the
permissions its registry entry names, checked here and not only by the page that links to it (a URL
can be fetched without ever opening the page); a refused export is audited as `refused`. Emails and
usernames stay masked unless the user may also see them (support or admin), and every export is
written to the audit log with its filters and row count, an export of the audit log included.
"""

from __future__ import annotations

import functools
import itertools
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

import pandas as pd
from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict

from dashboard.auth.guard import actor, audit_refusal, can, remote_addr
from dashboard.auth.roles import Permission
from dashboard.auth.web import plain_response
from dashboard.auth.web import store as users
from dashboard.data.datasets import DATASETS, EXPORT_PATH, FILE_TYPES, REGISTRY, dataset_frames
from dashboard.data.params import BadParameter
from dashboard.data.warehouse import Warehouse
from dashboard.web.csvout import csv_chunks, csv_stream
from dashboard.web.urls import KPI_PAGES
from dashboard.web.xlsxout import XLSX_MIMETYPE, xlsx_stream


def _kpis_with_pages(kpis: pd.DataFrame) -> pd.DataFrame:
    """The headline figures with, after each label, the path of the page that explains it."""
    table = kpis.copy()
    table.insert(table.columns.get_loc("label") + 1, "page", table["kpi"].map(KPI_PAGES))
    return table


LINKED = {"kpis": _kpis_with_pages}
"""Columns the web layer adds to a dataset: links to pages, which the data layer does not know."""

blueprint = Blueprint("export", __name__)


def _missing(dataset: str) -> list[Permission]:
    return [permission for permission in REGISTRY[dataset].permissions if not can(permission)]


def refusal(dataset: str) -> str | None:
    """Why the signed-in user may not take this export, in one line; None when they may."""
    missing = _missing(dataset)
    if not missing:
        return None
    return REGISTRY[dataset].refusal or f"not allowed: {dataset} exports need the {missing[0].value} permission"


def export(dataset: str, file_type: str) -> Response:
    if dataset not in DATASETS:
        return plain_response(404, f"unknown dataset {dataset!r}; available: {', '.join(DATASETS)}")
    return serve(dataset, file_type)


def serve(dataset: str, file_type: str = "csv") -> Response:
    """The export as a streamed CSV file or workbook, after the permission check, and its audit entry.

    The large datasets stream from a database cursor, so their size is known only when the last row
    has gone: they are audited then, with the rows sent (and `complete: false` if the client left
    early); the others are audited before they are sent and carry `X-Row-Count`. A workbook takes
    `bom` too, so that any export URL works with either ending, though a workbook needs no mark."""
    denied = refusal(dataset)
    if denied:
        audit_refusal("export", dataset, _missing(dataset)[0])
        return plain_response(403, denied)
    spec = REGISTRY[dataset]
    store = users()
    source = store if spec.source == "users" else Warehouse(current_app.config["PORTAL_WAREHOUSE_URL"])
    unmasked = can(Permission.UNMASK)
    args = MultiDict(request.args)
    try:
        for_excel = _byte_order_mark(args.pop(EXCEL_PARAMETER, None))
        frames, filters, streamed = dataset_frames(source, dataset, args, unmasked=unmasked)
        first = next(frames)
    except BadParameter as error:
        return plain_response(400, str(error))
    link = LINKED.get(dataset, lambda table: table)
    detail = {"filters": dict(request.args)}
    if spec.source == "warehouse":
        detail["unmasked"] = unmasked and spec.unmaskable
    audit = functools.partial(store.audit, actor(), "export", dataset, remote_addr=remote_addr())
    name = f"{spec.file_name(dataset, filters)}.{file_type}"
    if not streamed:
        audit(detail, rows=len(first))
        if file_type == "xlsx":
            return _xlsx_file(xlsx_stream([link(first)], dataset), name, rows=len(first))
        return csv_response(link(first), name, for_excel)
    counter = _Counter(map(link, itertools.chain([first], frames)))
    if file_type == "xlsx":
        return _xlsx_file(_audited(xlsx_stream(counter, dataset), counter, audit, detail), name)
    return _csv_file(_audited(csv_stream(counter), counter, audit, detail), name, for_excel)


EXCEL_PARAMETER = "bom"
"""`bom=1`: the file starts with UTF-8's byte order mark, without which Excel reads it as Windows-1252
and a masked `j•••@example.com` as `jâ€¢â€¢â€¢@example.com`. Every export takes it."""


def _byte_order_mark(value: str | None) -> bool:
    if value in (None, "", "0"):
        return False
    if value == "1":
        return True
    raise BadParameter(f"{EXCEL_PARAMETER} must be 1 (a byte order mark for Excel) or 0, got {value!r}")


class _Counter:
    """The frames of a streamed export, counting the rows handed on."""

    def __init__(self, frames: Iterator[pd.DataFrame]) -> None:
        self.frames, self.rows = frames, 0

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for frame in self.frames:
            self.rows += len(frame)
            yield frame


def _audited(body: Iterator, counter: _Counter, audit, detail: dict) -> Iterator:
    """The body as it goes, then the audit entry with the rows it held, also when the client leaves early.

    Written once the last piece has gone: a workbook's rows are all read before its first byte."""
    complete = False
    try:
        yield from body
        complete = True
    finally:
        audit(detail if complete else {**detail, "complete": False}, rows=counter.rows)


for _type in FILE_TYPES:
    blueprint.add_url_rule(
        f"{EXPORT_PATH.format(name='<dataset>')}.{_type}", f"export_{_type}", export, defaults={"file_type": _type}
    )
    for _name, _spec in REGISTRY.items():
        if _spec.path != EXPORT_PATH:
            blueprint.add_url_rule(
                f"{_spec.path}.{_type}", f"{_name}_{_type}", lambda name=_name, file_type=_type: serve(name, file_type)
            )


def csv_response(frame: pd.DataFrame, name: str, for_excel: bool = False) -> Response:
    response = _csv_file(csv_chunks(frame), name, for_excel)
    response.headers["X-Row-Count"] = str(len(frame))
    return response


def _csv_file(text: Iterator[str], name: str, for_excel: bool = False) -> Response:
    if for_excel:
        text = itertools.chain(["\ufeff"], text)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(name)
    return response


def _xlsx_file(body: Iterator[bytes], name: str, rows: int | None = None) -> Response:
    response = Response(body, mimetype=XLSX_MIMETYPE)
    response.headers["Content-Disposition"] = content_disposition(name)
    if rows is not None:
        response.headers["X-Row-Count"] = str(rows)
    return response


def content_disposition(name: str) -> str:
    """`attachment` with the file name; a name beyond ASCII (a segment's) is sent as RFC 6266 says:
    `filename*=UTF-8''...` for browsers, after an ASCII `filename="..."` for older clients, since a
    header can carry only ASCII. The names come from `datasets`, which allows no quote or backslash."""
    if name.isascii():
        return f'attachment; filename="{name}"'
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "-" for ch in plain)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
