"""CSV for analysts' spreadsheets: streamed in chunks, and safe to open.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula in
Excel or LibreOffice; such text cells get a leading apostrophe, the form both show as plain text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

CHUNK_ROWS = 50_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as formulas, made inert; numbers are left alone."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            risky = text.str.startswith(_FORMULA_START).fillna(False)
            if risky.any():
                out[column] = series.astype(object).where(~risky, "'" + text.astype(object))
    return out


def _formatted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if column in {"period_start", "day"} and pd.api.types.is_datetime64_any_dtype(series.dtype):
            out[column] = series.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(series.dtype) or str(series.dtype) == "boolean":
            out[column] = series.astype("boolean").map({True: "true", False: "false"}, na_action="ignore")
        elif pd.api.types.is_float_dtype(series.dtype):
            out[column] = series.map(_decimal, na_action="ignore")
    return out


def _decimal(value: float) -> str:
    """At most six decimals, no exponent, no trailing zeros: 0.5, 0.333333, 1."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


LINE_END = "\r\n"
"""RFC 4180's line ending. The csv module quotes a cell only for the characters of its line ending, so
with "\n" alone a carriage return inside a cell went out unquoted and ended the row there for every
reader: the rest of the cell became a row of its own, unneutralised (`x\r=HYPERLINK(...)`)."""


def csv_chunks(frame: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The whole frame as CSV text, header first, in pieces a response can stream."""
    return csv_stream([frame], chunk_rows)


def csv_stream(frames: Iterable[pd.DataFrame], chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """Frames of the same columns as one CSV text, the first frame's header first, formatted piece by
    piece as the frames come (from a database cursor: an export never holds all its rows)."""
    header = False
    for frame in frames:
        if not header:
            yield ",".join(map(str, frame.columns)) + LINE_END
            header = True
        for start in range(0, len(frame), chunk_rows):
            chunk = _formatted(neutralise(frame.iloc[start : start + chunk_rows]))
            yield chunk.to_csv(index=False, header=False, lineterminator=LINE_END)


def to_csv_text(frame: pd.DataFrame) -> str:
    return "".join(csv_chunks(frame))
