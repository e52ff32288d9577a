"""The metrics of SPEC section 3, each defined once as a plain function over frames.

The same functions feed the charts, the drill-down lists and the CSV exports, so a figure on a page
and in a file can never disagree. Inputs are the warehouse's daily tables (or its attempt and
account rows); every day column is a naive datetime at midnight, local to the configured zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from etl.rules import RECOVERY_FAILURES

GRAINS = ("day", "week", "month")
OUTCOMES = ("succeeded", "failed", "abandoned")

ADOPTION_COLUMNS = ("period_start", "total_accounts", "enrolled_accounts", "adoption_rate", "new_enrollments")
RECOVERY_COLUMNS = ("period_start", "attempts", *OUTCOMES, *RECOVERY_FAILURES)
RESET_COLUMNS = ("period_start", "self_service_resets", "staff_resets", "password_changes")
LOCKOUT_COLUMNS = ("period_start", "lockout_events", "accounts_locked")
RESET_TYPES = {
    "self_service_resets": "password_reset",
    "staff_resets": "password_reset_by_staff",
    "password_changes": "password_changed",
}


@dataclass(frozen=True)
class Filters:
    """The view every metric is cut to: an inclusive date range, a grain and one segment or all."""

    start: date
    end: date
    grain: str = "day"
    segment: str | None = None

    @property
    def start_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.start)

    @property
    def end_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.end)


def period_start(days: pd.Series, grain: str) -> pd.Series:
    """The first day of the calendar period holding each day (ISO weeks start on Monday)."""
    days = pd.to_datetime(days).dt.normalize()
    if grain == "day":
        return days
    if grain == "week":
        return days - pd.to_timedelta(days.dt.weekday, unit="D")
    if grain == "month":
        return days.dt.to_period("M").dt.start_time.astype(days.dtype)
    raise ValueError(f"unknown grain {grain!r}")


def periods(filters: Filters) -> pd.DataFrame:
    """Every calendar period overlapping start..end, labelled by its own first day, with its last day."""
    first = period_start(pd.Series([filters.start_ts]), filters.grain).iloc[0]
    step = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1)}[
        filters.grain
    ]
    starts = pd.date_range(first, filters.end_ts, freq=step)
    frame = pd.DataFrame({"period_start": starts.astype("datetime64[us]")})
    frame["period_end"] = (frame["period_start"] + step - pd.Timedelta(days=1)).astype("datetime64[us]")
    return frame


def _in_view(frame: pd.DataFrame, filters: Filters, day: str = "day") -> pd.DataFrame:
    """Rows whose day falls inside start..end and, when one is chosen, in the segment."""
    mask = frame[day].between(filters.start_ts, filters.end_ts)
    if filters.segment is not None:
        mask &= frame["segment"] == filters.segment
    return frame[mask]


def _per_period(rows: pd.DataFrame, filters: Filters, values: dict[str, pd.Series]) -> pd.DataFrame:
    """Sum each value series per period, zero-filled over every period of the view."""
    table = periods(filters)[["period_start"]]
    if rows.empty:
        for name in values:
            table[name] = 0
        return table
    keyed = pd.DataFrame(values, index=rows.index)
    keyed["period_start"] = period_start(rows["day"], filters.grain).astype("datetime64[us]")
    sums = keyed.groupby("period_start").sum()
    table = table.merge(sums, left_on="period_start", right_index=True, how="left")
    for name in values:
        table[name] = table[name].fillna(0).astype("int64")
    return table


def adoption(daily_accounts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Enrollment adoption per period: stocks at the period's last day (or `end`), flows inside the view."""
    rows = daily_accounts if filters.segment is None else daily_accounts[daily_accounts["segment"] == filters.segment]
    by_day = rows.groupby("day")[["created", "enrolled"]].sum().sort_index().cumsum()
    table = periods(filters)
    as_of = table["period_end"].clip(upper=filters.end_ts)
    position = by_day.index.searchsorted(as_of, side="right") - 1
    for source, target in (("created", "total_accounts"), ("enrolled", "enrolled_accounts")):
        running = by_day[source].to_numpy()
        table[target] = np.where(position >= 0, running[np.clip(position, 0, None)] if len(running) else 0, 0)
        table[target] = table[target].astype("int64")
    rate = table["enrolled_accounts"] / table["total_accounts"].replace(0, np.nan)
    table["adoption_rate"] = rate.round(6)
    flows = _in_view(daily_accounts, filters)
    table["new_enrollments"] = _per_period(flows, filters, {"new_enrollments": flows["new_enrollments"]})[
        "new_enrollments"
    ].to_numpy()
    return table[list(ADOPTION_COLUMNS)]


def recovery(daily_attempts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Recovery attempts per period of their first event, by outcome and (failed ones) by reason."""
    rows = _in_view(daily_attempts, filters)
    counts = rows["attempts"]
    values = {"attempts": counts}
    values.update({outcome: counts.where(rows["outcome"] == outcome, 0) for outcome in OUTCOMES})
    failed = rows["outcome"] == "failed"
    values.update(
        {reason: counts.where(failed & (rows["failure_reason"] == reason), 0) for reason in RECOVERY_FAILURES}
    )
    return _per_period(rows, filters, values)[list(RECOVERY_COLUMNS)]


def resets(daily_events: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Self-service resets, staff resets and in-session password changes per period."""
    rows = _in_view(daily_events, filters)
    values = {name: rows["events"].where(rows["event_type"] == kind, 0) for name, kind in RESET_TYPES.items()}
    return _per_period(rows, filters, values)[list(RESET_COLUMNS)]


def lockouts(daily_events: pd.DataFrame, daily_lockouts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Lockout events, and distinct accounts locked at least once, per period."""
    rows = _in_view(daily_events, filters)
    table = _per_period(
        rows, filters, {"lockout_events": rows["events"].where(rows["event_type"] == "account_locked", 0)}
    )
    locked = _in_view(daily_lockouts, filters)
    distinct = (
        locked.assign(period_start=period_start(locked["day"], filters.grain).astype("datetime64[us]"))
        .groupby("period_start")["account_number"]
        .nunique()
        .rename("accounts_locked")
    )
    table = table.merge(distinct, left_on="period_start", right_index=True, how="left")
    table["accounts_locked"] = table["accounts_locked"].fillna(0).astype("int64")
    return table[list(LOCKOUT_COLUMNS)]


def attempts_in_view(attempts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Recovery attempts whose first event falls in the view (attempts carry their account's segment)."""
    return _in_view(attempts, filters, day="started_day")


def placeholder_summary(accounts: pd.DataFrame) -> dict[str, int]:
    """Placeholder-email accounts, and those among them at risk because they have portal access."""
    placeholder = accounts["email_status"] == "placeholder"
    return {
        "placeholder_accounts": int(placeholder.sum()),
        "at_risk_accounts": int((placeholder & accounts["portal_access"].astype(bool)).sum()),
    }
