"""The daily tables held in memory, read once per load instead of once per page view.

Every chart reads a daily table and cuts it to the view in pandas. At a million accounts reading
one (up to 120,000 rows) took 0.2-0.4 s on SQLite, and a page reads up to four, so a page spent
most of its second waiting on reads of rows that only change when the ETL loads. The tables are
kept whole per warehouse and load: a new row in `etl_runs` (the load commits it with the data)
changes the key, so the next view reads the new tables and the old ones age out of the LRU.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import pandas as pd
from cachetools import LRUCache, cached
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.exc import SQLAlchemyError

from portal import schema
from portal.db import read_frame
from portal.engine import first_line

DAILY_TABLES = (
    schema.daily_accounts,
    schema.daily_events,
    schema.daily_attempts,
    schema.daily_lockouts,
    schema.hourly_events,
    schema.daily_active_changes,
)
_tables: LRUCache = LRUCache(maxsize=4 * len(DAILY_TABLES))
_lock = threading.Lock()
T = TypeVar("T")
logger = logging.getLogger(__name__)


def load_token(engine: Engine) -> tuple:
    """Which load the warehouse holds: the last run's id and end time (none before the first load)."""
    runs = schema.etl_runs
    with engine.connect() as connection:
        return tuple(connection.execute(select(func.max(runs.c.run_id), func.max(runs.c.finished_at))).one())


@cached(_tables, key=lambda engine, table, token: (str(engine.url), table.name, token), lock=_lock)
def whole_table(engine: Engine, table: Table, token: tuple) -> pd.DataFrame:
    """All rows of one daily table as of the load `token` names; callers must not change the frame."""
    with engine.connect() as connection:
        return read_frame(connection, select(*table.columns))


_per_load: LRUCache = LRUCache(maxsize=64)


def once_per_load(engine: Engine, name: str, read: Callable[[], T]) -> T:
    """What only a load changes (the data's extent, its segments), read once per load like the tables;
    read every time before the first load, when there is no load to key it by."""
    token = load_token(engine)
    if token[0] is None:
        return read()
    key = (str(engine.url), name, token)
    with _lock:
        if key in _per_load:
            return _per_load[key]
    value = read()
    with _lock:
        _per_load[key] = value
    return value


def warm(engine: Engine, tables: Iterable[Table] = DAILY_TABLES) -> tuple:
    """Read the daily tables ahead of the first page view, so nobody waits for the first reads.

    Returns the load token warmed (its run id is None before the first load: nothing to read)."""
    token = load_token(engine)
    if token[0] is None:
        return token
    for table in tables:
        whole_table(engine, table, token)
    return token


def keep_warm(
    engine: Engine, every_seconds: float = 30.0, after_new_load: Callable[[], object] | None = None
) -> threading.Thread:
    """Warm now and after each new load, from a daemon thread, so the first view after a load is quick too;
    `after_new_load` then runs once per load (the dashboard draws its default pages there)."""

    def loop() -> None:
        seen = None
        while True:
            try:
                token = warm(engine)
                if after_new_load is not None and token[0] is not None and token != seen:
                    _run_after_load(after_new_load)
                seen = token
            except SQLAlchemyError as error:  # a load holding a lock, a restarting server: try again later
                logger.warning("warming after a load failed: %s", first_line(error))
            time.sleep(every_seconds)

    thread = threading.Thread(target=loop, name="daily-cache-warmer", daemon=True)
    thread.start()
    return thread


def _run_after_load(action: Callable[[], object]) -> None:
    """Run the after-load step; whatever it raises is logged, since a dead warmer thread warms nothing again."""
    try:
        action()
    except Exception:
        logger.exception("the step after a load failed")


def clear() -> None:
    with _lock:
        _tables.clear()
