"""A run that fails leaves a record: when it started and failed, why in one line, and the load served then.

The record goes to `failed_runs`, in a transaction of its own after the failed load's was rolled
back, and never to `etl_runs`: the newest load stays the one served, so nothing kept per load is
drawn again for a load that did not happen, and every page can say the last run failed and which
load its figures are from (dashboard/data/freshness.py). A warehouse that cannot be opened or
written cannot hold the record either; the run's own one-line error still says what went wrong.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from etl.extract import SourceError
from portal import schema
from portal.config import ConfigError
from portal.db import warehouse_engine
from portal.engine import WarehouseError, first_line

EXPLAINED = (ConfigError, SourceError, WarehouseError)
"""Errors whose message is already the one line `python -m etl run` prints after `error: `."""
REASON_CHARACTERS = 500
"""The most of a reason kept: every page may show it."""


def record(warehouse_url: str, started_at: datetime, error: BaseException) -> None:
    """Record that the run begun at `started_at` (naive UTC) failed with `error`, if the warehouse can take it."""
    with contextlib.suppress(WarehouseError, SQLAlchemyError), warehouse_engine(warehouse_url).begin() as connection:
        served = connection.execute(select(func.max(schema.etl_runs.c.run_id))).scalar_one()
        connection.execute(
            insert(schema.failed_runs).values(
                started_at=started_at,
                failed_at=datetime.now(UTC).replace(tzinfo=None),
                reason=reason(error)[:REASON_CHARACTERS],
                served_run_id=served,
            )
        )


def reason(error: BaseException) -> str:
    """Why a run failed, in one line: the message the command prints, or an unexpected error's type and first line."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, EXPLAINED):
        return str(error)
    return f"{type(error).__name__}: {first_line(error)}"
