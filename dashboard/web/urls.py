"""Every URL the dashboard links to, built in one place from the view and the slice.

Page paths are spelled here once; `register_page`, the navbar, links and redirects all read them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from dashboard.data.datasets import export_path

ACCOUNTS = "/accounts"


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


def export_href(dataset: str, params: Mapping[str, str]) -> str:
    """The URL of a CSV export (`/export/<dataset>.csv`, or the audit log's own) for these parameters."""
    return with_query(export_path(dataset), params)
