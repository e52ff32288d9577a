"""The warehouse every reader and writer shares (one engine per URL, migrated once), and frames in and out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import lru_cache

import pandas as pd
from sqlalchemy import Connection, Engine, String, Table, type_coerce

from portal.engine import WarehouseError, open_engine
from portal.migrate import upgrade

INSERT_BATCH = 20_000


@lru_cache(maxsize=8)
def warehouse_engine(url: str) -> Engine:
    """The engine every reader and writer of a warehouse shares, its tables migrated once per process.

    Migrating here means no path (a load, the dashboard, the users command) can read or write a
    warehouse of another schema, and a warehouse made by a newer version raises WarehouseError.
    """
    engine = open_engine(url)
    try:
        upgrade(engine)
    except WarehouseError:
        engine.dispose()
        raise
    return engine


def _column_values(series: pd.Series, python_type: type | None, dialect: str) -> list[object]:
    """One column as plain Python values the driver takes without help; missing values as None."""
    missing = series.isna().to_numpy()
    if python_type is datetime:
        values = pd.to_datetime(series).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    elif python_type is date:
        values = pd.to_datetime(series).dt.strftime("%Y-%m-%d")
    elif python_type is bool:
        values = series.astype("boolean").astype(object)
        if dialect == "sqlite":
            values = values.map({True: 1, False: 0})
    elif python_type is int:
        values = series.astype("Int64").astype(object)
    else:
        values = series.astype(object)
    out = values.astype(object).tolist()
    if missing.any():
        for position in missing.nonzero()[0]:
            out[position] = None
    return out


def insert_frame(
    connection: Connection, table: Table, frame: pd.DataFrame, on_batch: Callable[[int], object] | None = None
) -> int:
    """Insert a frame's rows into a warehouse table within the caller's transaction.

    Rows go straight to the driver (executemany on SQLite, COPY on PostgreSQL): building one
    SQLAlchemy parameter dict per row was most of a load's time.
    """
    if frame.empty:
        return 0
    dialect = connection.dialect.name
    columns = [c for c in table.columns if c.name in frame.columns]
    names = ", ".join(connection.dialect.identifier_preparer.quote(c.name) for c in columns)
    quoted_table = connection.dialect.identifier_preparer.format_table(table)
    for start in range(0, len(frame), INSERT_BATCH):
        chunk = frame.iloc[start : start + INSERT_BATCH]
        values = [_column_values(chunk[c.name], python_type(c), dialect) for c in columns]
        rows = list(zip(*values, strict=True))
        if dialect == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.close()
        else:
            marks = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in columns)
            connection.exec_driver_sql(f"INSERT INTO {quoted_table} ({names}) VALUES ({marks})", rows)
        if on_batch is not None:
            on_batch(len(rows))
    return len(frame)


def read_frame(connection: Connection, statement) -> pd.DataFrame:
    """Run a select and return a frame with the warehouse's types (dates and times as datetimes).

    Dates and times come back as the driver gives them and are parsed by pandas in one vectorised
    pass: SQLAlchemy's per-value conversion was most of a chart's time on SQLite. Rows are taken
    from the driver's cursor too (types are fixed up column by column below), since building a
    SQLAlchemy row for each of a daily table's hundred thousand rows took as long as the query.
    """
    kinds, raw = _times_as_text(statement)
    result = connection.execute(raw)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return _typed(pd.DataFrame.from_records(rows, columns=list(result.keys())), kinds)


def read_frames(connection: Connection, statement, rows: int | None = 50_000) -> Iterator[pd.DataFrame]:
    """`read_frame` in frames of at most `rows` rows (None: one frame), read from a server-side cursor
    as they are consumed, so an export of a million rows never holds them all; at least one frame."""
    if not rows:
        yield read_frame(connection, statement)
        return
    kinds, raw = _times_as_text(statement)
    # A server-side cursor; its rows are taken through SQLAlchemy, which has read the first ones ahead.
    # Asked of this statement only: Connection.execution_options would set it for every later statement
    # of the connection, and PostgreSQL cannot DECLARE a cursor for a DELETE.
    result = connection.execute(raw, execution_options={"stream_results": True})
    columns = list(result.keys())
    try:
        first = True
        while (batch := result.fetchmany(rows)) or first:
            yield _typed(pd.DataFrame.from_records(batch, columns=columns), kinds)
            first = False
            if len(batch) < rows:
                return
    finally:
        result.close()


def _times_as_text(statement) -> tuple[dict[str, type | None], object]:
    """Each selected column's Python type, and the select with its dates and times read as text."""
    kinds = {column.key: python_type(column) for column in statement.selected_columns}
    raw = statement.with_only_columns(
        *(
            type_coerce(column, String).label(column.key) if kinds[column.key] in (date, datetime) else column
            for column in statement.selected_columns
        ),
        maintain_column_froms=True,
    )
    return kinds, raw


def _typed(frame: pd.DataFrame, kinds: dict[str, type | None]) -> pd.DataFrame:
    for name, kind in kinds.items():
        if name not in frame:
            continue
        if kind in (date, datetime):
            frame[name] = _datetimes(frame[name])
        elif kind is bool:
            frame[name] = frame[name].astype("boolean")
    return frame


def _datetimes(values: pd.Series) -> pd.Series:
    if values.map(type).eq(str).any():
        return pd.to_datetime(values, format="ISO8601").astype("datetime64[us]")
    return pd.to_datetime(values).astype("datetime64[us]")


def python_type(column) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None
