"""Sessions: a server-side id revoked at sign-out, an absolute lifetime, POST-only sign-out, and the
login form's CSRF token (Dash's own callback posts need none: same-origin XHR, SameSite=Lax cookie)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.auth import store as store_module
from tests.signin import client_as, csrf_token, make_user, password_of, post_login

COOKIE = "portal_session"


def test_a_copied_cookie_no_longer_works_after_signing_out(dash_app):
    client = client_as(dash_app, "viewer")
    copied = client.get_cookie(COOKIE).value
    assert client.post("/logout").headers["Location"] == "/login"
    thief = dash_app.server.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/_dash-layout").status_code == 401
    page = thief.get("/lockouts")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_signing_out_ends_only_that_session(dash_app):
    name = make_user(dash_app, "viewer")
    here, there = dash_app.server.test_client(), dash_app.server.test_client()
    for client in (here, there):
        assert post_login(client, name, password_of(name)).status_code == 302
    here.post("/logout")
    assert here.get("/_dash-layout").status_code == 401
    assert there.get("/_dash-layout").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_however_busy(dash_app, monkeypatch):
    client = client_as(dash_app, "viewer")
    hours = dash_app.server.extensions["portal_users"].policy.absolute_hours
    real = store_module._now
    monkeypatch.setattr(store_module, "_now", lambda: real() + timedelta(hours=hours, minutes=-1))
    assert client.get("/_dash-layout").status_code == 200
    monkeypatch.setattr(store_module, "_now", lambda: real() + timedelta(hours=hours, minutes=1))
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/").headers["Location"].startswith("/login")


def test_signing_out_takes_post_only(dash_app):
    client = client_as(dash_app, "viewer")
    response = client.get("/logout")
    assert response.status_code == 405
    assert response.get_data(as_text=True).count("\n") == 1
    assert client.get("/_dash-layout").status_code == 200


def test_the_login_form_carries_a_csrf_token(dash_app):
    client = dash_app.server.test_client()
    assert len(csrf_token(client)) > 20


@pytest.mark.parametrize("token", ["none", "wrong", "another session's"])
def test_a_login_post_without_its_csrf_token_is_refused_in_one_line(dash_app, token):
    name = make_user(dash_app, "viewer")
    client = dash_app.server.test_client()
    csrf_token(client)  # the form was shown: the session holds a token
    form = {"username": name, "password": password_of(name)}
    if token == "wrong":
        form["csrf_token"] = "not-the-token"
    elif token == "another session's":
        form["csrf_token"] = csrf_token(dash_app.server.test_client())
    response = client.post("/login", data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body.count("\n") == 1 and "sign-in form" in body
    assert client.get("/_dash-layout").status_code == 401
