"""Tables built beside the served ones and swapped in with one transaction.

A full load writes its large tables (events, accounts, recovery attempts) as `<name>__next`, through
ADBC's bulk ingest (a prepared insert in one transaction on SQLite, binary COPY on PostgreSQL) and
without indexes; then, in the load's transaction, each served table is dropped, its `__next`
renamed in, and the indexes built once from the loaded rows. Until that commits every reader sees
the last load whole; a load that dies half-way leaves only `__next` tables, dropped by the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import closing
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, text
from sqlalchemy.engine import URL

from etl.warehouse import insert_frame, python_type

NEXT = "__next"


def next_name(table: Table) -> str:
    return f"{table.name}{NEXT}"


def _next_table(table: Table) -> Table:
    """The table's columns and primary key under the `__next` name, without its indexes."""
    return Table(next_name(table), MetaData(), *(column._copy() for column in table.columns))


class TablesBeside:
    """Writes frames into `__next` copies of warehouse tables, committed apart from the load."""

    def __init__(self, engine: Engine, tables: Iterable[Table]) -> None:
        self._engine = engine
        self._tables = {table.name: table for table in tables}
        drop_leftovers(engine)
        with engine.begin() as connection:
            for table in self._tables.values():
                _next_table(table).create(connection)
        if engine.dialect.name == "sqlite":
            # ADBC brings its own SQLite library. POSIX file locks belong to the process, so one
            # library closing the file drops the other's locks: no pooled connection may stay open.
            engine.dispose()
        self._adbc = _adbc_connect(engine.url) if engine.url.get_backend_name() in ("sqlite", "postgresql") else None

    def append(self, name: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        table = self._tables[name]
        if self._adbc is None:
            with self._engine.begin() as connection:
                insert_frame(connection, _next_table(table), frame)
            return
        arrow = to_arrow(table, frame, self._engine.dialect.name)
        with closing(self._adbc.cursor()) as cursor:
            cursor.adbc_ingest(next_name(table), arrow, mode="append")

    def commit(self) -> None:
        self._end("COMMIT")

    def close(self) -> None:
        """Give up what was written, unless it was committed."""
        self._end("ROLLBACK")

    def _end(self, verb: str) -> None:
        if self._adbc is None:
            return
        if self._engine.dialect.name == "sqlite":
            with closing(self._adbc.cursor()) as cursor:
                cursor.execute(verb)
        elif verb == "COMMIT":
            self._adbc.commit()
        else:
            self._adbc.rollback()
        self._adbc.close()
        self._adbc = None

    def swap_in(self, connection: Connection) -> None:
        """Replace each served table by its `__next` copy, in the caller's transaction (indexes come after)."""
        quote = connection.dialect.identifier_preparer.quote
        for table in self._tables.values():
            connection.execute(text(f"DROP TABLE IF EXISTS {quote(table.name)}"))
            connection.execute(text(f"ALTER TABLE {quote(next_name(table))} RENAME TO {quote(table.name)}"))

    def build_indexes(self, connection: Connection) -> None:
        """Each index once, from the loaded rows: a sort, where keeping it during the inserts was a seek per row."""
        for table in self._tables.values():
            for index in sorted(table.indexes, key=lambda index: index.name):
                index.create(connection)


def drop_leftovers(engine: Engine) -> None:
    """Drop the `__next` tables of a load that did not finish."""
    with engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        for name in inspect(connection).get_table_names():
            if name.endswith(NEXT):
                connection.execute(text(f"DROP TABLE {quote(name)}"))


def _adbc_connect(url: URL):
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi

        # Autocommit, with the transaction spelled out: the pragmas cannot run inside one.
        connection = adbc_driver_sqlite.dbapi.connect(url.database, autocommit=True)
        with closing(connection.cursor()) as cursor:
            # Only the `__next` tables are written here: a crash loses nothing the next run needs.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute("BEGIN")
        return connection
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))


def to_arrow(table: Table, frame: pd.DataFrame, dialect: str) -> pa.Table:
    """The frame's columns of `table` as Arrow arrays of the types the warehouse column takes.

    SQLite gets times and dates as the text SQLAlchemy writes (Arrow's cast to text writes the same
    `YYYY-MM-DD HH:MM:SS.ffffff`) and booleans as 0/1; PostgreSQL gets
    native timestamps, dates and 32-bit integers, since binary COPY checks every type.
    """
    columns = [column for column in table.columns if column.name in frame.columns]
    return pa.table(
        {column.name: _arrow_column(frame[column.name], python_type(column), dialect) for column in columns}
    )


def _arrow_column(series: pd.Series, kind: type | None, dialect: str) -> pa.Array:
    sqlite = dialect == "sqlite"
    if kind is datetime:
        values = pa.array(pd.to_datetime(series).astype("datetime64[us]"), pa.timestamp("us"))
        return values.cast(pa.string()) if sqlite else values
    if kind is date:
        values = pa.array(pd.to_datetime(series).astype("datetime64[us]"), pa.timestamp("us")).cast(pa.date32())
        return values.cast(pa.string()) if sqlite else values
    if kind is bool:
        values = pa.array(series.astype("boolean"), pa.bool_())
        return values.cast(pa.int64()) if sqlite else values
    if kind is int:
        return pa.array(series.astype("Int64"), pa.int64() if sqlite else pa.int32())
    return pa.array(series.astype(pd.StringDtype("pyarrow")), pa.string())
