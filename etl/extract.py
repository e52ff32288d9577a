"""Reading the billing source: every read goes through `read_table`, so one place decides how fast.

The source is read-only and reached by any SQLAlchemy URL, with the table and column names of the
configuration. SQLite and PostgreSQL are read through ADBC straight into Arrow (five to seven times
`pandas.read_sql`, with strings kept as Arrow strings rather than Python objects); any other
database through its SQLAlchemy driver's cursor. Either way rows come in batches, bounded in memory,
with the canonical column names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import adbc_driver_manager.dbapi as adbc
import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    cast,
    create_engine,
    func,
    inspect,
    or_,
    select,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from portal.config import ACTIVITY_COLUMNS, WEB_USER_COLUMNS, Config
from portal.engine import first_line, safe_url

CHUNK_ROWS = 200_000
ARROW_DIALECTS = frozenset({"sqlite", "postgresql"})
"""Sources read through ADBC; every other dialect goes through its SQLAlchemy driver."""
ISO_DATE_PREFIX = "____-__-__%"
"""Text times that start with an ISO date compare as text in date order; others are always read."""


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


def _statement(
    table: SourceTable, since: tuple[str, datetime] | None, event_ids: list[str] | None = None, *, as_text=False
):
    """The select of a read; `as_text` casts every column to text (SQLite's columns have no fixed type)."""
    source = _table(table)
    statement = select(*(cast(source.c[c], Text).label(c) if as_text else source.c[c] for c in table.columns.values()))
    if since is not None:
        field, moment = since
        column = source.c[table.columns[field]]
        if field in table.temporal and not as_text:
            statement = statement.where(or_(column >= moment, column.is_(None)))
        else:
            statement = statement.where(_text_at_or_after(column, moment))
    if event_ids is not None:
        column = source.c[table.columns["event_id"]]
        statement = statement.where(func.trim(cast(column, String)).in_(event_ids))
    return statement


def _text_at_or_after(column, moment: datetime):
    """Times kept as text, from the day before `moment` on, plus every value not written as an ISO date.

    An ISO date prefix sorts in date order whatever follows it, and a text time written in any zone
    falls at most a day either side of the UTC day; the rest (other formats, blanks) is always read,
    so a row is never skipped for its spelling.
    """
    day_before = (moment - timedelta(days=1)).strftime("%Y-%m-%d")
    text = cast(column, String)
    return or_(text >= day_before, ~text.like(ISO_DATE_PREFIX), column.is_(None))


def read_table(
    engine: Engine,
    table: SourceTable,
    *,
    since: tuple[str, datetime] | None = None,
    event_ids: list[str] | None = None,
    chunk_rows: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the table in batches of about `chunk_rows`, with canonical column names.

    `since` pushes a lower time bound down to the source (a conservative one for times kept as
    text); `event_ids` reads just those events.
    """
    dialect = engine.dialect.name
    chunk_rows = chunk_rows or CHUNK_ROWS
    statement = _statement(table, since, event_ids, as_text=dialect == "sqlite")
    names = list(table.columns)
    where = safe_url(str(engine.url))
    try:
        if _has_arrow_path(engine.url):
            yield from _arrow_batches(engine, statement, names, chunk_rows)
        else:
            yield from _cursor_batches(engine, statement, names, chunk_rows)
    except SQLAlchemyError as error:
        raise SourceError(f"reading {table.name} from {where} failed: {first_line(error)}") from None
    except (adbc.Error, pa.ArrowException) as error:
        raise SourceError(f"reading {table.name} from {where} failed: {first_line(error)}") from None


def _cursor_batches(engine: Engine, statement, names: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=chunk_rows).execute(statement)
        for rows in result.partitions():
            yield pd.DataFrame.from_records([tuple(row) for row in rows], columns=names, coerce_float=False)


def _arrow_batches(engine: Engine, statement, names: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with closing(_adbc_connect(engine.url)) as connection, closing(connection.cursor()) as cursor:
        if engine.dialect.name == "sqlite":
            cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(chunk_rows)})
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        pending: list[pa.RecordBatch] = []
        held = 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            if held >= chunk_rows:
                yield _frame(pending, names)
                pending, held = [], 0
        if pending:
            yield _frame(pending, names)


def _has_arrow_path(url: URL) -> bool:
    """ADBC for PostgreSQL and SQLite files; an in-memory SQLite lives only in its engine's connection."""
    if url.get_backend_name() == "sqlite":
        return (url.database or "") not in ("", ":memory:")
    return url.get_backend_name() in ARROW_DIALECTS


def _adbc_connect(url: URL):
    """An ADBC connection to the source, read-only where the driver allows it."""
    if url.get_backend_name() == "sqlite":
        import adbc_driver_sqlite.dbapi

        database = url.database or ""
        uri = database if database.startswith("file:") else f"file:{database}?mode=ro"
        return adbc_driver_sqlite.dbapi.connect(uri)
    import adbc_driver_postgresql.dbapi

    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return adbc_driver_postgresql.dbapi.connect(plain)


def _frame(batches: list[pa.RecordBatch], names: list[str]) -> pd.DataFrame:
    """Arrow batches as one frame; text stays in Arrow memory (pandas' pyarrow-backed string dtype)."""
    table = pa.Table.from_batches(batches)
    frame = table.to_pandas(types_mapper=_ARROW_TO_PANDAS.get, self_destruct=True)
    frame.columns = names
    return frame


_ARROW_TO_PANDAS = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
