"""Drill-down slices of the account list: one class reads them from the query string, turns them
into SQL and says them in words.

A chart point, a flag button or a pasted link names a slice with query parameters
(`?outcome=failed&failure_reason=recovery_code_failed`); `AccountFilters.parse` reads them,
`conditions` selects exactly those accounts, and `chips` shows them back as "Outcome: failed" with
a way to drop each one. A new slice is a field here, its line in each of the three, and the page
that offers it. Slices about activity (event types, weekday and hour, attempt outcome, failure
reason, step, failed-attempt count, new enrollment, an at-risk move) hold for something inside the
view's range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta

from sqlalchemy import and_, func, select

from dashboard.data.metrics import WEEKDAYS
from dashboard.data.params import BadParameter, parse_bool, parse_choice, parse_int
from dashboard.data.view import Filters, period_label
from portal import schema
from portal.vocabulary import (
    AT_RISK_CHANGES,
    CANONICAL_EVENT_TYPES,
    EMAIL_STATUSES,
    OTHER_EVENT_TYPE,
    OUTCOMES,
    RECOVERY_FAILURES,
    RECOVERY_STEPS,
)

FAILURE_WORDS = {
    "recovery_email_unknown": "email unknown",
    "recovery_code_failed": "code failed",
    "security_question_failed": "security question failed",
}
AT_RISK_CHANGE_WORDS = {
    "became_at_risk": "Became at risk in range",
    "fixed": "Fixed in range: placeholder email replaced",
    "lost_access": "Lost portal access in range while at risk",
}


@dataclass(frozen=True)
class AccountFilters:
    """The account list's own filters and drill-down slices, on top of the view's segment and range."""

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
    at_risk_change: str | None = None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> AccountFilters:
        """The slice from the query string; raises BadParameter naming the first bad parameter."""
        types = tuple(t.strip() for t in (args.get("event_type") or "").split(",") if t.strip())
        unknown = [t for t in types if t not in CANONICAL_EVENT_TYPES | {OTHER_EVENT_TYPE}]
        if unknown:
            raise BadParameter(f"event_type {unknown[0]!r} is not a canonical event type")
        return cls(
            email_status=parse_choice(args, "email_status", EMAIL_STATUSES),
            portal_access=parse_bool("portal_access", args.get("portal_access")),
            has_failed_recovery=parse_bool("has_failed_recovery", args.get("has_failed_recovery")),
            username_is_email=parse_bool("username_is_email", args.get("username_is_email")),
            event_type=types,
            weekday=parse_int(args, "weekday", 0, 6),
            hour=parse_int(args, "hour", 0, 23),
            outcome=parse_choice(args, "outcome", OUTCOMES),
            failure_reason=parse_choice(args, "failure_reason", RECOVERY_FAILURES),
            step=parse_int(args, "step", 0, len(RECOVERY_STEPS) - 1),
            min_failed=parse_int(args, "min_failed", 1, 1_000_000),
            enrolled=parse_bool("enrolled", args.get("enrolled")),
            at_risk_change=parse_choice(args, "at_risk_change", AT_RISK_CHANGES),
        )

    def query(self) -> dict[str, str]:
        """The slice as query parameters, the way `parse` reads them back."""
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

    def conditions(self, view: Filters) -> list:
        """SQL conditions on `accounts` selecting the slice within the view (segment included).

        Activity slices are uncorrelated `IN (...)` subqueries the database evaluates once, so a
        slice of a million accounts costs one indexed pass, not one subquery per account.
        """
        a, e, r, h = schema.accounts, schema.events, schema.recovery_attempts, schema.at_risk_changes
        conditions = [view.segment_condition(a.c.segment)]
        for name in ("email_status", "portal_access", "username_is_email"):
            value = getattr(self, name)
            if value is not None:
                conditions.append(a.c[name] == value)
        if self.has_failed_recovery is not None:
            with_failures = a.c.account_number.in_(failed_accounts(view))
            conditions.append(with_failures if self.has_failed_recovery else ~with_failures)
        if self.min_failed is not None:
            conditions.append(a.c.account_number.in_(failed_accounts(view, self.min_failed)))
        if self.enrolled is not None:
            newly = and_(a.c.portal_access.is_(True), a.c.enrolled_day.between(view.start, view.end))
            conditions.append(newly if self.enrolled else ~newly)
        if self.event_type or self.weekday is not None or self.hour is not None:
            event_match = [e.c.occurred_day.between(view.start, view.end)]
            if self.event_type:
                event_match.append(e.c.event_type.in_(self.event_type))
            if self.weekday is not None:
                event_match.append(e.c.occurred_day.in_(_days_on_weekday(view, self.weekday)))
            if self.hour is not None:
                event_match.append(e.c.occurred_hour == self.hour)
            conditions.append(a.c.account_number.in_(select(e.c.account_number).where(and_(*event_match))))
        if self.outcome or self.failure_reason or self.step is not None:
            attempt_match = [r.c.started_day.between(view.start, view.end)]
            if self.outcome:
                attempt_match.append(r.c.outcome == self.outcome)
            if self.failure_reason:
                attempt_match.append(and_(r.c.outcome == "failed", r.c.failure_reason == self.failure_reason))
            if self.step is not None:
                attempt_match.append(r.c.furthest_step >= self.step)
            conditions.append(a.c.account_number.in_(select(r.c.account_number).where(and_(*attempt_match))))
        if self.at_risk_change:
            moved = and_(h.c.change == self.at_risk_change, h.c.day.between(view.start, view.end))
            conditions.append(a.c.account_number.in_(select(h.c.account_number).where(moved)))
        return conditions

    def chips(self, query: Mapping[str, str], view: Filters) -> list[Chip]:
        """The slice in words, one chip per parameter group: the drill-down period, the segment, then each slice."""
        chips: list[Chip] = []
        label = period_label(view)
        if ("start" in query or "end" in query) and " to " not in label:
            chips.append(Chip(label, ("start", "end")))
        if view.segment:
            chips.append(Chip(f"Segment: {view.segment}", ("segment",)))
        if self.email_status:
            chips.append(Chip(f"Email status: {self.email_status}", ("email_status",)))
        for name, label, _ in FLAG_CHOICES[1:]:
            value = getattr(self, name)
            if value is not None:
                chips.append(Chip(f"{label}: {yes_no(value)}", (name,)))
        if self.event_type:
            chips.append(Chip("Event: " + " or ".join(event_label(t) for t in self.event_type), ("event_type",)))
        if self.weekday is not None and self.hour is not None:
            chips.append(Chip(f"Weekday: {WEEKDAYS[self.weekday]}, {_hour(self.hour)}", ("weekday", "hour")))
        elif self.weekday is not None:
            chips.append(Chip(f"Weekday: {WEEKDAYS[self.weekday]}", ("weekday",)))
        elif self.hour is not None:
            chips.append(Chip(f"Hour: {_hour(self.hour)}", ("hour",)))
        if self.outcome:
            chips.append(Chip(f"Outcome: {self.outcome}", ("outcome",)))
        if self.failure_reason:
            chips.append(Chip(f"Failure reason: {FAILURE_WORDS[self.failure_reason]}", ("failure_reason",)))
        if self.step is not None:
            chips.append(Chip(f"Reached step: {RECOVERY_STEPS[self.step]}", ("step",)))
        if self.min_failed is not None:
            noun = "attempt" if self.min_failed == 1 else "attempts"
            chips.append(Chip(f"At least {self.min_failed} failed recovery {noun}", ("min_failed",)))
        if self.enrolled is not None:
            words = "Newly enrolled in range" if self.enrolled else "Not newly enrolled in range"
            chips.append(Chip(words, ("enrolled",)))
        if self.at_risk_change:
            chips.append(Chip(AT_RISK_CHANGE_WORDS[self.at_risk_change], ("at_risk_change",)))
        return chips


ALL_ACCOUNTS = AccountFilters()
ACCOUNT_PARAMETERS = frozenset(field.name for field in fields(AccountFilters))

FLAG_CHOICES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("email_status", "Email status", tuple((status, status.title()) for status in EMAIL_STATUSES)),
    ("portal_access", "Portal access", (("true", "Yes"), ("false", "No"))),
    ("has_failed_recovery", "Failed recovery in range", (("true", "Yes"), ("false", "No"))),
    ("username_is_email", "Username is an email", (("true", "Yes"), ("false", "No"))),
)
"""The list's flag controls: parameter, label, and its choices (value, label); "Any" drops the parameter."""


@dataclass(frozen=True)
class Chip:
    label: str
    params: tuple[str, ...]
    """The query parameters the chip stands for; its remove link drops them all."""


def failed_accounts(view: Filters, at_least: int = 1):
    """Accounts with `at_least` failed attempts in the range, found once from the outcome index.

    Filtering on the per-row count instead would run it for each of a million accounts (a second on
    SQLite); the list's count column stays correlated, since a page computes it for its hundred rows.
    """
    r = schema.recovery_attempts
    statement = select(r.c.account_number).where(
        r.c.outcome == "failed",
        r.c.started_day.between(view.start, view.end),
        r.c.account_number.is_not(None),
    )
    if at_least > 1:
        statement = statement.group_by(r.c.account_number).having(func.count() >= at_least)
    return statement


def _days_on_weekday(view: Filters, weekday: int) -> list:
    first = view.start + timedelta(days=(weekday - view.start.weekday()) % 7)
    days = []
    while first <= view.end:
        days.append(first)
        first += timedelta(days=7)
    return days


def _hour(hour: int) -> str:
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00"


def event_label(event_type: str) -> str:
    """`password_reset_by_staff` reads as `password reset by staff`."""
    return event_type.replace("_", " ")


def yes_no(value) -> str:
    if value is None or value != value:  # None or NaN/NA
        return "unknown"
    return "yes" if bool(value) else "no"
