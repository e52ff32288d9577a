"""The checks every page, callback and export makes against the signed-in user.

They read Flask-Login's `current_user` for the request being served, so a callback posted by hand
is checked exactly like one the page sent. Nothing is allowed by default: a callback without
`requires`, or a page registered without a `permission`, is refused to everyone.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping

from flask import request
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from dashboard.auth.roles import Permission


class NotAllowed(Forbidden):
    description = "not allowed: your role does not give access to this"


def permissions() -> frozenset[Permission]:
    if not current_user or not current_user.is_authenticated:
        return frozenset()
    return current_user.permissions


def can(permission: Permission) -> bool:
    return permission in permissions()


def actor() -> str:
    return current_user.name if current_user and current_user.is_authenticated else "anonymous"


def remote_addr() -> str | None:
    return request.remote_addr if request else None


def requires(permission: Permission) -> Callable:
    """Mark a callback with the permission it needs and refuse (HTTP 403) anyone without it."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            if not can(permission):
                raise NotAllowed()
            return function(*args, **kwargs)

        guarded.permission = permission
        return guarded

    return decorate


def callback_permission(function: Callable) -> Permission | None:
    """The permission a registered callback checks, following Dash's wrappers; None if unguarded."""
    while function is not None:
        found = getattr(function, "permission", None)
        if found is not None:
            return found
        function = getattr(function, "__wrapped__", None)
    return None


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(<[^>]+>)", template)
    body = "".join("[^/]+" if part.startswith("<") else re.escape(part) for part in parts)
    return re.compile(f"^{body}/?$")


def page_template(path: str, templates: list[str]) -> str | None:
    """The page template a path opens, as Dash Pages would match it (literal paths first)."""
    ordered = sorted(templates, key=lambda t: ("<" in t, -len(t)))
    for template in ordered:
        if _template_pattern(template).match(path):
            return template
    return None


def page_allowed(page: Mapping | None) -> bool:
    """Whether the user may open a page, by the permission its Dash Pages registry entry declares
    (`dash.register_page(..., permission=...)`); a page that declares none is open to nobody."""
    permission = page.get("permission") if page else None
    return permission is not None and can(permission)


def guard_layout(page: Mapping, layout: Callable, refusal: Callable) -> Callable:
    """A page layout that renders only for a role the page (its registry entry) is open to."""
    if getattr(layout, "permission_checked", False):
        return layout

    @functools.wraps(layout)
    def guarded(*args, **kwargs):
        if not page_allowed(page):
            return refusal()
        return layout(*args, **kwargs)

    guarded.permission_checked = True
    return guarded
