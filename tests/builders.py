"""Small hand-built billing sources for tests, written through SQLAlchemy to any database."""

from __future__ import annotations

from itertools import count

import pandas as pd
from sqlalchemy import create_engine

WEB_USER_DEFAULTS = {
    "segment": "residential",
    "username": None,
    "email": None,
    "portal_access": "false",
    "created_at": "2024-01-01 09:00:00",
    "enrolled_at": None,
    "last_login_at": None,
}
EVENT_DEFAULTS = {"actor": "customer", "channel": "web", "detail": None}
_ids = count(1)


def web_user(account_number: str | None, **values) -> dict:
    return {"account_number": account_number, **WEB_USER_DEFAULTS, **values}


def event(account_number: str | None, occurred_at: str | None, event_type: str, event_id=None, **values) -> dict:
    return {
        "event_id": event_id if event_id is not None else next(_ids),
        "account_number": account_number,
        "occurred_at": occurred_at,
        "event_type": event_type,
        **EVENT_DEFAULTS,
        **values,
    }


def write_source(
    url: str,
    web_users: list[dict],
    events: list[dict],
    *,
    web_users_table: str = "web_users",
    activity_log_table: str = "activity_log",
    rename: dict[str, str] | None = None,
    if_exists: str = "replace",
) -> None:
    """Write the two source tables; `rename` maps canonical column names to the source's own."""
    engine = create_engine(url)
    users = pd.DataFrame(web_users, columns=["account_number", *WEB_USER_DEFAULTS])
    log = pd.DataFrame(events, columns=["event_id", "account_number", "occurred_at", "event_type", *EVENT_DEFAULTS])
    if rename:
        users = users.rename(columns=rename)
        log = log.rename(columns=rename)
    with engine.begin() as connection:
        users.to_sql(web_users_table, connection, if_exists=if_exists, index=False)
        log.to_sql(activity_log_table, connection, if_exists=if_exists, index=False)
    engine.dispose()
