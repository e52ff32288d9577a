"""Opening a warehouse: one line for every failure, SQLite tuned so readers never wait on a load.

SQLite runs in WAL mode: the dashboard keeps reading the last committed load while a new one is
written, and a load that dies half-way is rolled back by the next connection. PostgreSQL gives the
same through its transactions.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError


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
    """A new engine for a warehouse URL, creating an SQLite file's folder; the tables are left as they are.

    A new SQLite file is created owner-only (0600) before SQLite opens it, whatever the umask, since
    it holds customer data, password hashes and the audit log; SQLite gives its -wal and -shm files
    the same mode. An existing file keeps the mode its owner gave it.
    """
    try:
        parsed = make_url(url)
        is_sqlite = parsed.get_backend_name() == "sqlite"
        if is_sqlite and parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            _create_owner_only(Path(parsed.database))
        engine = create_engine(url, pool_pre_ping=not is_sqlite)
    except (SQLAlchemyError, OSError, ImportError) as error:
        raise WarehouseError(f"cannot open warehouse {safe_url(url)}: {first_line(error)}") from None
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkout", _size_page_cache)
    return engine


SERVING_CACHE_KIB = 4 * 1024
"""The pages an SQLite connection keeps while serving (the operating system caches the file anyway).
A server worker's pool holds several connections, and at 256 MiB each, counts over a million
accounts grew every worker past 1.3 GB; at 16 MiB each, to 450 MB."""
LOADING_CACHE_KIB = 256 * 1024
"""The pages a load's connections keep: its reads and rewrites of whole tables are faster for it."""
_cache_kib: ContextVar[int] = ContextVar("sqlite_cache_kib", default=SERVING_CACHE_KIB)


@contextmanager
def loading_page_cache() -> Iterator[None]:
    """SQLite connections taken inside this block (by this thread: a load) keep 256 MiB of pages, and
    give them back when the next holder takes them, since the size is set at every checkout."""
    token = _cache_kib.set(LOADING_CACHE_KIB)
    try:
        yield
    finally:
        _cache_kib.reset(token)


def _size_page_cache(dbapi_connection, _record, _proxy) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{_cache_kib.get()}")
    cursor.close()


def _create_owner_only(path: Path) -> None:
    """An empty file (an empty SQLite database) readable and writable by its owner only, unless it exists."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(descriptor, 0o600)  # os.open's mode is narrowed by the umask; this sets it exactly
    finally:
        os.close(descriptor)


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
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
