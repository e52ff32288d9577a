"""The warehouse connection: one engine per URL, SQLite tuned so readers never wait on a load.

SQLite runs in WAL mode: the dashboard keeps reading the last committed load while a new one is
written, and a load that dies half-way is rolled back by the next connection. PostgreSQL gives the
same through its transactions.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, String, Table, create_engine, event, type_coerce
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

INSERT_BATCH = 20_000


class WarehouseError(Exception):
    """The warehouse cannot be opened or written; one line saying what and where."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for an error message or a log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def first_line(error: BaseException) -> str:
    """The driver's own one-line reason, without SQLAlchemy's statement dump and links."""
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]


def open_engine(url: str) -> Engine:
    """A new engine for a warehouse URL, creating an SQLite file's folder; the tables are left as they are."""
    try:
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_pre_ping=not is_sqlite)
    except (SQLAlchemyError, OSError, ImportError) as error:
        raise WarehouseError(f"cannot open warehouse {safe_url(url)}: {first_line(error)}") from None
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@lru_cache(maxsize=8)
def warehouse_engine(url: str) -> Engine:
    """The engine every reader and writer of a warehouse shares, its tables migrated once per process.

    Migrating here means no path (a load, the dashboard, the users command) can read or write a
    warehouse of another schema, and a warehouse made by a newer version raises WarehouseError.
    """
    from portal.migrate import upgrade  # portal.migrate needs this module's WarehouseError and open_engine

    engine = open_engine(url)
    try:
        upgrade(engine)
    except WarehouseError:
        engine.dispose()
        raise
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB of pages per connection
    cursor.execute("PRAGMA threads=2")  # a full load's index builds sort on both cores
    cursor.close()


def _switch_to_wal(cursor, tries: int = 200) -> None:
    """Put the file in WAL mode. Processes opening a new file together (server workers starting at once)
    can be refused the switch without SQLite waiting its busy timeout, so wait and try again here."""
    for _ in range(tries - 1):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA journal_mode=WAL")


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
    kinds = {column.key: python_type(column) for column in statement.selected_columns}
    raw = statement.with_only_columns(
        *(
            type_coerce(column, String).label(column.key) if kinds[column.key] in (date, datetime) else column
            for column in statement.selected_columns
        ),
        maintain_column_froms=True,
    )
    result = connection.execute(raw)
    columns = list(result.keys())
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    frame = pd.DataFrame.from_records(rows, columns=columns)
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
