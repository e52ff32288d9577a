"""The full load's working store: the few event columns the derived tables need, in DuckDB on disk.

A full load streams the activity log in batches and never holds it whole. What it needs across
batches (repeated event ids, the daily counts, recovery events in account order to form attempts)
it asks of this store: DuckDB keeps the columns compressed on disk, spills its sorts and groupings
past its memory limit, and counts 21 million events in seconds over two cores, where pandas held
every event in memory and SQL in the warehouse took a quarter of an hour.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from etl.aggregates import HOURLY_TYPES, whole_accounts
from portal.vocabulary import ACTIVE_WINDOWS, OTHER_EVENT_TYPE, RECOVERY_TYPES, UNKNOWN_SEGMENT

STAGED_COLUMNS = {
    "event_id": "VARCHAR",
    "account_number": "VARCHAR",
    "occurred_at": "TIMESTAMP",
    "occurred_utc": "TIMESTAMP",
    "occurred_day": "DATE",
    "occurred_hour": "INTEGER",
    "event_type": "VARCHAR",
    "source_event_type": "VARCHAR",
}
"""The event columns the derived tables need, and their DuckDB types."""
MEMORY_LIMIT = "768MB"


class EventStage:
    """Slim copies of every loaded event, and the ids of every quarantined activity row."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="etl-stage-", dir=folder)
        path = Path(self._folder.name)
        self._db = duckdb.connect(
            str(path / "stage.duckdb"),
            config={
                "memory_limit": MEMORY_LIMIT,
                "temp_directory": str(path),
                "preserve_insertion_order": False,
            },
        )
        self._db.execute(f"CREATE TABLE events ({', '.join(f'{n} {t}' for n, t in STAGED_COLUMNS.items())})")
        self._db.execute("CREATE TABLE quarantined (event_id VARCHAR)")

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def __enter__(self) -> EventStage:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def append(self, events: pd.DataFrame, quarantined_ids: pd.Series) -> None:
        """Stage one batch: its loaded events and the ids of the rows it set aside."""
        self._insert("events", events[list(STAGED_COLUMNS)])
        ids = quarantined_ids.dropna()
        if not ids.empty:
            self._insert("quarantined", pd.DataFrame({"event_id": ids.astype("string")}))

    def _insert(self, table: str, frame: pd.DataFrame) -> None:
        self._db.register("batch", pa.Table.from_pandas(frame, preserve_index=False))
        self._db.execute(f"INSERT INTO {table} SELECT * FROM batch")
        self._db.unregister("batch")

    def repeated_ids(self) -> list[str]:
        """Ids on more than one activity row, loaded or set aside, in any batches."""
        return [
            row[0]
            for row in self._db.execute(
                "SELECT event_id FROM (SELECT event_id FROM events UNION ALL SELECT event_id FROM quarantined) "
                "GROUP BY event_id HAVING count(*) > 1 ORDER BY event_id"
            ).fetchall()
        ]

    def withdraw(self, event_ids: list[str]) -> None:
        if event_ids:
            self._db.register("withdrawn", pa.table({"event_id": pa.array(event_ids, pa.string())}))
            self._db.execute("DELETE FROM events WHERE event_id IN (SELECT event_id FROM withdrawn)")
            self._db.unregister("withdrawn")

    def counts(self) -> tuple[int, int]:
        """Events staged, and how many of them have the type `other`."""
        total, other = self._db.execute(
            f"SELECT count(*), count(*) FILTER (WHERE event_type = '{OTHER_EVENT_TYPE}') FROM events"
        ).fetchone()
        return int(total), int(other)

    def unmapped_types(self) -> pd.DataFrame:
        """Source event types mapped to `other`, with their event counts."""
        return self._db.execute(
            "SELECT source_event_type, count(*) AS events FROM events "
            f"WHERE event_type = '{OTHER_EVENT_TYPE}' GROUP BY source_event_type"
        ).df()

    def daily_tables(self, accounts: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """daily_events, daily_lockouts, hourly_events and daily_active_changes, as
        `etl.pipeline.refresh_aggregates` counts them.

        Segment is the account's, 'unknown' for events with no loaded account; lockouts are those of
        known account numbers only; hours only of `HOURLY_TYPES`. The active-user changes are those of
        `etl.aggregates.active_changes`, formed here in one pass: over millions of accounts, DuckDB's
        window functions take seconds where batches of accounts through pandas took a minute.
        """
        self._db.register(
            "accounts", pa.Table.from_pandas(accounts[["account_number", "segment"]], preserve_index=False)
        )
        joined = "FROM events e LEFT JOIN accounts a ON a.account_number = e.account_number WHERE {where} GROUP BY ALL"
        segment = f"coalesce(a.segment, '{UNKNOWN_SEGMENT}') AS segment"
        hourly = ", ".join(f"'{name}'" for name in HOURLY_TYPES)
        queries = {
            "daily_events": f"SELECT e.occurred_day AS day, {segment}, e.event_type, count(*) AS events "
            + joined.format(where="true"),
            "daily_lockouts": f"SELECT e.occurred_day AS day, {segment}, e.account_number, count(*) AS lockouts "
            + joined.format(where="e.event_type = 'account_locked' AND e.account_number IS NOT NULL"),
            "hourly_events": f"SELECT e.occurred_day AS day, e.occurred_hour AS hour, {segment}, e.event_type, "
            "count(*) AS events " + joined.format(where=f"e.event_type IN ({hourly})"),
            "daily_active_changes": _ACTIVE_CHANGES.format(segment=segment),
        }
        tables = {name: self._db.execute(sql).df() for name, sql in queries.items()}
        self._db.unregister("accounts")
        return tables

    def recovery_events(self, batch_rows: int) -> Iterator[pd.DataFrame]:
        """Recovery-family events in account order, in batches that never split an account's history."""
        types = ", ".join(f"'{name}'" for name in RECOVERY_TYPES)
        return self._by_account(
            "SELECT event_id, account_number, occurred_at, occurred_utc, event_type FROM events "
            f"WHERE event_type IN ({types}) ORDER BY account_number NULLS LAST",
            batch_rows,
        )

    def _by_account(self, sql: str, batch_rows: int) -> Iterator[pd.DataFrame]:
        reader = self._db.sql(sql).to_arrow_reader(batch_rows)
        return whole_accounts(batch.to_pandas(types_mapper=_STRINGS.get) for batch in reader)


_WINDOWS = ", ".join(f"({days})" for days in ACTIVE_WINDOWS)
_ACTIVE_CHANGES = (
    # A login day starts a stretch of activity unless the one before still reaches it, and ends its
    # stretch W days on unless the next one comes first: the only changes that do not cancel out.
    "WITH login_days AS (SELECT DISTINCT account_number, occurred_day AS day FROM events "
    "WHERE event_type = 'login_succeeded' AND account_number IS NOT NULL), "
    "neighbours AS (SELECT account_number, day, "
    "lag(day) OVER (PARTITION BY account_number ORDER BY day) AS previous, "
    "lead(day) OVER (PARTITION BY account_number ORDER BY day) AS next FROM login_days), "
    f"windowed AS (SELECT * FROM neighbours CROSS JOIN (VALUES {_WINDOWS}) AS w(window_days)), "
    "changes AS ("
    "SELECT account_number, day, window_days, 1 AS change FROM windowed "
    "WHERE previous IS NULL OR previous + window_days < day "
    "UNION ALL SELECT account_number, day + window_days, window_days, -1 FROM windowed "
    "WHERE next IS NULL OR next > day + window_days) "
    "SELECT c.day, {segment}, c.window_days, sum(c.change)::BIGINT AS change "
    "FROM changes c LEFT JOIN accounts a ON a.account_number = c.account_number "
    "GROUP BY ALL HAVING sum(c.change) <> 0 ORDER BY ALL"
)

_STRINGS = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow")}
