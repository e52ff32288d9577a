"""Signing in from tests: a request context or a test client as a user of a given role.

Every test user is made once per warehouse, named for its roles (`test-analyst`,
`test-analyst-support`), with a known password, through the same store the app uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from dash import Dash
from flask.testing import FlaskClient
from flask_login import login_user

from dashboard.auth.store import UserStore
from dashboard.auth.web import SignedInUser


def password_of(name: str) -> str:
    return f"password of {name}"


def make_user(app: Dash, roles: str) -> str:
    """The name of a user holding exactly `roles` (comma-separated), made on first use."""
    users: UserStore = app.server.extensions["portal_users"]
    name = "test-" + roles.replace(",", "-")
    if users.get(name) is None:
        users.add(name, roles, password_of(name), actor="tests")
    return name


@contextmanager
def signed_in(app: Dash, roles: str = "analyst", path: str = "/") -> Iterator[Dash]:
    """A request of the app in which a user of `roles` is signed in, as pages and callbacks run."""
    name = make_user(app, roles)
    with app.server.test_request_context(path):
        login_user(SignedInUser(app.server.extensions["portal_users"].get(name)))
        yield app


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the login form the client is shown (bound to its session).

    In an app context of its own: a request made inside a test's signed-in request would share its
    `g`, and with it that request's signed-in user and cached token, as no browser's request does."""
    with client.application.app_context():
        page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


def post_login(client: FlaskClient, name: str, password: str, **data: str):
    """Send the login form as a browser would: the page first, then the form with its token."""
    form = {"csrf_token": csrf_token(client), "username": name, "password": password, **data}
    with client.application.app_context():
        return client.post("/login", data=form)


def client_as(app: Dash, roles: str = "analyst") -> FlaskClient:
    """A test client whose session belongs to a user of `roles`, signed in through the login page."""
    name = make_user(app, roles)
    client = app.server.test_client()
    response = post_login(client, name, password_of(name))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class Clock:
    """The sign-in throttle's clock, moved by hand (the `clock` fixture)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
