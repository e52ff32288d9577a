"""Signing in and out: passwords, slowing down and locking guessers, sessions, the first admin,
the audit of each, and the headers every response carries."""

from __future__ import annotations

import base64
import json
import os
import re
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dashboard.auth.store import FIRST_ADMIN, Outcome, UserStore, ensure_admin
from dashboard.auth.web import secret_key
from portal.config import AuthConfig
from tests.signin import client_as, make_user, password_of, post_login

ADDRESS = "10.0.0.1"


@pytest.fixture
def users(tmp_path, clock) -> UserStore:
    store = UserStore(f"sqlite:///{tmp_path}/w.sqlite", AuthConfig(slow_after=3, lock_after=5, lock_minutes=15))
    store.add("alice", "viewer", "alice's long password", actor="tests")
    return store


def attempt(store: UserStore, password: str, name: str = "alice"):
    return store.authenticate(name, password, remote_addr=ADDRESS)


def actions(store: UserStore, actor: str = "alice") -> list[str]:
    return list(store.audit_entries(actor=actor)["action"])[::-1]


def test_the_right_password_signs_in_and_is_audited(users):
    result = attempt(users, "alice's long password")
    assert result.outcome is Outcome.OK
    assert result.user.roles == ("viewer",)
    assert actions(users)[-1] == "sign_in"


def test_a_wrong_password_fails_and_is_audited_with_its_reason(users):
    assert attempt(users, "guess").outcome is Outcome.WRONG
    entry = users.audit_entries(actor="alice").iloc[0]
    assert (entry["action"], json.loads(entry["detail"])) == (
        "sign_in_failed",
        {"reason": "wrong password", "via": "form"},
    )


def test_an_unknown_user_fails_like_a_wrong_password(users):
    result = attempt(users, "guess", name="mallory")
    assert result.outcome is Outcome.WRONG
    assert result.message == "Wrong username or password."
    assert actions(users, "mallory") == ["sign_in_failed"]


def test_after_three_wrong_passwords_the_next_try_must_wait(users, clock):
    for _ in range(3):
        clock.advance(1)
        attempt(users, "guess")
    clock.advance(1)
    waiting = attempt(users, "alice's long password")
    assert waiting.outcome is Outcome.WAIT
    assert waiting.retry_after >= 1
    clock.advance(27)
    assert attempt(users, "alice's long password").outcome is Outcome.OK


def test_the_wait_grows_with_each_wrong_password(users, clock):
    for _ in range(3):
        clock.advance(1)
        attempt(users, "guess")
    clock.advance(8)
    attempt(users, "guess")
    clock.advance(3)
    assert attempt(users, "guess").outcome is Outcome.WAIT
    clock.advance(2)
    assert attempt(users, "guess").outcome is Outcome.LOCKED_NOW


def test_five_wrong_passwords_lock_the_user_and_the_audit_log_says_so(users, clock):
    for _ in range(5):
        clock.advance(60)
        result = attempt(users, "guess")
    assert result.outcome is Outcome.LOCKED_NOW
    assert "user_locked" in actions(users)
    clock.advance(5 * 60)
    locked = attempt(users, "alice's long password")
    assert locked.outcome is Outcome.LOCKED
    assert "try again in 6 min" in locked.message


def test_a_lock_ends_after_its_minutes(users, clock):
    for _ in range(5):
        clock.advance(60)
        attempt(users, "guess")
    clock.advance(11 * 60)
    assert attempt(users, "alice's long password").outcome is Outcome.OK


def test_a_disabled_user_cannot_sign_in(users):
    users.set_active("alice", False, actor="tests")
    assert attempt(users, "alice's long password").outcome is Outcome.DISABLED


def test_passwords_are_stored_hashed(users):
    with users.engine.connect() as connection:
        stored = connection.execute(text("select password_hash from portal_users where name = 'alice'")).scalar_one()
    assert "alice's long password" not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_the_audit_log_refuses_updates_and_deletes(users):
    users.audit("alice", "sign_in")
    for statement in ("update audit_log set actor = 'bob'", "delete from audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), users.engine.begin() as connection:
            connection.execute(text(statement))
    assert len(users.audit_entries()) >= 2


@pytest.mark.postgres
def test_the_audit_log_is_append_only_on_postgresql_too(new_postgres_database):
    store = UserStore(new_postgres_database())
    store.audit("alice", "sign_in")
    for statement in ("update audit_log set actor = 'bob'", "delete from audit_log", "truncate audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    assert list(store.audit_entries()["actor"]) == ["alice"]


# --- the first admin --------------------------------------------------------------------------


def test_the_first_admin_gets_a_generated_password_printed_once(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path}/w.sqlite")
    generated = ensure_admin(store, None)
    assert generated and store.authenticate(FIRST_ADMIN, generated).outcome is Outcome.OK
    assert ensure_admin(store, None) is None
    assert store.get(FIRST_ADMIN).roles == ("admin",)


def test_portal_admin_password_sets_the_admins_password(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path}/w.sqlite")
    assert ensure_admin(store, "chosen by the operator") is None
    assert store.authenticate(FIRST_ADMIN, "chosen by the operator").outcome is Outcome.OK
    ensure_admin(store, "changed by the operator")
    assert store.authenticate(FIRST_ADMIN, "changed by the operator").outcome is Outcome.OK


def test_portal_admin_password_adds_the_admin_beside_other_users(tmp_path):
    store = UserStore(f"sqlite:///{tmp_path}/w.sqlite")
    store.add("alice", "analyst", "alice's long password", actor="tests")
    assert ensure_admin(store, None) is None
    assert store.get(FIRST_ADMIN) is None
    assert ensure_admin(store, "chosen by the operator") is None
    assert store.authenticate(FIRST_ADMIN, "chosen by the operator").outcome is Outcome.OK
    assert store.get(FIRST_ADMIN).roles == ("admin",)


def test_the_last_admin_cannot_be_disabled_or_demoted(users):
    from dashboard.auth.store import UserError

    users.add("root", "admin", "a long admin password", actor="tests")
    with pytest.raises(UserError, match="last active admin"):
        users.set_active("root", False, actor="tests")
    with pytest.raises(UserError, match="last active admin"):
        users.set_roles("root", "viewer", actor="tests")


# --- the secret key -----------------------------------------------------------------------------


def test_a_generated_secret_key_is_kept_owner_only_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    first = secret_key(path)
    assert len(first) >= 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert secret_key(path) == first


def test_a_worker_starting_while_another_writes_the_key_reads_a_whole_key(tmp_path, monkeypatch):
    """Two workers start together: the second looks while the first is writing; both get one whole key."""
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    random_bytes, seen = os.urandom, []

    def urandom_with_a_second_worker(count: int) -> bytes:
        if count == 32 and not seen:  # the key's bytes: the other worker looks in the middle of this write
            seen.append(None)
            seen[0] = secret_key(path)
        return random_bytes(count)

    monkeypatch.setattr(os, "urandom", urandom_with_a_second_worker)
    first = secret_key(path)
    assert len(first) >= 64 and seen == [first]
    assert [entry.name for entry in tmp_path.iterdir()] == ["secret_key"]


def test_portal_secret_key_wins_over_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_SECRET_KEY", "from the environment")
    assert secret_key(tmp_path / "secret_key") == "from the environment"


# --- through the web ----------------------------------------------------------------------------


def test_the_login_page_signs_in_and_returns_to_the_asked_page(dash_app):
    name = make_user(dash_app, "viewer")
    client = dash_app.server.test_client()
    response = post_login(client, name, password_of(name), next="/lockouts")
    assert (response.status_code, response.headers["Location"]) == (302, "/lockouts")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/lockouts").status_code == 200


def test_a_wrong_password_on_the_login_page_says_so_in_one_line(dash_app):
    name = make_user(dash_app, "viewer")
    response = post_login(dash_app.server.test_client(), name, "nope")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_the_login_page_answers_429_while_a_guesser_must_wait(dash_app):
    users = dash_app.server.extensions["portal_users"]
    users.add("guessed", "viewer", password_of("guessed"), actor="tests")
    client = dash_app.server.test_client()
    statuses = [post_login(client, "guessed", "x").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "wait" in post_login(client, "guessed", "x").get_data(as_text=True)


def test_signing_out_ends_the_session_and_is_audited(dash_app):
    client = client_as(dash_app, "viewer")
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401
    users = dash_app.server.extensions["portal_users"]
    assert users.audit_entries(actor="test-viewer").iloc[0]["action"] == "sign_out"


def test_a_session_idle_longer_than_the_limit_is_refused(dash_app, monkeypatch):
    import time

    client = client_as(dash_app, "viewer")
    assert client.get("/_dash-layout").status_code == 200
    idle = dash_app.server.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + idle + 60)
    assert client.get("/_dash-layout").status_code == 401


def signed_in_new_user(app, name: str, roles: str):
    """The user store and a client signed in, through the login page, as a new user `name` of `roles`."""
    users = app.server.extensions["portal_users"]
    users.add(name, roles, password_of(name), actor="tests")
    client = app.server.test_client()
    post_login(client, name, password_of(name))
    return users, client


def test_a_password_reset_ends_the_users_other_sessions(dash_app):
    users, client = signed_in_new_user(dash_app, "rotated", "viewer")
    assert client.get("/_dash-layout").status_code == 200
    users.set_password("rotated", "a brand new password", actor="tests")
    assert client.get("/_dash-layout").status_code == 401


def test_disabling_a_user_ends_their_session_at_once(dash_app):
    users, client = signed_in_new_user(dash_app, "leaver", "analyst")
    users.set_active("leaver", False, actor="tests")
    assert client.get("/export/kpis.csv").status_code == 401


def test_scripts_export_with_http_basic(dash_app):
    name = make_user(dash_app, "analyst")
    token = base64.b64encode(f"{name}:{password_of(name)}".encode()).decode()
    response = dash_app.server.test_client().get("/export/kpis.csv", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("kpi,")
    users = dash_app.server.extensions["portal_users"]
    assert json.loads(users.audit_entries(actor=name, action="sign_in").iloc[0]["detail"]) == {"via": "basic"}


def test_http_basic_with_a_wrong_password_is_refused_and_asks_again(dash_app):
    name = make_user(dash_app, "analyst")
    token = base64.b64encode(f"{name}:wrong".encode()).decode()
    response = dash_app.server.test_client().get("/export/kpis.csv", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_http_basic_opens_nothing_but_exports(dash_app):
    name = make_user(dash_app, "admin")
    token = base64.b64encode(f"{name}:{password_of(name)}".encode()).decode()
    response = dash_app.server.test_client().get("/_dash-layout", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 401


# --- hardening ------------------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(dash_app):
    client = client_as(dash_app, "viewer")
    for path in ("/login", "/", "/_dash-layout"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self' 'sha256-" in csp
        assert "unsafe-eval" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def script_paths(client) -> tuple[str, str]:
    """A fingerprinted script of the page and Plotly, which Dash serves without a fingerprint."""
    page = client.get("/").get_data(as_text=True)
    fingerprinted = next(p for p in re.findall(r'src="([^"]+)"', page) if "/_dash-component-suites/" in p)
    return fingerprinted, "/_dash-component-suites/plotly/package_data/plotly.min.js"


def test_library_scripts_are_kept_by_the_browser_and_set_no_session_cookie(dash_app):
    client = client_as(dash_app, "viewer")
    fingerprinted, plotly = script_paths(client)
    kept = client.get(fingerprinted)
    assert kept.status_code == 200
    assert "max-age=31536000" in kept.headers["Cache-Control"]
    checked = client.get(plotly)
    assert "no-cache" in checked.headers["Cache-Control"] and checked.headers["ETag"]
    assert client.get(plotly, headers={"If-None-Match": checked.headers["ETag"]}).status_code == 304
    for response in (kept, checked):
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")


def test_pages_and_callbacks_are_never_stored_and_keep_the_session_alive(dash_app):
    client = client_as(dash_app, "viewer")
    for path in ("/", "/_dash-layout"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "portal_session=" in response.headers["Set-Cookie"], path


def test_library_scripts_stay_closed_to_an_anonymous_caller(dash_app):
    fingerprinted, plotly = script_paths(client_as(dash_app, "viewer"))
    anonymous = dash_app.server.test_client()
    for path in (fingerprinted, plotly):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.headers["Cache-Control"] == "no-store"


def test_no_debug_dev_tools_or_mcp_endpoint(dash_app):
    rules = {rule.rule for rule in dash_app.server.url_map.iter_rules()}
    assert not dash_app.server.debug
    assert not any("mcp" in rule for rule in rules)
    assert not dash_app._dev_tools.ui


def test_a_broken_callback_request_gets_one_line_and_no_trace(dash_app):
    client = client_as(dash_app, "viewer")
    response = client.post("/_dash-update-component", data="{not json", content_type="application/json")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Traceback" not in body and body.count("\n") <= 1
