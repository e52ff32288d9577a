"""Bring any warehouse to the schema this code reads, in place: migrations, never a drop.

Every warehouse table, users and the audit log included, is created and changed by the Alembic
revisions in portal/migrations, and `alembic_version` says which one a warehouse is at. A warehouse is
one of:

- empty (no table of ours): every revision runs;
- at a revision: the later ones run;
- at a revision this code does not know: newer code made it, and reading it could show wrong figures
  or break its users, so it is refused;
- made before Alembic, with a `schema_version` row: at 4 it holds exactly revision 0001's tables and
  is stamped at 0001, data untouched; older ones hold figures this code cannot read, so it refuses
  them until `etl run --full` drops those figures (never the users or the audit log) and loads again.

Each step runs in one transaction under a lock (SQLite's write lock, a PostgreSQL advisory lock), so
two processes starting together migrate once and a failed migration changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from portal.engine import WarehouseError, first_line, open_engine

MIGRATIONS = Path(__file__).with_name("migrations")
STAMPED_SCHEMA_VERSION = 4
"""The last `schema_version` written before Alembic; such a warehouse is exactly revision 0001."""
STAMPED_REVISION = "0001"
PRE_ALEMBIC_FIGURES = (
    "accounts",
    "events",
    "recovery_attempts",
    "quarantine",
    "daily_accounts",
    "daily_events",
    "daily_lockouts",
    "daily_attempts",
    "orphan_events",
    "hourly_events",
    "etl_runs",
    "table_rows",
    "unmapped_event_types",
    "schema_version",
)
"""Every table a version before Alembic created besides the users and audit log: derived data."""
PRE_ALEMBIC_USERS = ("portal_users", "audit_log")
POSTGRES_LOCK = 0x706F7274616C
"""The advisory lock key ("portal") that serialises migrations of one PostgreSQL database."""


@dataclass(frozen=True)
class Migration:
    """What `upgrade` found and did, for the one line `python -m etl migrate` prints."""

    url: str
    revision: str
    was: str

    def line(self) -> str:
        return f"warehouse {self.url} at revision {self.revision} ({self.was})"


def upgrade(warehouse: Engine | str, *, rebuild_old: bool = False) -> Migration:
    """Bring a warehouse to this code's newest revision; two reads when it is there already.

    `rebuild_old` lets a warehouse older than schema 4 lose its figures (never its users or audit
    log), for `etl run --full` to load them again; without it such a warehouse is refused.
    """
    engine = open_engine(warehouse) if isinstance(warehouse, str) else warehouse
    url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            if _revision(connection, url) == head():
                return Migration(url, head(), "up to date")
        with engine.connect() as connection:
            _lock(connection)
            was = _migrate(connection, url, rebuild_old)
            connection.commit()
    except SQLAlchemyError as error:
        raise WarehouseError(f"cannot open warehouse {url}: {first_line(error)}") from None
    finally:
        if isinstance(warehouse, str):
            engine.dispose()
    return Migration(url, head(), was)


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    """The newest revision: the schema this code reads."""
    return _scripts().get_current_head()


def _revision(connection: Connection, url: str) -> str | None:
    """The warehouse's revision (None before Alembic), refusing one this code does not know."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in {script.revision for script in _scripts().walk_revisions()}:
        raise WarehouseError(f"warehouse {url} was made by a newer version (revision {current}); upgrade the app")
    return current


def _lock(connection: Connection) -> None:
    """Keep other processes from migrating (or loading) until this transaction ends."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite would not begin before DDL
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK})


def _migrate(connection: Connection, url: str, rebuild_old: bool) -> str:
    """Move the locked warehouse to head; say what it was."""
    current = _revision(connection, url)
    if current == head():
        return "up to date"
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    if current is not None:
        command.upgrade(config, "head")
        return f"was at revision {current}, upgraded"
    version = _pre_alembic_version(connection)
    if version is None:
        command.upgrade(config, "head")
        return "was empty, created"
    if version == STAMPED_SCHEMA_VERSION:
        command.stamp(config, STAMPED_REVISION)
        command.upgrade(config, "head")
        return f"was made before migrations at schema 4: stamped at {STAMPED_REVISION}, data kept, upgraded"
    made = f"made by an old version ({f'schema {version}' if version else 'no schema version'})"
    if not rebuild_old:
        raise WarehouseError(
            f"warehouse {url} was {made} whose figures cannot be upgraded; "
            "rebuild them with `python -m etl run --full` (users and the audit log are kept)"
        )
    tables = set(inspect(connection).get_table_names())
    for name in PRE_ALEMBIC_FIGURES:
        if name in tables:
            Table(name, MetaData()).drop(connection)
    command.upgrade(config, "head")
    return f"was {made}: figures dropped for a full load, users and audit log kept"


def _pre_alembic_version(connection: Connection) -> int | None:
    """The `schema_version` of a warehouse made before Alembic (0 if it has none); None if it is empty."""
    tables = set(inspect(connection).get_table_names())
    if not tables & {*PRE_ALEMBIC_FIGURES, *PRE_ALEMBIC_USERS}:
        return None
    if "schema_version" not in tables:
        return 0
    return connection.execute(text("SELECT max(version) FROM schema_version")).scalar() or 0
