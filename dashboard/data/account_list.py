"""The account list as one SQL statement: every flag and drill-down slice, sorting and paging.

A million accounts stay fast because the per-account counts are correlated subqueries on indexed
tables (a page of 100 rows computes 100 pairs of counts, not a million) and the slices are
uncorrelated `IN (...)` subqueries the database evaluates once. Every chart's drill-down
becomes one `AccountFilters` (the slice lives in the URL), so the list, its page in the grid and
its CSV export are the same statement.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import and_, asc, desc, func, or_, select

from dashboard.data.slices import AccountFilters, yes_no
from dashboard.data.view import Filters
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


_LARGEST_NUMBER = 2**53
"""Numbers a filter compares with: beyond this a database integer overflows, and no count gets there."""


def _grid_condition(column, model: dict):
    """One AG Grid column filter (text, number, or a combined pair) as SQL, or None to ignore it."""
    if "conditions" in model:
        conditions = model["conditions"] if isinstance(model["conditions"], list) else []
        parts = [_grid_condition(column, m) for m in conditions if isinstance(m, dict)]
        parts = [c for c in parts if c is not None]
        if not parts:
            return None
        return or_(*parts) if model.get("operator") == "OR" else and_(*parts)
    kind, value = model.get("type"), model.get("filter")
    kind = kind if isinstance(kind, str) else None
    if model.get("filterType") == "number":
        operators = {
            "equals": column.__eq__,
            "notEqual": column.__ne__,
            "greaterThan": column.__gt__,
            "greaterThanOrEqual": column.__ge__,
            "lessThan": column.__lt__,
            "lessThanOrEqual": column.__le__,
        }
        usable = isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= _LARGEST_NUMBER
        return operators[kind](value) if kind in operators and usable else None
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
    conditions = only.conditions(filters)
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


def account_warnings(record: Mapping[str, object]) -> list[str]:
    """What support should notice first about a web user record."""
    notes = []
    status, access = record.get("email_status"), record.get("portal_access")
    if status == "placeholder":
        notes.append(
            "Placeholder email: this account cannot receive a recovery code"
            + (" and has portal access, so it is at risk." if yes_no(access) == "yes" else ".")
        )
    elif status == "missing":
        notes.append("No email on record: forgot-password cannot reach this customer.")
    elif status == "invalid":
        notes.append("The email on record is not a valid address.")
    if yes_no(record.get("username_is_email")) == "no":
        notes.append("The username is not an email: the customer may be typing their email to log in.")
    return notes
