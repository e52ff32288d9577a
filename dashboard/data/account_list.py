"""The account list as one SQL statement: every flag and drill-down slice, sorting and paging.

A million accounts stay fast because the per-account counts are correlated subqueries on indexed
tables (a page of 100 rows computes 100 pairs of counts, not a million) and the slices are
uncorrelated `IN (...)` subqueries the database evaluates once. Every chart's drill-down
becomes one `AccountFilters` (the slice lives in the URL), so the list, its page in the grid and
its CSV export are the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

from sqlalchemy import and_, asc, desc, func, or_, select

from dashboard.data.metrics import Filters
from portal import schema

ACCOUNT_COLUMNS = (
    "account_number",
    "segment",
    "portal_access",
    "email_status",
    "username_is_email",
    "email",
    "username",
    "enrolled_at",
    "last_login_at",
    "failed_recovery_attempts",
    "lockouts",
    "created_at",
)
"""The columns of the `accounts` dataset, in order; every one can be sorted on."""


@dataclass(frozen=True)
class AccountFilters:
    """The account list's own filters and drill-down slices, on top of the view's segment and range.

    Slices about activity (event types, weekday and hour, attempt outcome, failure reason, step,
    failed-attempt count, new enrollment) hold for something inside the view's start..end.
    """

    email_status: str | None = None
    portal_access: bool | None = None
    has_failed_recovery: bool | None = None
    username_is_email: bool | None = None
    event_type: tuple[str, ...] = ()
    weekday: int | None = None
    hour: int | None = None
    outcome: str | None = None
    failure_reason: str | None = None
    step: int | None = None
    min_failed: int | None = None
    enrolled: bool | None = None

    def query(self) -> dict[str, str]:
        """The filters as URL query parameters, the way `params.parse_account_filters` reads them."""
        out: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or value == ():
                continue
            if isinstance(value, bool):
                out[field.name] = "true" if value else "false"
            elif isinstance(value, tuple):
                out[field.name] = ",".join(value)
            else:
                out[field.name] = str(value)
        return out


ALL_ACCOUNTS = AccountFilters()


def _failed_count(filters: Filters):
    r, a = schema.recovery_attempts, schema.accounts
    return (
        select(func.count())
        .where(
            and_(
                r.c.account_number == a.c.account_number,
                r.c.outcome == "failed",
                r.c.started_day.between(filters.start, filters.end),
            )
        )
        .scalar_subquery()
    )


def _lockout_count(filters: Filters):
    lk, a = schema.daily_lockouts, schema.accounts
    return (
        select(func.coalesce(func.sum(lk.c.lockouts), 0))
        .where(and_(lk.c.account_number == a.c.account_number, lk.c.day.between(filters.start, filters.end)))
        .scalar_subquery()
    )


def _days_on_weekday(filters: Filters, weekday: int) -> list:
    first = filters.start + timedelta(days=(weekday - filters.start.weekday()) % 7)
    days = []
    while first <= filters.end:
        days.append(first)
        first += timedelta(days=7)
    return days


def _failed_accounts(filters: Filters, at_least: int = 1):
    """Accounts with `at_least` failed attempts in the range, found once from the outcome index.

    Filtering on the per-row count instead would run it for each of a million accounts (a second on
    SQLite); the count column stays correlated, since a page computes it for its hundred rows only.
    """
    r = schema.recovery_attempts
    statement = select(r.c.account_number).where(
        r.c.outcome == "failed",
        r.c.started_day.between(filters.start, filters.end),
        r.c.account_number.is_not(None),
    )
    if at_least > 1:
        statement = statement.group_by(r.c.account_number).having(func.count() >= at_least)
    return statement


def _slice_conditions(filters: Filters, only: AccountFilters) -> list:
    a, e, r = schema.accounts, schema.events, schema.recovery_attempts
    conditions = []
    if filters.segment is not None:
        conditions.append(a.c.segment == filters.segment)
    for name in ("email_status", "portal_access", "username_is_email"):
        value = getattr(only, name)
        if value is not None:
            conditions.append(a.c[name] == value)
    if only.has_failed_recovery is not None:
        with_failures = a.c.account_number.in_(_failed_accounts(filters))
        conditions.append(with_failures if only.has_failed_recovery else ~with_failures)
    if only.min_failed is not None:
        conditions.append(a.c.account_number.in_(_failed_accounts(filters, only.min_failed)))
    if only.enrolled is not None:
        newly = and_(a.c.portal_access.is_(True), a.c.enrolled_day.between(filters.start, filters.end))
        conditions.append(newly if only.enrolled else ~newly)
    if only.event_type or only.weekday is not None or only.hour is not None:
        event_match = [e.c.occurred_day.between(filters.start, filters.end)]
        if only.event_type:
            event_match.append(e.c.event_type.in_(only.event_type))
        if only.weekday is not None:
            event_match.append(e.c.occurred_day.in_(_days_on_weekday(filters, only.weekday)))
        if only.hour is not None:
            event_match.append(e.c.occurred_hour == only.hour)
        conditions.append(a.c.account_number.in_(select(e.c.account_number).where(and_(*event_match))))
    if only.outcome or only.failure_reason or only.step is not None:
        attempt_match = [r.c.started_day.between(filters.start, filters.end)]
        if only.outcome:
            attempt_match.append(r.c.outcome == only.outcome)
        if only.failure_reason:
            attempt_match.append(and_(r.c.outcome == "failed", r.c.failure_reason == only.failure_reason))
        if only.step is not None:
            attempt_match.append(r.c.furthest_step >= only.step)
        conditions.append(a.c.account_number.in_(select(r.c.account_number).where(and_(*attempt_match))))
    return conditions


def _grid_condition(column, model: dict):
    """One AG Grid column filter (text, number, or a combined pair) as SQL, or None to ignore it."""
    if "conditions" in model:
        parts = [c for c in (_grid_condition(column, m) for m in model["conditions"]) if c is not None]
        if not parts:
            return None
        return or_(*parts) if model.get("operator") == "OR" else and_(*parts)
    kind, value = model.get("type"), model.get("filter")
    if model.get("filterType") == "number":
        operators = {
            "equals": column.__eq__,
            "notEqual": column.__ne__,
            "greaterThan": column.__gt__,
            "greaterThanOrEqual": column.__ge__,
            "lessThan": column.__lt__,
            "lessThanOrEqual": column.__le__,
        }
        return operators[kind](value) if kind in operators and isinstance(value, int | float) else None
    if not isinstance(value, str) or not value:
        return None
    text = func.lower(func.coalesce(column, ""))
    needle = value.lower()
    operators = {
        "contains": lambda: text.contains(needle, autoescape=True),
        "notContains": lambda: ~text.contains(needle, autoescape=True),
        "equals": lambda: text == needle,
        "notEqual": lambda: text != needle,
        "startsWith": lambda: text.startswith(needle, autoescape=True),
        "endsWith": lambda: text.endswith(needle, autoescape=True),
    }
    return operators[kind]() if kind in operators else None


def _columns_and_conditions(filters: Filters, only: AccountFilters, grid_filters: dict | None):
    a = schema.accounts
    failed, locked = _failed_count(filters), _lockout_count(filters)
    by_name = {name: a.c[name] for name in ACCOUNT_COLUMNS if name in a.c}
    by_name.update(failed_recovery_attempts=failed, lockouts=locked)
    conditions = _slice_conditions(filters, only)
    for name, model in (grid_filters or {}).items():
        if name in ACCOUNT_COLUMNS and isinstance(model, dict):
            condition = _grid_condition(by_name[name], model)
            if condition is not None:
                conditions.append(condition)
    return by_name, conditions


def account_statement(
    filters: Filters,
    only: AccountFilters,
    *,
    sort: list[tuple[str, bool]] | None = None,
    grid_filters: dict | None = None,
):
    """The account list's select (columns of the `accounts` dataset), filtered, sorted, unpaged."""
    by_name, conditions = _columns_and_conditions(filters, only, grid_filters)
    statement = select(*(by_name[name].label(name) for name in ACCOUNT_COLUMNS))
    if conditions:
        statement = statement.where(and_(*conditions))
    order = []
    for name, ascending in sort or []:
        if name in ACCOUNT_COLUMNS:
            order.append(asc(by_name[name]) if ascending else desc(by_name[name]))
    return statement.order_by(*order, schema.accounts.c.account_number)


def count_statement(filters: Filters, only: AccountFilters, grid_filters: dict | None = None):
    """How many accounts the list holds; the per-account counts are computed only where filtered on."""
    _, conditions = _columns_and_conditions(filters, only, grid_filters)
    statement = select(func.count()).select_from(schema.accounts)
    return statement.where(and_(*conditions)) if conditions else statement
