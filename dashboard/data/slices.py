"""Readable words for an account-list slice, and the links that change it.

The account list shows its drill-down slice as chips ("Outcome: failed", "Week of 2026-03-02",
"Weekday: Mon, 10:00-11:00"), each with a link to the same list without it, and its flag controls
as links to the same list with one flag changed. Everything lives in the query string, so Back,
reload and a pasted link reproduce the view. The account page colours events by family, named here
too.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from dashboard.charts.common import BLUE, GREEN, GREY, LABELS, ORANGE, PURPLE
from dashboard.data.account_list import AccountFilters
from dashboard.data.metrics import WEEKDAYS, Filters
from portal.vocabulary import (
    ENROLLMENT_TYPES,
    LOGIN_TYPES,
    OTHER_EVENT_TYPE,
    RECOVERY_STEPS,
    RECOVERY_TYPES,
    STAFF_AND_SETTINGS_TYPES,
)

LIST_PATH = "/accounts"
VIEW_KEYS = ("start", "end", "grain", "segment")

FLAG_CHOICES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "email_status",
        "Email status",
        (("valid", "Valid"), ("placeholder", "Placeholder"), ("missing", "Missing"), ("invalid", "Invalid")),
    ),
    ("portal_access", "Portal access", (("true", "Yes"), ("false", "No"))),
    ("has_failed_recovery", "Failed recovery in range", (("true", "Yes"), ("false", "No"))),
    ("username_is_email", "Username is an email", (("true", "Yes"), ("false", "No"))),
)
"""The list's flag controls: parameter, label, and its choices (value, label); "Any" drops the parameter."""

EVENT_FAMILIES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("enrollment", ENROLLMENT_TYPES, GREEN),
    ("login", LOGIN_TYPES, BLUE),
    ("recovery", RECOVERY_TYPES, ORANGE),
    ("staff and settings", STAFF_AND_SETTINGS_TYPES, PURPLE),
    ("other", (OTHER_EVENT_TYPE,), GREY),
)
FAMILY_OF = {kind: family for family, kinds, _ in EVENT_FAMILIES for kind in kinds}
FAMILY_COLORS = {family: colour for family, _, colour in EVENT_FAMILIES}
EVENT_TYPE_ORDER = [kind for _, kinds, _ in EVENT_FAMILIES for kind in kinds]
"""Event types in family order, so a timeline's rows group by family."""


def event_family(event_type: str | None) -> str:
    return FAMILY_OF.get(event_type or "", "other")


def event_label(event_type: str) -> str:
    """`password_reset_by_staff` reads as `password reset by staff`."""
    return event_type.replace("_", " ")


def yes_no(value) -> str:
    if value is None or value != value:  # None or NaN/NA
        return "unknown"
    return "yes" if bool(value) else "no"


def clean_query(query: Mapping[str, object]) -> dict[str, str]:
    """The page's query parameters as text; a parameter given twice keeps its last value."""
    out = {}
    for name, value in query.items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        if value is not None:
            out[str(name)] = str(value)
    return out


def list_href(query: Mapping[str, str], *, drop: Iterable[str] = (), **changes: str | None) -> str:
    """The account list with these parameters dropped or changed (None drops), the rest as they were."""
    params = {k: v for k, v in query.items() if k not in set(drop)}
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return f"{LIST_PATH}?{urlencode(params)}" if params else LIST_PATH


def view_query(query: Mapping[str, str]) -> dict[str, str]:
    """Only the view's parameters (range, grain, segment): the query without any slice."""
    return {k: v for k, v in query.items() if k in VIEW_KEYS}


@dataclass(frozen=True)
class Chip:
    label: str
    params: tuple[str, ...]
    """The query parameters the chip stands for; its remove link drops them all."""


def _hour(hour: int) -> str:
    return f"{hour:02d}:00-{(hour + 1) % 24:02d}:00"


def period_label(filters: Filters) -> str:
    """A range that is one calendar period reads as that period, any other as from..to."""
    start, end = filters.start, filters.end
    if start == end:
        return f"Day: {start.isoformat()}"
    if start.weekday() == 0 and end == start + timedelta(days=6):
        return f"Week of {start.isoformat()}"
    month_end = calendar.monthrange(start.year, start.month)[1]
    if start.day == 1 and (end.year, end.month, end.day) == (start.year, start.month, month_end):
        return f"Month: {calendar.month_name[start.month]} {start.year}"
    return f"{start.isoformat()} to {end.isoformat()}"


def is_single_period(filters: Filters) -> bool:
    return " to " not in period_label(filters)


def slice_chips(query: Mapping[str, str], filters: Filters, only: AccountFilters) -> list[Chip]:
    """The active slice as chips: the drill-down period, the segment, then each slice parameter."""
    chips: list[Chip] = []
    if ("start" in query or "end" in query) and is_single_period(filters):
        chips.append(Chip(period_label(filters), ("start", "end")))
    if filters.segment:
        chips.append(Chip(f"Segment: {filters.segment}", ("segment",)))
    if only.email_status:
        chips.append(Chip(f"Email status: {only.email_status}", ("email_status",)))
    if only.portal_access is not None:
        chips.append(Chip(f"Portal access: {yes_no(only.portal_access)}", ("portal_access",)))
    if only.has_failed_recovery is not None:
        chips.append(Chip(f"Failed recovery in range: {yes_no(only.has_failed_recovery)}", ("has_failed_recovery",)))
    if only.username_is_email is not None:
        chips.append(Chip(f"Username is an email: {yes_no(only.username_is_email)}", ("username_is_email",)))
    if only.event_type:
        chips.append(Chip("Event: " + " or ".join(event_label(t) for t in only.event_type), ("event_type",)))
    if only.weekday is not None and only.hour is not None:
        chips.append(Chip(f"Weekday: {WEEKDAYS[only.weekday]}, {_hour(only.hour)}", ("weekday", "hour")))
    elif only.weekday is not None:
        chips.append(Chip(f"Weekday: {WEEKDAYS[only.weekday]}", ("weekday",)))
    elif only.hour is not None:
        chips.append(Chip(f"Hour: {_hour(only.hour)}", ("hour",)))
    if only.outcome:
        chips.append(Chip(f"Outcome: {only.outcome}", ("outcome",)))
    if only.failure_reason:
        reason = LABELS.get(only.failure_reason, event_label(only.failure_reason)).lower()
        chips.append(Chip(f"Failure reason: {reason}", ("failure_reason",)))
    if only.step is not None:
        chips.append(Chip(f"Reached step: {RECOVERY_STEPS[only.step]}", ("step",)))
    if only.min_failed is not None:
        noun = "attempt" if only.min_failed == 1 else "attempts"
        chips.append(Chip(f"At least {only.min_failed} failed recovery {noun}", ("min_failed",)))
    if only.enrolled is not None:
        chips.append(Chip("Newly enrolled in range" if only.enrolled else "Not newly enrolled in range", ("enrolled",)))
    return chips


def attempt_step(step) -> str:
    """The furthest forgot-password step an attempt reached, in words."""
    try:
        return RECOVERY_STEPS[int(step)]
    except (TypeError, ValueError, IndexError):
        return ""


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
