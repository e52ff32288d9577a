"""The checks every page, callback and export makes against the signed-in user.

They read Flask-Login's `current_user` for the request being served, so a callback posted by hand
is checked exactly like one the page sent. Nothing is allowed by default: a callback without
`requires`, or a page registered without a `permission`, is refused to everyone.

Every refusal (a callback, a page, an export) is written to the audit log as action `refused`, the
page, callback or dataset as its target and the missing permission in its detail: someone probing
what their role may reach shows up there. At most one entry per user and target a minute, per
process, so a client repeating a refused request cannot flood the log.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping

from flask import current_app, has_request_context, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
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


REFUSAL_INTERVAL_SECONDS = 60
"""A user's refusals of one target are audited at most once in this many seconds (per process)."""
REFUSALS_REMEMBERED = 10_000
"""Past that many (user, target) pairs the memory of recent refusals is emptied: more entries, never more memory."""
_recent_refusals: dict[tuple[str, str, str], float] = {}
_refusals_lock = threading.Lock()
_log = logging.getLogger(__name__)


def _clock() -> float:
    return time.monotonic()


def _first_refusal_in_interval(key: tuple[str, str, str]) -> bool:
    now = _clock()
    with _refusals_lock:
        last = _recent_refusals.get(key)
        if last is not None and now - last < REFUSAL_INTERVAL_SECONDS:
            return False
        if len(_recent_refusals) >= REFUSALS_REMEMBERED:
            for old in [k for k, at in _recent_refusals.items() if now - at >= REFUSAL_INTERVAL_SECONDS]:
                del _recent_refusals[old]
            if len(_recent_refusals) >= REFUSALS_REMEMBERED:
                _recent_refusals.clear()
        _recent_refusals[key] = now
        return True


def audit_refusal(kind: str, target: str, permission: Permission | str | None) -> None:
    """Write a `refused` audit entry for the request's user (kind: page, callback or export), rate-limited.

    The refusal stands whatever happens here: an audit log that cannot be written is logged, and
    the caller still answers 403.
    """
    if not has_request_context():
        return
    store = current_app.extensions.get("portal_users")
    who = actor()
    if store is None or not _first_refusal_in_interval((who, kind, target)):
        return
    detail = {"permission": str(permission) if permission else "none", "kind": kind}
    try:
        store.audit(who, "refused", target, detail, remote_addr=remote_addr())
    except SQLAlchemyError:
        _log.exception("could not audit a refused %s of %s to %s", kind, target, who)


def _callback_name(function: Callable) -> str:
    return f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"


def requires(permission: Permission) -> Callable:
    """Mark a callback with the permission it needs and refuse (HTTP 403, audited) anyone without it."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            if not can(permission):
                audit_refusal("callback", _callback_name(function), permission)
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
            audit_refusal("page", page.get("path_template") or page.get("path"), page.get("permission"))
            return refusal()
        return layout(*args, **kwargs)

    guarded.permission_checked = True
    return guarded
