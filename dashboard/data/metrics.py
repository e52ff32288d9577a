"""The metrics of SPEC section 3, each defined once as a plain function over frames.

The same functions feed the charts, the drill-down lists and the CSV exports, so a figure on a page
and in a file can never disagree. Inputs are the warehouse's daily tables (or its attempt and
account rows); every day column is a naive datetime at midnight, local to the configured zone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from dashboard.data import ranges
from dashboard.data.view import Filters
from portal.vocabulary import ACTIVE_WINDOWS, EMAIL_STATUSES, OUTCOMES, RECOVERY_FAILURES, RECOVERY_STEPS

ADOPTION_COLUMNS = ("period_start", "total_accounts", "enrolled_accounts", "adoption_rate", "new_enrollments")
RECOVERY_COLUMNS = ("period_start", "attempts", *OUTCOMES, *RECOVERY_FAILURES)
RESET_COLUMNS = ("period_start", "self_service_resets", "staff_resets", "password_changes")
LOCKOUT_COLUMNS = ("period_start", "lockout_events", "accounts_locked")
MOST_LOCKED_COLUMNS = ("account_number", "segment", "lockouts", "last_locked_day")
RESET_TYPES = {
    "self_service_resets": "password_reset",
    "staff_resets": "password_reset_by_staff",
    "password_changes": "password_changed",
}


def period_start(days: pd.Series, grain: str) -> pd.Series:
    """The first day of the calendar period holding each day (ISO weeks start on Monday)."""
    days = pd.to_datetime(days).dt.normalize()
    if grain == "day":
        return days
    if grain == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    if grain == "month":
        return days.dt.to_period("M").dt.start_time.astype(days.dtype)
    raise ValueError(f"unknown grain {grain!r}")


def periods(filters: Filters) -> pd.DataFrame:
    """Every calendar period overlapping start..end, labelled by its own first day, with its last day.

    A copy each call, since callers add their columns to it; the periods themselves are worked out
    once per range and grain (a chart asks for them per trace)."""
    return _periods(filters.start, filters.end, filters.grain).copy()


def partial_periods(filters: Filters) -> pd.Series:
    """For each period of the view that the range covers only in part, the days it covers, as the
    hover says them ("1-15 Nov, partial"), by period start; a bar of half a month is not a month's.
    Whole periods are not in the series."""
    table = periods(filters)
    first = table["period_start"].clip(lower=filters.start_ts)
    last = table["period_end"].clip(upper=filters.end_ts)
    cut = (first > table["period_start"]) | (last < table["period_end"])
    labels = [_covered(a, b) for a, b in zip(first[cut], last[cut], strict=True)]
    return pd.Series(labels, index=table.loc[cut, "period_start"], dtype=object)


def days_in_view(filters: Filters) -> pd.Series:
    """How many days of each period of the view the range covers, by period start: what a period's
    count is divided by for its rate per day, the figure a partial period can be compared by."""
    table = periods(filters)
    first = table["period_start"].clip(lower=filters.start_ts)
    last = table["period_end"].clip(upper=filters.end_ts)
    return pd.Series(((last - first).dt.days + 1).to_numpy(), index=table["period_start"])


def _covered(first: pd.Timestamp, last: pd.Timestamp) -> str:
    if first == last:
        return f"{first.day} {first:%b}, partial"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b}, partial"
    return f"{first.day} {first:%b}-{last.day} {last:%b}, partial"


_PERIOD_STARTS = {"day": "D", "week": "7D", "month": "MS"}
_PERIOD_LENGTHS = {"day": pd.offsets.Day(0), "week": pd.offsets.Day(6), "month": pd.offsets.MonthEnd(0)}


@functools.lru_cache(maxsize=512)
def _periods(start: date, end: date, grain: str) -> pd.DataFrame:
    first = period_start(pd.Series([pd.Timestamp(start)]), grain).iloc[0]
    starts = pd.date_range(first, pd.Timestamp(end), freq=_PERIOD_STARTS[grain])
    frame = pd.DataFrame({"period_start": starts.astype("datetime64[us]")})
    frame["period_end"] = (starts + _PERIOD_LENGTHS[grain]).astype("datetime64[us]")
    return frame


def _in_view(frame: pd.DataFrame, filters: Filters, day: str = "day") -> pd.DataFrame:
    """Rows whose day falls inside start..end and, when one is chosen, in the segment."""
    return in_segment(frame[frame[day].between(filters.start_ts, filters.end_ts)], filters.segment)


def in_segment(frame: pd.DataFrame, segment: str | None) -> pd.DataFrame:
    """The rows of one segment, or all rows for all segments: the one place a frame is cut by segment."""
    return frame if segment is None else frame[frame["segment"] == segment]


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
    rows = in_segment(daily_accounts, filters.segment)
    by_day = rows.groupby("day")[["created", "enrolled"]].sum().sort_index().cumsum()
    table = periods(filters)
    as_of = table["period_end"].clip(upper=filters.end_ts)
    table["total_accounts"] = _running_at(by_day["created"], as_of)
    table["enrolled_accounts"] = _running_at(by_day["enrolled"], as_of)
    rate = table["enrolled_accounts"] / table["total_accounts"].replace(0, np.nan)
    table["adoption_rate"] = rate.round(6)
    flows = _in_view(daily_accounts, filters)
    new = _per_period(flows, filters, {"new_enrollments": flows["new_enrollments"]})
    table["new_enrollments"] = new["new_enrollments"].to_numpy()
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


def most_locked(daily_lockouts: pd.DataFrame, filters: Filters, limit: int) -> pd.DataFrame:
    """The `limit` accounts with the most lockouts in the view, most first, ties by account number,
    each with its segment and the last day it was locked."""
    rows = _in_view(daily_lockouts, filters)
    codes, accounts = pd.factorize(rows["account_number"])
    totals = np.bincount(codes, weights=rows["lockouts"].to_numpy(), minlength=len(accounts)).astype("int64")
    if len(totals) > limit:  # only accounts tied with the limit-th total or above can be in the top
        kept = np.flatnonzero(totals >= np.partition(totals, len(totals) - limit)[len(totals) - limit])
    else:
        kept = np.arange(len(totals))
    top = pd.DataFrame({"account_number": np.asarray(accounts)[kept], "lockouts": totals[kept]})
    top = top.sort_values(["lockouts", "account_number"], ascending=[False, True]).head(limit)
    details = (
        rows[rows["account_number"].isin(top["account_number"])]
        .groupby("account_number")
        .agg(segment=("segment", "first"), last_locked_day=("day", "max"))
    )
    table = top.join(details, on="account_number")
    return table[list(MOST_LOCKED_COLUMNS)].reset_index(drop=True)


ACTIVE_COLUMNS = ("period_start", *(f"active_users_{days}d" for days in ACTIVE_WINDOWS))


def active_users(daily_active_changes: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Active portal users at each period's last day (or `end`), a stock like the enrolled accounts.

    Active users on day D over a window of W days (30, 90) = distinct accounts with a `login_succeeded`
    on one of the W days ending at D, D included (D-W+1 .. D), in the view's segment. Counting
    distinct accounts needs each account's login days, which only the loader sees: it keeps the days
    accounts become and stop being active (`daily_active_changes`, built by
    etl.aggregates.active_changes), and the count on D is their sum up to D.
    """
    table = periods(filters)
    as_of = table["period_end"].clip(upper=filters.end_ts)
    for days in ACTIVE_WINDOWS:
        table[f"active_users_{days}d"] = _running_at(
            _active_running(daily_active_changes, filters.segment, days), as_of
        )
    return table[list(ACTIVE_COLUMNS)]


def active_users_at(daily_active_changes: pd.DataFrame, day: date, segment: str | None = None) -> dict[str, int]:
    """`active_users` on one day: {"active_users_30d": ..., "active_users_90d": ...}."""
    as_of = pd.Series([pd.Timestamp(day)]).astype("datetime64[us]")
    return {
        f"active_users_{days}d": int(_running_at(_active_running(daily_active_changes, segment, days), as_of)[0])
        for days in ACTIVE_WINDOWS
    }


def _active_running(daily_active_changes: pd.DataFrame, segment: str | None, days: int) -> pd.Series:
    rows = in_segment(daily_active_changes, segment)
    rows = rows[rows["window_days"] == days]
    return rows.groupby("day")["change"].sum().sort_index().cumsum()


RATE_COLUMNS = (
    "period_start",
    "recovery_success_rate",
    "staff_share_of_resets",
    "lockouts_per_1000_enrolled",
    *(f"active_share_{days}d" for days in ACTIVE_WINDOWS),
)


def share(part, whole):
    """`part / whole` to six places; empty where `whole` is 0, since there is no rate of nothing."""
    if isinstance(whole, pd.Series):
        return (part / whole.replace(0, np.nan)).round(6)
    return round(part / whole, 6) if whole else None


def rates(
    recovery: pd.DataFrame,
    resets: pd.DataFrame,
    lockouts: pd.DataFrame,
    adoption: pd.DataFrame,
    active: pd.DataFrame,
) -> pd.DataFrame:
    """The support rates per period, from the period tables of one view (every period in each):

    - recovery success rate: attempts that succeeded / attempts started in the period;
    - staff share of resets: staff resets / (self-service resets + staff resets), the calls the portal
      did not absorb;
    - lockouts per 1,000 enrolled accounts: lockout events / enrolled accounts at the period's last
      day (or the view's end) x 1,000, so a lockout count that rises only with enrollment reads flat;
    - active share (30 and 90 days): active portal users (`active_users`) / enrolled accounts, both
      at the period's last day (or the view's end): how many of those who can use the portal do.
    """
    resets_done = resets["self_service_resets"] + resets["staff_resets"]
    enrolled = adoption["enrolled_accounts"]
    return pd.DataFrame(
        {
            "period_start": recovery["period_start"],
            "recovery_success_rate": share(recovery["succeeded"], recovery["attempts"]),
            "staff_share_of_resets": share(resets["staff_resets"], resets_done),
            "lockouts_per_1000_enrolled": share(lockouts["lockout_events"] * 1000, enrolled),
            **{f"active_share_{days}d": share(active[f"active_users_{days}d"], enrolled) for days in ACTIVE_WINDOWS},
        }
    )[list(RATE_COLUMNS)]


STATUS_EVENTS = (
    "account_locked",
    "account_unlocked",
    "password_reset",
    "password_reset_by_staff",
    "login_failed",
    "login_succeeded",
)
UNLOCKING_EVENTS = ("account_unlocked", "password_reset", "password_reset_by_staff", "login_succeeded")
"""What ends a lockout, as far as the log shows: an unlock, a reset (by the portal or staff), or a sign-in."""


def account_status(last_at: Mapping[str, pd.Timestamp], attempts: pd.DataFrame) -> dict:
    """Where one account stands now: locked or not (its last lockout is later than anything that ends
    one), its last lockout, failed and successful logins, and how its newest recovery attempt ended.

    `last_at`: the time of the account's last event of each STATUS_EVENTS type it has; `attempts`:
    its recovery attempts, newest first."""
    locked_at = last_at.get("account_locked")
    ended = [last_at[kind] for kind in UNLOCKING_EVENTS if last_at.get(kind) is not None]
    newest = attempts.iloc[0] if len(attempts) else None
    return {
        "locked_now": locked_at is not None and all(locked_at > when for when in ended),
        "last_lockout": locked_at,
        "last_failed_login": last_at.get("login_failed"),
        "last_login": last_at.get("login_succeeded"),
        "last_recovery": None
        if newest is None
        else {
            "started_at": newest["started_at"],
            "outcome": newest["outcome"],
            "failure_reason": newest.get("failure_reason"),
        },
    }


def placeholder_summary(accounts: pd.DataFrame) -> dict[str, int]:
    """Placeholder-email accounts, and those among them at risk because they have portal access."""
    placeholder = accounts["email_status"] == "placeholder"
    return {
        "placeholder_accounts": int(placeholder.sum()),
        "at_risk_accounts": int((placeholder & accounts["portal_access"].astype(bool)).sum()),
    }


ENROLLMENT_FUNNEL = (
    ("registration started", "registration_started", "self-registration"),
    ("code rejected", "registration_code_invalid", "self-registration"),
    ("completed", "registration_completed", "self-registration"),
    ("activated", "account_activated", "self-registration"),
    ("access granted by staff", "portal_access_granted", "staff"),
)
"""Each enrollment step: its label, its event type and its route into the portal (a customer registers
themselves, or staff grant access)."""
ENROLLMENT_FUNNEL_COLUMNS = ("step", "event_type", "route", "accounts")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def stocks_at(daily_accounts: pd.DataFrame, day: date, segment: str | None = None) -> dict[str, int]:
    """Accounts standing on a day: total, enrolled, placeholder-email, and placeholder with access (at risk)."""
    rows = in_segment(daily_accounts, segment)
    rows = rows[rows["day"] <= pd.Timestamp(day)]
    placeholder = rows["email_status"] == "placeholder"
    return {
        "total_accounts": int(rows["created"].sum()),
        "enrolled_accounts": int(rows["enrolled"].sum()),
        "placeholder_accounts": int(rows.loc[placeholder, "created"].sum()),
        "at_risk_accounts": int(rows.loc[placeholder, "enrolled"].sum()),
    }


def email_status_over_time(daily_accounts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Accounts by email status at each period's last day (or `end`), and placeholder ones at risk."""
    table = periods(filters)
    as_of = table["period_end"].clip(upper=filters.end_ts)
    rows = in_segment(daily_accounts, filters.segment)
    for status in EMAIL_STATUSES:
        mine = rows[rows["email_status"] == status].groupby("day")["created"].sum().sort_index().cumsum()
        table[status] = _running_at(mine, as_of)
    risky = rows[rows["email_status"] == "placeholder"].groupby("day")["enrolled"].sum().sort_index().cumsum()
    table["at_risk"] = _running_at(risky, as_of)
    return table[["period_start", *EMAIL_STATUSES, "at_risk"]]


AT_RISK_CHANGE_COLUMNS = ("period_start", "new_at_risk", "fixed")
AT_RISK_CHANGE_KINDS = {"new_at_risk": "became_at_risk", "fixed": "fixed"}
"""Each column of `at_risk_changes` and the move (vocabulary.AT_RISK_CHANGES) it counts."""


def at_risk_changes(changes: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """New at-risk accounts against fixed ones, per period.

    `new_at_risk` = distinct accounts that became at risk (placeholder email with portal access) on a
    day of the period; `fixed` = distinct accounts whose email moved from the placeholder to another
    status on a day of the period, no longer at risk. Inside start..end only, like every flow. `changes`
    is the loader's history (account_number, day, change, segment: etl.at_risk dates each move), one
    row per move: an account that moved twice in a period counts once. Accounts that lost portal
    access while keeping the placeholder are neither."""
    rows = _in_view(changes, filters)
    table = periods(filters)[["period_start"]]
    firsts = period_start(rows["day"], filters.grain).astype("datetime64[us]")
    for column, change in AT_RISK_CHANGE_KINDS.items():
        mine = rows["change"] == change
        distinct = rows.loc[mine, "account_number"].groupby(firsts[mine]).nunique()
        table[column] = table["period_start"].map(distinct).fillna(0).astype("int64")
    return table[list(AT_RISK_CHANGE_COLUMNS)]


def _running_at(running: pd.Series, as_of: pd.Series) -> np.ndarray:
    """The value of a running total on each as-of day (0 before its first day)."""
    if running.empty:
        return np.zeros(len(as_of), dtype="int64")
    position = running.index.searchsorted(as_of, side="right") - 1
    values = running.to_numpy()[np.clip(position, 0, None)]
    return np.where(position >= 0, values, 0).astype("int64")


def adoption_by_segment(daily_accounts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Per segment at `end`: total and enrolled accounts, adoption rate; new enrollments inside the range."""
    upto = daily_accounts[daily_accounts["day"] <= filters.end_ts]
    stocks = upto.groupby("segment")[["created", "enrolled"]].sum()
    flows = _in_view(daily_accounts, replace(filters, segment=None)).groupby("segment")["new_enrollments"].sum()
    table = stocks.join(flows, how="left").fillna(0).astype("int64").reset_index()
    table = table.rename(columns={"created": "total_accounts", "enrolled": "enrolled_accounts"})
    table["adoption_rate"] = (table["enrolled_accounts"] / table["total_accounts"].replace(0, np.nan)).round(6)
    table = in_segment(table, filters.segment)
    columns = ["segment", "total_accounts", "enrolled_accounts", "adoption_rate", "new_enrollments"]
    return table.sort_values("total_accounts", ascending=False)[columns].reset_index(drop=True)


def email_status_breakdown(daily_accounts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Accounts by email status at `end`, split by portal access."""
    rows = in_segment(daily_accounts, filters.segment)
    rows = rows[rows["day"] <= filters.end_ts].groupby("email_status")[["created", "enrolled"]].sum()
    rows = rows.reindex(list(EMAIL_STATUSES), fill_value=0)
    table = pd.DataFrame(
        {
            "email_status": list(EMAIL_STATUSES),
            "with_portal_access": rows["enrolled"].to_numpy(dtype="int64"),
            "without_portal_access": (rows["created"] - rows["enrolled"]).to_numpy(dtype="int64"),
        }
    )
    table["accounts"] = table["with_portal_access"] + table["without_portal_access"]
    return table


def enrollment_funnel(accounts_with: Mapping[str, int]) -> pd.DataFrame:
    """The enrollment steps in the order a customer meets them, then staff-granted access as the second
    route in, each as the distinct accounts with at least one such event in the view (a customer whose
    code is rejected twice is one account, not two events).

    `accounts_with`: for each event type, how many accounts have one in the view (the drill-down
    list's count, so a step and the accounts it opens are one number)."""
    return pd.DataFrame(
        [(label, kind, route, int(accounts_with.get(kind, 0))) for label, kind, route in ENROLLMENT_FUNNEL],
        columns=list(ENROLLMENT_FUNNEL_COLUMNS),
    )


def recovery_funnel(daily_attempts: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Attempts started in the range that reached each forgot-password step, and the drop-off to it."""
    rows = _in_view(daily_attempts, filters)
    reached = [int(rows.loc[rows["furthest_step"] >= step, "attempts"].sum()) for step in range(len(RECOVERY_STEPS))]
    table = pd.DataFrame({"step_number": range(len(RECOVERY_STEPS)), "step": RECOVERY_STEPS, "attempts": reached})
    previous = table["attempts"].shift(1)
    table["drop_off"] = (previous - table["attempts"]).fillna(0).astype("int64")
    table["drop_off_rate"] = (table["drop_off"] / previous.replace(0, np.nan)).round(6)
    return table


def reset_heatmap(hourly_events: pd.DataFrame, filters: Filters, event_types: tuple[str, ...]) -> pd.DataFrame:
    """Events of the given types inside the range by weekday (0 = Monday) and hour, every cell present."""
    rows = _in_view(hourly_events, filters)
    rows = rows[rows["event_type"].isin(event_types)]
    counts = rows.assign(weekday=rows["day"].dt.day_of_week).groupby(["weekday", "hour"])["events"].sum()
    grid = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    table = counts.reindex(grid, fill_value=0).astype("int64").rename("events").reset_index()
    table["weekday_name"] = table["weekday"].map(dict(enumerate(WEEKDAYS)))
    return table[["weekday", "weekday_name", "hour", "events"]]


def previous_range(filters: Filters) -> Filters:
    """The view a view's change is measured against (`ranges.previous_range`): same grain and segment."""
    start, end = ranges.previous_range(filters.start, filters.end)
    return replace(filters, start=start, end=end)


KPIS = (
    ("adoption_rate", "Adoption rate"),
    ("enrolled_accounts", "Enrolled accounts"),
    ("active_users_30d", "Active portal users (30 days)"),
    ("active_share_30d", "Active share of enrolled (30 days)"),
    ("active_users_90d", "Active portal users (90 days)"),
    ("active_share_90d", "Active share of enrolled (90 days)"),
    ("placeholder_accounts", "Placeholder-email accounts"),
    ("at_risk_accounts", "At risk (placeholder with access)"),
    ("failed_recovery_attempts", "Failed recovery attempts"),
    ("recovery_success_rate", "Recovery success rate"),
    ("self_service_resets", "Self-service resets"),
    ("staff_resets", "Staff resets"),
    ("staff_share_of_resets", "Staff share of resets"),
    ("lockout_events", "Lockouts"),
    ("lockouts_per_1000_enrolled", "Lockouts per 1,000 enrolled"),
)
"""Each headline figure: its key and its label. Which page explains it is the web layer's (`urls.KPI_PAGES`)."""


def kpi_values(
    daily_accounts: pd.DataFrame,
    daily_attempts: pd.DataFrame,
    daily_events: pd.DataFrame,
    daily_active_changes: pd.DataFrame,
    filters: Filters,
) -> dict[str, float | int | None]:
    """The headline figures of one range: stocks (active users too) at `end`, flows inside start..end."""
    stocks = stocks_at(daily_accounts, filters.end, filters.segment)
    active = active_users_at(daily_active_changes, filters.end, filters.segment)
    attempts = _in_view(daily_attempts, filters)
    by_type = _in_view(daily_events, filters).groupby("event_type")["events"].sum()
    total = stocks["total_accounts"]
    outcomes = attempts.groupby("outcome")["attempts"].sum()
    self_service, staff = int(by_type.get("password_reset", 0)), int(by_type.get("password_reset_by_staff", 0))
    locked = int(by_type.get("account_locked", 0))
    return {
        "adoption_rate": share(stocks["enrolled_accounts"], total),
        **stocks,
        **active,
        **{
            f"active_share_{days}d": share(active[f"active_users_{days}d"], stocks["enrolled_accounts"])
            for days in ACTIVE_WINDOWS
        },
        "failed_recovery_attempts": int(outcomes.get("failed", 0)),
        "recovery_success_rate": share(int(outcomes.get("succeeded", 0)), int(outcomes.sum())),
        "self_service_resets": self_service,
        "staff_resets": staff,
        "staff_share_of_resets": share(staff, self_service + staff),
        "lockout_events": locked,
        "lockouts_per_1000_enrolled": share(locked * 1000, stocks["enrolled_accounts"]),
    }


def kpis(
    daily_accounts: pd.DataFrame,
    daily_attempts: pd.DataFrame,
    daily_events: pd.DataFrame,
    daily_active_changes: pd.DataFrame,
    filters: Filters,
) -> pd.DataFrame:
    """Each headline figure for the range, for the previous range of equal length, and the change."""
    tables = (daily_accounts, daily_attempts, daily_events, daily_active_changes)
    now = kpi_values(*tables, filters)
    before = kpi_values(*tables, previous_range(filters))
    rows = []
    for key, label in KPIS:
        value, previous = now[key], before[key]
        change = None if value is None or previous is None else round(value - previous, 6)
        rows.append({"kpi": key, "label": label, "value": value, "previous": previous, "change": change})
    return pd.DataFrame(rows)
