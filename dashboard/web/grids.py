"""AG Grid tables with sorting, column filters, and a row click that opens the account."""

from __future__ import annotations

import dash_ag_grid as dag
import pandas as pd


def column_defs(frame: pd.DataFrame, *, headers: dict[str, str] | None = None) -> list[dict]:
    headers = headers or {}
    defs = []
    for name in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[name].dtype) and not pd.api.types.is_bool_dtype(frame[name].dtype)
        defs.append(
            {
                "field": name,
                "headerName": headers.get(name, name.replace("_", " ")),
                "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
                "type": "numericColumn" if numeric else None,
            }
        )
    return [{k: v for k, v in d.items() if v is not None} for d in defs]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts: times as text, missing as None."""
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[name].dtype):
            fmt = "%Y-%m-%d" if name in {"period_start", "day", "last_locked_day"} else "%Y-%m-%d %H:%M:%S"
            out[name] = out[name].dt.strftime(fmt)
    out = out.astype(object).where(out.notna(), None)
    return out.to_dict("records")


def account_grid(grid_id: str | dict, frame: pd.DataFrame, *, height: int = 420, **options) -> dag.AgGrid:
    """A client-side grid of rows that each belong to an account; clicking a row opens that account.

    `grid_id` should be `{"type": "account-grid", "name": ...}` for the shared row-click callback.
    """
    return dag.AgGrid(
        id=grid_id,
        rowData=records(frame),
        columnDefs=column_defs(frame),
        defaultColDef={"sortable": True, "resizable": True, "filter": True, "minWidth": 110},
        getRowId="params.data.account_number" if "account_number" in frame else None,
        dashGridOptions={"animateRows": False, "pagination": len(frame) > 50, "paginationPageSize": 50},
        columnSize="responsiveSizeToFit",
        style={"height": f"{height}px"},
        className="ag-theme-alpine",
        **options,
    )
