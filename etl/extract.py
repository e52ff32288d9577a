"""Reading the billing source: every read goes through `read_table`, so one place decides how fast.

The source is read-only and reached by any SQLAlchemy URL, with the table and column names of the
configuration. Rows come back in chunks from the driver's own cursor (several times faster than
`pandas.read_sql`, and bounded in memory), renamed to the canonical column names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Column, DateTime, MetaData, String, Table, cast, create_engine, func, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from etl.config import ACTIVITY_COLUMNS, WEB_USER_COLUMNS, Config
from etl.warehouse import first_line, safe_url

CHUNK_ROWS = 200_000


class SourceError(Exception):
    """The source cannot be read as configured; the message is one line saying what and where."""


@dataclass(frozen=True)
class SourceTable:
    """A source table as configured: its real name and the real name of each canonical column."""

    name: str
    columns: dict[str, str]
    temporal: frozenset[str]
    aware: frozenset[str]

    def label(self, canonical: str) -> str:
        return f"{self.name}.{self.columns[canonical]}"


def source_engine(url: str) -> Engine:
    """An engine on the source; an SQLite path that does not exist is an error, never a new file."""
    try:
        parsed = make_url(url)
        database = parsed.database or ""
        on_disk = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if on_disk and not database.startswith("file:") and not Path(database).is_file():
            raise SourceError(f"source database file {database} not found")
        return create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise SourceError(f"source URL {safe_url(url)!r} is not usable: {first_line(error)}") from None


def _split(name: str) -> tuple[str | None, str]:
    schema, _, table = name.rpartition(".")
    return schema or None, table


def describe(engine: Engine, config: Config) -> tuple[SourceTable, SourceTable]:
    """Check that both tables and every configured column exist; say exactly which one is missing."""
    where = safe_url(str(engine.url))
    try:
        inspector = inspect(engine)
        source = config.source
        return (
            _describe(inspector, source.web_users_table, source.web_users_column, WEB_USER_COLUMNS, where),
            _describe(inspector, source.activity_log_table, source.activity_column, ACTIVITY_COLUMNS, where),
        )
    except SQLAlchemyError as error:
        raise SourceError(f"cannot read source {where}: {first_line(error)}") from None


def _describe(inspector, name: str, column_of, canonical: tuple[str, ...], where: str) -> SourceTable:
    schema, table = _split(name)
    if not inspector.has_table(table, schema=schema):
        raise SourceError(f"source table {name!r} not found in {where}")
    present = {column["name"]: column["type"] for column in inspector.get_columns(table, schema=schema)}
    lowered = {key.lower(): key for key in present}
    columns: dict[str, str] = {}
    for field in canonical:
        wanted = column_of(field)
        actual = wanted if wanted in present else lowered.get(wanted.lower())
        if actual is None:
            raise SourceError(f"source column {name}.{wanted} not found in {where} (canonical {field!r})")
        columns[field] = actual
    temporal = frozenset(f for f, c in columns.items() if isinstance(present[c], DateTime))
    aware = frozenset(f for f in temporal if getattr(present[columns[f]], "timezone", False))
    return SourceTable(name=name, columns=columns, temporal=temporal, aware=aware)


def row_count(engine: Engine, table: SourceTable, since: tuple[str, datetime] | None = None) -> int:
    """How many rows a read will yield, for the progress bar."""
    statement = select(func.count()).select_from(_statement(table, since).subquery())
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def _table(table: SourceTable) -> Table:
    schema, name = _split(table.name)
    return Table(
        name,
        MetaData(),
        *(
            Column(c, DateTime(timezone=f in table.aware) if f in table.temporal else None)
            for f, c in table.columns.items()
        ),
        schema=schema,
    )


def _statement(table: SourceTable, since: tuple[str, datetime] | None, event_ids: list[str] | None = None):
    source = _table(table)
    statement = select(*(source.c[c] for c in table.columns.values()))
    if since is not None:
        field, moment = since
        statement = statement.where(source.c[table.columns[field]] >= moment)
    if event_ids is not None:
        column = source.c[table.columns["event_id"]]
        statement = statement.where(func.trim(cast(column, String)).in_(event_ids))
    return statement


def read_table(
    engine: Engine,
    table: SourceTable,
    *,
    since: tuple[str, datetime] | None = None,
    event_ids: list[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """Yield the table in chunks with canonical column names.

    `since` pushes a lower time bound down to the source; `event_ids` reads just those events.
    """
    statement = _statement(table, since, event_ids)
    names = list(table.columns)
    try:
        with engine.connect() as connection:
            result = connection.execution_options(yield_per=chunk_rows).execute(statement)
            for rows in result.partitions():
                yield pd.DataFrame.from_records([tuple(row) for row in rows], columns=names, coerce_float=False)
    except SQLAlchemyError as error:
        where = safe_url(str(engine.url))
        raise SourceError(f"reading {table.name} from {where} failed: {first_line(error)}") from None
