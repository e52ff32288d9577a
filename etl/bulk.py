"""Tables built beside the served ones and swapped in with one transaction.

A full load writes its large tables (events, accounts, recovery attempts) as `<name>__next`, through
ADBC's bulk ingest (prepared inserts on SQLite, binary COPY on PostgreSQL), batch by batch and
without indexes; then, in the load's transaction, each served table is dropped and its `__next`
renamed in, with indexes built once from the loaded rows (on PostgreSQL just before, and renamed).
Until that commits every reader sees the last load whole; a load that dies half-way leaves only
`__next` tables, which the next run drops.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import date, datetime

import pandas as pd
import pyarrow as pa
from sqlalchemy import Column, Connection, Engine, Index, MetaData, Table, inspect, text
from sqlalchemy.engine import URL

from portal.db import insert_frame, python_type

NEXT = "__next"


def next_name(table: Table) -> str:
    return f"{table.name}{NEXT}"


def _next_table(table: Table) -> Table:
    """The table's columns and primary key under the `__next` name, without its indexes."""
    columns = (Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable) for c in table.columns)
    return Table(next_name(table), MetaData(), *columns)


class TablesBeside:
    """Writes frames into `__next` copies of warehouse tables, then swaps them in.

    Nothing reads a `__next` table, so each batch is committed as it is written (autocommit: the
    SQLite WAL stays small); the load's own transaction is the swap.
    """

    def __init__(self, engine: Engine, tables: Iterable[Table]) -> None:
        self._engine = engine
        self._tables = {table.name: table for table in tables}
        self._beside = {name: _next_table(table) for name, table in self._tables.items()}
        drop_leftovers(engine)
        with engine.begin() as connection:
            for table in self._beside.values():
                table.create(connection)
        if engine.dialect.name == "sqlite":
            # ADBC brings its own SQLite library. POSIX file locks belong to the process, so one
            # library closing the file drops the other's locks: no pooled connection may stay open.
            engine.dispose()
        self._adbc = _adbc_connect(engine.url) if engine.url.get_backend_name() in ("sqlite", "postgresql") else None

    def table(self, name: str) -> Table:
        """The `__next` copy, for what must be read or withdrawn before the swap."""
        return self._beside[name]

    def append(self, name: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        if self._adbc is None:
            with self._engine.begin() as connection:
                insert_frame(connection, self._beside[name], frame)
            return
        arrow = to_arrow(self._tables[name], frame, self._engine.dialect.name)
        with closing(self._adbc.cursor()) as cursor:
            cursor.adbc_ingest(next_name(self._tables[name]), arrow, mode="append")

    def close(self) -> None:
        """Let go of the bulk connection; a load that stops here leaves `__next` tables for the next to drop."""
        if self._adbc is not None:
            self._adbc.close()
            self._adbc = None

    def build_indexes(self) -> None:
        """On PostgreSQL, index the `__next` tables before the swap, under `__next` names.

        Dropping a served table locks its readers out until the load commits, so the swap must be
        quick: on PostgreSQL it only renames. SQLite cannot rename an index, but its readers keep
        reading the last load while the swap's transaction builds them.
        """
        if self._engine.dialect.name != "postgresql":
            return
        with self._engine.begin() as connection:
            for name, table in self._tables.items():
                for index in _sorted(table.indexes):
                    columns = [self._beside[name].c[column.name] for column in index.columns]
                    Index(f"{index.name}{NEXT}", *columns, unique=index.unique).create(connection)

    def swap_in(self, connection: Connection) -> None:
        """Replace each served table by its `__next` copy, with its indexes, in the caller's transaction."""
        quote = connection.dialect.identifier_preparer.quote
        renames_indexes = connection.dialect.name == "postgresql"
        with _small_sorts(connection):
            for name, table in self._tables.items():
                connection.execute(text(f"DROP TABLE IF EXISTS {quote(name)}"))
                connection.execute(text(f"ALTER TABLE {quote(next_name(table))} RENAME TO {quote(name)}"))
                for index in _sorted(table.indexes):
                    if renames_indexes:
                        old, new = quote(index.name + NEXT), quote(index.name)
                        connection.execute(text(f"ALTER INDEX {old} RENAME TO {new}"))
                    else:
                        index.create(connection)


@contextmanager
def _small_sorts(connection: Connection) -> Iterator[None]:
    """SQLite builds an index fastest from many small sorted runs merged on two threads.

    Its sorter sizes each run by the page cache: with the readers' 256 MiB cache, building the
    account index of 4.2 million events took 7.7 s and 470 MB; with SQLite's default 2 MB and runs
    spilled to temporary files, 2.1 s and 21 MB.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    cache = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql("PRAGMA cache_size=-2000")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")


def _sorted(indexes) -> list[Index]:
    return sorted(indexes, key=lambda index: index.name)


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

        # Autocommit: the pragmas cannot run inside a transaction, and each ingest is one of its own.
        connection = adbc_driver_sqlite.dbapi.connect(url.database, autocommit=True)
        with closing(connection.cursor()) as cursor:
            # Only the `__next` tables are written here: a crash loses nothing the next run needs.
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA busy_timeout=30000")
        return connection
    import adbc_driver_postgresql.dbapi

    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return adbc_driver_postgresql.dbapi.connect(plain, autocommit=True)


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
