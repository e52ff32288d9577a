"""The warehouse connection: one engine per URL, SQLite tuned so readers never wait on a load.

SQLite runs in WAL mode: the dashboard keeps reading the last committed load while a new one is
written, and a load that dies half-way is rolled back by the next connection. PostgreSQL gives the
same through its transactions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, create_engine, event, select
from sqlalchemy.engine import make_url

from etl.schema import metadata

INSERT_BATCH = 20_000


@lru_cache(maxsize=8)
def warehouse_engine(url: str) -> Engine:
    """The engine for a warehouse URL, creating an SQLite file's folder and the tables if needed."""
    parsed = make_url(url)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    metadata.create_all(engine)
    return engine


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _python(value: object) -> object:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame, table: Table) -> Iterable[list[dict[str, object]]]:
    columns = [c.name for c in table.columns if c.name in frame.columns]
    date_columns = {c.name for c in table.columns if c.type.python_type is date and c.name in frame.columns}
    for start in range(0, len(frame), INSERT_BATCH):
        chunk = frame.iloc[start : start + INSERT_BATCH][columns].astype(object)
        rows = []
        for values in chunk.itertuples(index=False, name=None):
            row = {name: _python(value) for name, value in zip(columns, values, strict=True)}
            for name in date_columns:
                if isinstance(row[name], datetime):
                    row[name] = row[name].date()
            rows.append(row)
        yield rows


def insert_frame(connection: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert a frame's rows into a warehouse table within the caller's transaction."""
    for rows in _records(frame, table):
        connection.execute(table.insert(), rows)
    return len(frame)


def read_frame(connection: Connection, statement) -> pd.DataFrame:
    """Run a select and return a frame with the warehouse's types (dates and times as datetimes)."""
    result = connection.execute(statement)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in statement.selected_columns:
        name = column.key
        if name not in frame:
            continue
        python_type = _python_type(column)
        if python_type in (date, datetime):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[us]")
        elif python_type is bool:
            frame[name] = frame[name].astype("boolean")
    return frame


def _python_type(column) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def select_all(table: Table):
    return select(*table.columns)
