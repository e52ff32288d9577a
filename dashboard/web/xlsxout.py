"""Excel workbooks of the exports: typed cells, written in constant memory, streamed in chunks.

A CSV leaves Excel to guess each cell's type (and, without a byte order mark, its encoding), so a
date may come out as text, a masked `j•••@example.com` as mojibake and an account number as a
number. A workbook says each type itself:

- dates and times are Excel dates: `yyyy-mm-dd` for day columns (`period_start`, `day`, `*_day`),
  `yyyy-mm-dd hh:mm:ss` for the others, as the CSV writes them;
- integers and fractions are numbers, booleans Excel's TRUE and FALSE, missing values empty cells;
- everything else is a string cell, written as a string and never parsed: `=1+1` or `@SUM(A1)` is
  text that cannot run. So, unlike the CSV, which must prefix such a cell with an apostrophe, the
  workbook holds every value exactly as the warehouse does.

XlsxWriter writes each row to a temporary file as it comes (`constant_memory`), so a million-row
export never holds its rows; a workbook is a zip, finished only at the end, so it is built in a
temporary folder and then sent in chunks, the folder removed once sent or abandoned. Excel takes
at most 1,048,576 rows a sheet: a longer export goes on in a second sheet (`accounts (2)`), each
with the header.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

SHEET_ROWS = 1_048_575
"""Data rows per sheet: Excel's 1,048,576 rows less the header."""
CHUNK_BYTES = 256 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 50


def is_day_column(name: str) -> bool:
    """Columns that hold a calendar day, written without a time of day."""
    return name in {"period_start", "day"} or name.endswith("_day")


def xlsx_stream(frames: Iterable[pd.DataFrame], sheet: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Frames of the same columns as one workbook of sheets named `sheet`, sent in chunks once written.

    Nothing is made until the first chunk is asked for, and the temporary folder goes when the last
    chunk has gone or the reader stops early (closing the generator)."""
    with tempfile.TemporaryDirectory(prefix="export-xlsx-") as folder:
        path = Path(folder) / "export.xlsx"
        write_workbook(frames, path, sheet)
        with path.open("rb") as workbook:
            while chunk := workbook.read(chunk_bytes):
                yield chunk


def write_workbook(frames: Iterable[pd.DataFrame], path: Path, sheet: str) -> int:
    """Write the frames' rows under the first frame's header; returns the rows written."""
    book = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": str(path.parent),
            # write() is not used, but should it ever be: no string turns into a formula, link or number
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = {
        "header": book.add_format({"bold": True}),
        "date": book.add_format({"num_format": DATE_FORMAT}),
        "datetime": book.add_format({"num_format": DATETIME_FORMAT}),
    }
    sheets = _Sheets(book, sheet, formats["header"])
    rows = 0
    try:
        for frame in frames:
            sheets.start(frame)
            writers = [_cell_writer(frame[column], column, formats) for column in frame.columns]
            columns = [frame[column].tolist() for column in frame.columns]
            for values in zip(*columns, strict=True):
                worksheet, row = sheets.next_row()
                for column, (write, value) in enumerate(zip(writers, values, strict=True)):
                    write(worksheet, row, column, value)
            rows += len(frame)
    finally:
        book.close()
    return rows


class _Sheets:
    """The sheet being written and its next row; a new sheet, header first, when one is full."""

    def __init__(self, book, name: str, header_format) -> None:
        self.book, self.name, self.header_format = book, name, header_format
        self.header: list[str] | None = None
        self.widths: list[int] = []
        self.sheet = None
        self.row = 0

    def start(self, frame: pd.DataFrame) -> None:
        """Take the header and column widths from the first frame (an empty one too: its header is sent)."""
        if self.header is None:
            self.header = [str(column) for column in frame.columns]
            self.widths = [_width(name, frame[column]) for name, column in zip(self.header, frame.columns, strict=True)]
            self._add_sheet()

    def next_row(self):
        if self.row > SHEET_ROWS:
            self._add_sheet()
        row, self.row = self.row, self.row + 1
        return self.sheet, row

    def _add_sheet(self) -> None:
        count = len(self.book.worksheets()) + 1
        self.sheet = self.book.add_worksheet(self.name if count == 1 else f"{self.name} ({count})")
        self.sheet.freeze_panes(1, 0)
        for column, width in enumerate(self.widths):
            self.sheet.set_column(column, column, width)
        self.sheet.write_row(0, 0, self.header, self.header_format)
        self.row = 1


def _width(name: str, values: pd.Series) -> int:
    """A column wide enough for its header and the first frame's longest text, within reason."""
    sample = values.head(1_000).astype("string").str.len().max()
    longest = 0 if pd.isna(sample) else int(sample)
    return min(max(len(name), longest, 10) + 2, MAX_WIDTH)


Writer = Callable[[object, int, int, object], None]


def _cell_writer(series: pd.Series, name: str, formats: dict) -> Writer:
    """How to write every cell of a column: by its type when the column has one, else cell by cell."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        time_format = formats["date"] if is_day_column(name) else formats["datetime"]
        return lambda sheet, row, column, value: _time(sheet, row, column, value, time_format)
    if pd.api.types.is_bool_dtype(dtype):
        return _boolean
    if pd.api.types.is_numeric_dtype(dtype):
        return _number
    return lambda sheet, row, column, value: _any(sheet, row, column, value, name, formats)


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _time(sheet, row: int, column: int, value, time_format) -> None:
    if not _missing(value):
        sheet.write_datetime(row, column, pd.Timestamp(value).to_pydatetime(), time_format)


def _boolean(sheet, row: int, column: int, value) -> None:
    if not _missing(value):
        sheet.write_boolean(row, column, bool(value))


def _number(sheet, row: int, column: int, value) -> None:
    if not _missing(value):
        sheet.write_number(row, column, value)


def _any(sheet, row: int, column: int, value, name: str, formats: dict) -> None:
    """A cell of a column of mixed or text values (object dtype): typed by its own value."""
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    elif _missing(value):
        return
    elif isinstance(value, bool | np.bool_):
        _boolean(sheet, row, column, value)
    elif isinstance(value, int | float | np.integer | np.floating):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime | date):
        time_format = formats["date"] if is_day_column(name) or type(value) is date else formats["datetime"]
        sheet.write_datetime(row, column, value, time_format)
    else:
        sheet.write_string(row, column, str(value))
