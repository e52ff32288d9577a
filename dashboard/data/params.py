"""Query-string parameters of the exports and pages, checked strictly.

A script that misspells a parameter or sends a date the wrong way round must hear so at once (HTTP
400 with one line), not receive a plausible-looking file for some other view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date

from dashboard.data.account_list import AccountFilters
from dashboard.data.metrics import GRAINS, Filters
from portal.vocabulary import (
    CANONICAL_EVENT_TYPES,
    EMAIL_STATUSES,
    FALSE_WORDS,
    OTHER_EVENT_TYPE,
    OUTCOMES,
    RECOVERY_FAILURES,
    RECOVERY_STEPS,
    TRUE_WORDS,
)

VIEW_PARAMETERS = frozenset({"start", "end", "grain", "segment"})
ACCOUNT_PARAMETERS = frozenset(field.name for field in fields(AccountFilters))


class BadParameter(ValueError):
    """A query parameter that cannot be honoured; the message is the one line the caller sees."""


def parse_date(args: Mapping[str, str], name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadParameter(f"{name} must be a date like 2025-01-31, got {value!r}") from None


def parse_bool(name: str, value: str | None) -> bool | None:
    text = (value or "").strip().lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadParameter(f"{name} must be true or false, got {value!r}")


def check_known(args: Mapping[str, str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def parse_filters(args: Mapping[str, str], extent: tuple[date, date] | None, default_grain: str = "day") -> Filters:
    """The view from `start`, `end`, `grain` and `segment`; a missing bound is the data's own."""
    start, end = parse_date(args, "start"), parse_date(args, "end")
    grain = (args.get("grain") or default_grain).strip().lower()
    if grain not in GRAINS:
        raise BadParameter(f"grain must be one of {', '.join(GRAINS)}, got {args.get('grain')!r}")
    today = date.today()
    low, high = extent or (today, today)
    start = start or min(low, end or low)
    end = end or max(high, start)
    if start > end:
        raise BadParameter(f"start {start.isoformat()} is after end {end.isoformat()}")
    if (end - start).days > 366 * 50:
        raise BadParameter("the range from start to end is longer than 50 years")
    segment = (args.get("segment") or "").strip() or None
    return Filters(start=start, end=end, grain=grain, segment=segment)


def fitting_grain(start: date, end: date) -> str:
    """The finest grain that keeps a range to a readable number of periods: days up to two months,
    weeks up to about a year (53 at most), months beyond (three years of weeks were 150 bars a chart,
    more than the eye takes in and a second of drawing)."""
    days = (end - start).days + 1
    if days <= 62:
        return "day"
    return "week" if days <= 371 else "month"


def _int(args: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadParameter(f"{name} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...] | frozenset[str]) -> str | None:
    value = (args.get(name) or "").strip().lower() or None
    if value is not None and value not in allowed:
        raise BadParameter(f"{name} must be one of {', '.join(sorted(allowed))}, got {args.get(name)!r}")
    return value


def parse_account_filters(args: Mapping[str, str]) -> AccountFilters:
    """The account list's filters and drill-down slice from the query string."""
    types = tuple(t.strip() for t in (args.get("event_type") or "").split(",") if t.strip())
    known_types = CANONICAL_EVENT_TYPES | {OTHER_EVENT_TYPE}
    unknown = [t for t in types if t not in known_types]
    if unknown:
        raise BadParameter(f"event_type {unknown[0]!r} is not a canonical event type")
    return AccountFilters(
        email_status=_choice(args, "email_status", EMAIL_STATUSES),
        portal_access=parse_bool("portal_access", args.get("portal_access")),
        has_failed_recovery=parse_bool("has_failed_recovery", args.get("has_failed_recovery")),
        username_is_email=parse_bool("username_is_email", args.get("username_is_email")),
        event_type=types,
        weekday=_int(args, "weekday", 0, 6),
        hour=_int(args, "hour", 0, 23),
        outcome=_choice(args, "outcome", OUTCOMES),
        failure_reason=_choice(args, "failure_reason", RECOVERY_FAILURES),
        step=_int(args, "step", 0, len(RECOVERY_STEPS) - 1),
        min_failed=_int(args, "min_failed", 1, 1_000_000),
        enrolled=parse_bool("enrolled", args.get("enrolled")),
    )
