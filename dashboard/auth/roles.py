"""Who may do what (SPEC section 6), in one table every check reads.

Roles grant permissions; a user may hold several roles (an analyst who is also support exports
unmasked data), and holds the union of their permissions. Pages, callbacks and exports name the
permission they need, never a role, so changing what a role may do is a change to this file only.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Permission(StrEnum):
    VIEW_CHARTS = "view_charts"
    VIEW_ACCOUNTS = "view_accounts"
    UNMASK = "unmask"
    EXPORT = "export"
    VIEW_QUALITY = "view_quality"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"


ROLES: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.VIEW_CHARTS, Permission.VIEW_ACCOUNTS}),
    "support": frozenset(
        {Permission.VIEW_CHARTS, Permission.VIEW_ACCOUNTS, Permission.UNMASK, Permission.ACKNOWLEDGE_ALERTS}
    ),
    "analyst": frozenset(
        {Permission.VIEW_CHARTS, Permission.VIEW_ACCOUNTS, Permission.EXPORT, Permission.VIEW_QUALITY}
    ),
    "admin": frozenset(Permission),
}


class UnknownRole(ValueError):
    pass


def parse_roles(text: str | Iterable[str]) -> tuple[str, ...]:
    """Roles from `analyst,support` or a list, checked and in a stable order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names = {item.strip().lower() for item in items if item and item.strip()}
    if not names:
        raise UnknownRole(f"no role given; roles are {', '.join(ROLES)}")
    unknown = sorted(names - ROLES.keys())
    if unknown:
        raise UnknownRole(f"unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}")
    return tuple(name for name in ROLES if name in names)


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLES.get(role, frozenset())
    return frozenset(granted)
