"""The at-risk history: when accounts became at risk and when they were fixed, recorded load by load.

An account is at risk when its email status is placeholder and it has portal access (SPEC section 3).
The source keeps only each web user's current email and access, so nothing in it says when a
placeholder was replaced: each load compares the web users it read with the accounts the warehouse
held before it, and appends each move to `at_risk_changes`, which no load replaces. A move is dated
by the event that most likely made it, since a load can run days after the change:

- first seen at risk (an account the warehouse did not hold): the day it got portal access with the
  placeholder, `coalesce(enrolled_at, created_at)`, its `enrolled_day`;
- seen moving into at risk: its latest `email_changed` or `portal_access_granted` event on or before
  the load, else the load's local day;
- fixed (at risk before, and now an email status other than placeholder): its latest `email_changed`
  event on or before the load, else the load's local day;
- lost access (at risk before, still the placeholder, no portal access now): the load's local day.

An account that leaves the source while at risk records nothing: nobody fixed it.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import Connection, Table, func, select

from portal import schema
from portal.db import insert_frame, read_frame

BECAME_AT_RISK, FIXED, LOST_ACCESS = "became_at_risk", "fixed", "lost_access"
DATING_EVENTS = {
    BECAME_AT_RISK: ("email_changed", "portal_access_granted"),
    FIXED: ("email_changed",),
    LOST_ACCESS: (),
}
"""The event types whose latest day dates each kind of move seen by a later load."""
STATE_COLUMNS = ["account_number", "email_status", "portal_access"]
MOVE_COLUMNS = ["account_number", "day", "change", "email_status_before", "email_status"]
KEY_BATCH = 500


def is_at_risk(accounts: pd.DataFrame) -> pd.Series:
    """Placeholder email with portal access: the customer cannot recover a password by themselves."""
    return (accounts["email_status"] == "placeholder") & accounts["portal_access"].astype(bool)


def moves(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The at-risk moves between the warehouse's accounts before a load (`previous`: account_number,
    email_status, portal_access) and the web users it read (`current`: those and enrolled_day).

    `day` is filled for accounts first seen at risk; the others are dated by `dated`."""
    before = previous[STATE_COLUMNS].assign(was_at_risk=is_at_risk(previous))
    now = current[[*STATE_COLUMNS, "enrolled_day"]].assign(at_risk=is_at_risk(current))
    both = now.merge(before, on="account_number", how="left", suffixes=("", "_before"), indicator=True)
    seen = both["_merge"] == "both"
    was = both["was_at_risk"].fillna(False).astype(bool)
    change = pd.Series(None, index=both.index, dtype=object)
    change[both["at_risk"] & ~was] = BECAME_AT_RISK
    change[seen & was & (both["email_status"] != "placeholder")] = FIXED
    change[seen & was & (both["email_status"] == "placeholder") & ~both["at_risk"]] = LOST_ACCESS
    moved = both[change.notna()].assign(change=change[change.notna()])
    first_seen = moved["_merge"] == "left_only"
    moved["day"] = moved["enrolled_day"].where(first_seen)
    return moved[MOVE_COLUMNS].reset_index(drop=True)


def dated(moved: pd.DataFrame, last_events: pd.DataFrame, load_day: date) -> pd.DataFrame:
    """The moves with every day filled: from each account's latest event of the types that date its
    kind of move (`last_events`: account_number, event_type, day, on or before the load), else `load_day`."""
    dating = pd.DataFrame(
        [(change, kind) for change, kinds in DATING_EVENTS.items() for kind in kinds], columns=["change", "event_type"]
    )
    latest = (
        moved[["account_number", "change"]]
        .reset_index()
        .merge(dating, on="change")
        .merge(last_events, on=["account_number", "event_type"])
        .groupby("index")["day"]
        .max()
    )
    day = pd.to_datetime(moved["day"]).fillna(pd.to_datetime(latest.reindex(moved.index)))
    return moved.assign(day=day.fillna(pd.Timestamp(load_day)))


def record(
    connection: Connection, previous: pd.DataFrame, current: pd.DataFrame, events: Table, loaded_at: datetime, zone
) -> int:
    """Append this load's moves to `at_risk_changes`, dating them from `events` (the load's events
    table, holding everything up to the load); returns how many it recorded."""
    moved = moves(previous, current)
    if moved.empty:
        return 0
    later = moved.loc[moved["day"].isna(), "account_number"].tolist()
    load_day = pd.Timestamp(loaded_at, tz="UTC").tz_convert(zone).date()
    rows = dated(moved, _last_events(connection, events, later), load_day)
    insert_frame(connection, schema.at_risk_changes, rows.assign(recorded_at=loaded_at))
    return len(rows)


def previous_accounts(connection: Connection) -> pd.DataFrame:
    """The warehouse's accounts as the last load left them: the state this load's moves start from."""
    a = schema.accounts
    return read_frame(connection, select(a.c.account_number, a.c.email_status, a.c.portal_access))


def _last_events(connection: Connection, events: Table, accounts: list[str]) -> pd.DataFrame:
    types = sorted({t for kinds in DATING_EVENTS.values() for t in kinds})
    frames = [
        read_frame(
            connection,
            select(events.c.account_number, events.c.event_type, func.max(events.c.occurred_day).label("day"))
            .where(events.c.account_number.in_(batch), events.c.event_type.in_(types))
            .group_by(events.c.account_number, events.c.event_type),
        )
        for batch in (accounts[i : i + KEY_BATCH] for i in range(0, len(accounts), KEY_BATCH))
    ]
    if not frames:
        return pd.DataFrame({"account_number": [], "event_type": [], "day": pd.Series(dtype="datetime64[us]")})
    return pd.concat(frames, ignore_index=True)
