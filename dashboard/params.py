"""Query-string parameters of the exports and pages, checked strictly.

A script that misspells a parameter or sends a date the wrong way round must hear so at once (HTTP
400 with one line), not receive a plausible-looking file for some other view.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dashboard.metrics import GRAINS, Filters
from dashboard.queries import AccountFilters
from etl.rules import EMAIL_STATUSES

VIEW_PARAMETERS = frozenset({"start", "end", "grain", "segment"})
ACCOUNT_PARAMETERS = frozenset({"email_status", "portal_access", "has_failed_recovery"})
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class BadParameter(ValueError):
    """A query parameter that cannot be honoured; the message is the one line the caller sees."""


def _date(args: Mapping[str, str], name: str) -> date | None:
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
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadParameter(f"{name} must be true or false, got {value!r}")


def check_known(args: Mapping[str, str], allowed: frozenset[str]) -> None:
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def parse_filters(args: Mapping[str, str], extent: tuple[date, date] | None, default_grain: str = "day") -> Filters:
    """The view from `start`, `end`, `grain` and `segment`; a missing bound is the data's own."""
    start, end = _date(args, "start"), _date(args, "end")
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


def parse_account_filters(args: Mapping[str, str]) -> AccountFilters:
    status = (args.get("email_status") or "").strip().lower() or None
    if status is not None and status not in EMAIL_STATUSES:
        raise BadParameter(f"email_status must be one of {', '.join(EMAIL_STATUSES)}, got {args.get('email_status')!r}")
    return AccountFilters(
        email_status=status,
        portal_access=parse_bool("portal_access", args.get("portal_access")),
        has_failed_recovery=parse_bool("has_failed_recovery", args.get("has_failed_recovery")),
    )
