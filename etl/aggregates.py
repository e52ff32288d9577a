"""The event-based daily tables computed in pandas, for a full load.

A full load already holds every event, account and recovery attempt in memory. Grouping them here
takes seconds, where the same `INSERT … SELECT … GROUP BY` over the freshly written events table
joined to accounts took more than 15 minutes on SQLite at 21 million events. Incremental loads
keep the SQL path in `etl.pipeline`, which recomputes only the days they touch; the two must give
the same rows, which the end-to-end tests check by comparing incremental and full loads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.transform import UNKNOWN_SEGMENT

HOURLY_TYPES = ("password_reset", "password_reset_by_staff", "password_changed", "account_locked")
"""Event types kept by hour too, for the weekday-by-hour views."""
ORPHAN_COLUMNS = (
    "event_id",
    "account_number",
    "occurred_at",
    "occurred_utc",
    "occurred_day",
    "event_type",
    "channel",
    "detail",
)


def account_positions(account_numbers: pd.Series, accounts: pd.DataFrame) -> np.ndarray:
    """Each row's position in `accounts`, -1 when its account is missing or not loaded.

    Looked up once per frame and reused by every table: hashing 21 million account numbers is the
    costliest step of the aggregation, and this is the in-memory equivalent of the SQL outer join.
    """
    index = pd.Index(accounts["account_number"].astype(object).to_numpy())
    return index.get_indexer(account_numbers.astype(object).to_numpy())


def segments(positions: np.ndarray, accounts: pd.DataFrame) -> pd.Categorical:
    """The segment of each row's account, 'unknown' when there is none, as the SQL `coalesce` gives.

    A categorical keeps 21 million labels to one byte each and groups faster than text.
    """
    labels = accounts["segment"].astype(object).where(accounts["segment"].notna(), UNKNOWN_SEGMENT)
    categories = pd.Index(pd.unique(np.append(labels.to_numpy(dtype=object), UNKNOWN_SEGMENT)))
    codes = categories.get_indexer(labels.to_numpy(dtype=object))
    unknown = categories.get_loc(UNKNOWN_SEGMENT)
    row_codes = np.where(positions >= 0, codes[np.maximum(positions, 0)] if len(codes) else unknown, unknown)
    return pd.Categorical.from_codes(row_codes, categories=categories)


def _count(frame: pd.DataFrame, keys: list[str], name: str) -> pd.DataFrame:
    """Rows per distinct key tuple, missing keys forming their own group as SQL's GROUP BY does."""
    if frame.empty:
        return pd.DataFrame({**{key: frame[key] for key in keys}, name: pd.Series(dtype="int64")})
    counted = frame.groupby(keys, dropna=False, observed=True, sort=False).size()
    return counted.rename(name).reset_index()


def event_tables(events: pd.DataFrame, accounts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """daily_events, daily_lockouts, hourly_events and orphan_events rows from the loaded events.

    Each equals what `etl.pipeline.refresh_aggregates` selects from the events table joined to
    accounts: counts per local day and segment, lockouts only of known account numbers, hours only
    of `HOURLY_TYPES`, and orphans being events whose account number matches no loaded account.
    """
    positions = account_positions(events["account_number"], accounts)
    has_account = events["account_number"].notna().to_numpy()
    keyed = pd.DataFrame(
        {
            "day": events["occurred_day"].to_numpy(),
            "hour": events["occurred_hour"].to_numpy(),
            "segment": segments(positions, accounts),
            "event_type": events["event_type"].astype("category").to_numpy(),
        }
    )
    locked = (events["event_type"] == "account_locked").fillna(False).to_numpy(dtype=bool) & has_account
    lockouts = keyed.loc[locked, ["day", "segment"]].assign(
        account_number=events.loc[locked, "account_number"].to_numpy()
    )
    hourly = events["event_type"].isin(HOURLY_TYPES).to_numpy(dtype=bool)
    orphan = has_account & (positions < 0)
    return {
        "daily_events": _count(keyed, ["day", "segment", "event_type"], "events"),
        "daily_lockouts": _count(lockouts, ["day", "segment", "account_number"], "lockouts"),
        "hourly_events": _count(keyed[hourly], ["day", "hour", "segment", "event_type"], "events"),
        "orphan_events": events.loc[orphan, list(ORPHAN_COLUMNS)].reset_index(drop=True),
    }


def daily_attempts(attempts: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Recovery attempts per start day, segment, outcome, failure reason and furthest step.

    The failure reason is kept only for failed attempts, as in the SQL `CASE`, so that succeeded and
    abandoned attempts each form one group per step whatever events they ended with.
    """
    positions = account_positions(attempts["account_number"], accounts)
    failed = (attempts["outcome"] == "failed").fillna(False).to_numpy(dtype=bool)
    keyed = pd.DataFrame(
        {
            "day": attempts["started_day"].to_numpy(),
            "segment": segments(positions, accounts),
            "outcome": attempts["outcome"].astype(object).to_numpy(),
            "failure_reason": attempts["failure_reason"].astype(object).where(failed, None).to_numpy(),
            "furthest_step": attempts["furthest_step"].to_numpy(),
        }
    )
    return _count(keyed, ["day", "segment", "outcome", "failure_reason", "furthest_step"], "attempts")
