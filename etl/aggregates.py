"""The parts of a full load's derived tables counted in pandas, batch by batch.

A full load sees its events and attempts one batch at a time: orphans and attempt counts are taken
from each batch here and added up, while the event counts come from `etl.stage`. Incremental loads
keep the SQL path in `etl.pipeline`, which recomputes only the days they touch; the two must give
the same rows, which the end-to-end tests check by comparing incremental and full loads. The active
portal users of an incremental load are formed here (`active_changes`), from the warehouse's login
days read a few accounts at a time (`whole_accounts`); a full load forms the same rows in DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from portal.vocabulary import ACTIVE_WINDOWS, UNKNOWN_SEGMENT

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


def orphans(events: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Events whose account number matches no loaded account, as `orphan_events` keeps them."""
    numbers = pa.array(events["account_number"], pa.string(), from_pandas=True)
    known = pc.is_in(numbers, value_set=pa.array(accounts["account_number"], pa.string(), from_pandas=True))
    orphan = events["account_number"].notna().to_numpy() & ~known.to_numpy(zero_copy_only=False)
    return events.loc[orphan, list(ORPHAN_COLUMNS)].reset_index(drop=True)


def sum_counts(parts: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Counts made batch by batch, added up per key; keys missing in SQL's way (NULL) kept as a group."""
    if not parts:
        return pd.DataFrame(columns=[name])
    frame = pd.concat(parts, ignore_index=True)
    keys = [column for column in frame.columns if column != name]
    if frame.empty:
        return frame
    return frame.groupby(keys, dropna=False, sort=False)[name].sum().reset_index()


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


ACTIVE_CHANGE_COLUMNS = ("day", "segment", "window_days", "change")


def active_changes(logins: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """`daily_active_changes` of these login days: per day, segment and window, the accounts that become
    active portal users less those that stop being.

    An account is active on day D for a window of W days when it has a successful login on one of
    D-W+1 .. D. So each login day L makes it active from L to the day before min(L + W, its next
    login day): +1 on L, -1 on that day; a next login within the window carries the stretch on, its +1
    cancelling the -1. Added up from the first day, the changes give every day's active accounts.

    `logins` (account_number, day) must hold each account it names whole from the earliest login
    that can reach the days wanted (W days back), repeats allowed; accounts not loaded are in segment
    'unknown', as everywhere.
    """
    logins = logins[["account_number", "day"]].dropna()
    # Accounts as integer codes, sorted and deduplicated with numpy: hashing and sorting millions of
    # account numbers as text took most of the time.
    codes, numbers = pd.factorize(logins["account_number"])
    days = logins["day"].to_numpy(dtype="datetime64[D]").astype(np.int64)
    order = np.lexsort((days, codes))
    codes, days = codes[order], days[order]
    first = np.ones(len(days), dtype=bool)
    first[1:] = (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])
    codes, days = codes[first], days[first]
    next_login = np.where(np.append(codes[1:] == codes[:-1], False), np.append(days[1:], 0), np.iinfo(np.int64).max)
    segment = segments(account_positions(pd.Series(numbers, dtype=object), accounts), accounts)
    parts = []
    for window in ACTIVE_WINDOWS:
        ends = np.minimum(days + window, next_login)
        for when, change in ((days, 1), (ends, -1)):
            parts.append(
                pd.DataFrame({"day": when, "segment": segment.codes[codes], "window_days": window, "change": change})
            )
    counted = pd.concat(parts, ignore_index=True).groupby(["day", "segment", "window_days"])["change"].sum()
    counted = counted[counted != 0].reset_index()
    counted["segment"] = segment.categories.to_numpy(dtype=object)[counted["segment"].to_numpy()]
    return net_changes([counted])


def net_changes(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Active-account changes added up per day, segment and window (from batches of accounts, or the two
    halves of a login), without the rows that come to nothing; days as dates, like the other daily tables."""
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(ACTIVE_CHANGE_COLUMNS))
    frame = frame.astype({"segment": object})
    if pd.api.types.is_integer_dtype(frame["day"].dtype):
        frame["day"] = frame["day"].to_numpy(dtype="datetime64[D]")
    summed = frame.groupby(["day", "segment", "window_days"], sort=True)["change"].sum().reset_index()
    summed = summed[summed["change"] != 0].reset_index(drop=True)
    return summed.astype({"day": "datetime64[us]", "window_days": "int64", "change": "int64"})[
        list(ACTIVE_CHANGE_COLUMNS)
    ]


def whole_accounts(frames: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Frames of rows in account order (rows of no account last), cut again so that no account's rows are
    split between two: what is formed per account (attempts, active stretches) needs each one whole."""
    carried: pd.DataFrame | None = None
    for frame in frames:
        if carried is not None:
            frame = pd.concat([carried, frame], ignore_index=True)
        if frame.empty:
            carried = None
            continue
        last = frame["account_number"].iloc[-1]
        if pd.isna(last):
            carried = None
            yield frame
            continue
        tail = (frame["account_number"] == last).fillna(False).to_numpy(dtype=bool)
        carried = frame[tail]
        if not tail.all():
            yield frame[~tail].reset_index(drop=True)
    if carried is not None and not carried.empty:
        yield carried.reset_index(drop=True)
