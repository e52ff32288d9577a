"""Readers of single query-string parameters, strict about what they accept.

A script that misspells a parameter or sends a value out of range must hear so at once (HTTP 400
with one line), not receive a plausible-looking file for some other view. The view (`view.py`),
the slices (`slices.py`) and the audit log's filters are built from these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from portal.vocabulary import FALSE_WORDS, TRUE_WORDS


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


def parse_int(args: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    # ASCII digits only: "²" is a digit to str.isdigit but not to int()
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise BadParameter(f"{name} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)


def parse_choice(args: Mapping[str, str], name: str, allowed: Collection[str]) -> str | None:
    value = (args.get(name) or "").strip().lower() or None
    if value is not None and value not in allowed:
        raise BadParameter(f"{name} must be one of {', '.join(sorted(allowed))}, got {args.get(name)!r}")
    return value


def parse_text(args: Mapping[str, str], name: str) -> str | None:
    return (args.get(name) or "").strip() or None


def check_known(args: Mapping[str, str], allowed: Collection[str]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
