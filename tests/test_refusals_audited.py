"""Refused permission checks are audited: a callback, a page (typed or opened by the router) and an
export, each as action `refused` with its target and the missing permission, at most once per user
and target a minute so a client repeating the request cannot flood the log."""

from __future__ import annotations

import json

import pytest

from dashboard.auth import guard
from tests.signin import client_as
from tests.test_access import grid_rows, open_by_router


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch):
    """Each test starts with no refusal remembered, at a clock it can move."""
    now = [1_000.0]
    monkeypatch.setattr(guard, "_recent_refusals", {})
    monkeypatch.setattr(guard, "_clock", lambda: now[0])
    return now


@pytest.fixture
def users(dash_app):
    return dash_app.server.extensions["portal_users"]


def refusals(users, actor: str, target: str) -> list[dict]:
    entries = users.audit_entries(action="refused", actor=actor, target=target)
    return [{**row, "detail": json.loads(row["detail"])} for row in entries.to_dict("records")]


def _count(users, actor: str, target: str) -> int:
    return len(refusals(users, actor, target))


def test_a_typed_page_a_role_may_not_open_is_audited(dash_app, users):
    before = _count(users, "test-viewer", "/admin/audit")
    assert client_as(dash_app, "viewer").get("/admin/audit").status_code == 403
    entries = refusals(users, "test-viewer", "/admin/audit")
    assert len(entries) == before + 1
    assert entries[0]["detail"] == {"permission": "view_audit", "kind": "page"}
    assert entries[0]["remote_addr"] == "127.0.0.1"


def test_a_page_opened_by_the_router_callback_is_audited(dash_app, users):
    before = _count(users, "test-support", "/admin/users")
    body = open_by_router(client_as(dash_app, "support"), "/admin/users").get_data(as_text=True)
    assert '"not-allowed"' in body
    entries = refusals(users, "test-support", "/admin/users")
    assert len(entries) == before + 1
    assert entries[0]["detail"] == {"permission": "manage_users", "kind": "page"}


def test_a_refused_callback_is_audited(dash_app, users, monkeypatch):
    from dashboard.auth import roles

    monkeypatch.setitem(roles.ROLES, "viewer", frozenset({roles.Permission.VIEW_CHARTS}))
    before = _count(users, "test-viewer", "accounts.grid_rows")
    assert grid_rows(client_as(dash_app, "viewer")).status_code == 403
    entries = refusals(users, "test-viewer", "accounts.grid_rows")
    assert len(entries) == before + 1
    assert entries[0]["detail"] == {"permission": "view_accounts", "kind": "callback"}


def test_a_refused_export_is_audited(dash_app, users):
    before = _count(users, "test-viewer", "accounts")
    assert client_as(dash_app, "viewer").get("/export/accounts.csv").status_code == 403
    entries = refusals(users, "test-viewer", "accounts")
    assert len(entries) == before + 1
    assert entries[0]["detail"] == {"permission": "export", "kind": "export"}


def test_a_refusal_repeated_within_a_minute_is_audited_once(dash_app, users, fresh_memory):
    client = client_as(dash_app, "viewer")
    before = _count(users, "test-viewer", "quality")
    for _ in range(20):
        assert client.get("/export/quality.csv").status_code == 403
    assert _count(users, "test-viewer", "quality") == before + 1
    fresh_memory[0] += guard.REFUSAL_INTERVAL_SECONDS - 1
    assert client.get("/export/quality.csv").status_code == 403
    assert _count(users, "test-viewer", "quality") == before + 1
    fresh_memory[0] += 1
    assert client.get("/export/quality.csv").status_code == 403
    assert _count(users, "test-viewer", "quality") == before + 2


def test_the_limit_is_per_user_and_per_target(dash_app, users):
    viewer, support = client_as(dash_app, "viewer"), client_as(dash_app, "support")
    before = {
        (actor, target): _count(users, actor, target)
        for actor in ("test-viewer", "test-support")
        for target in ("resets", "lockouts")
    }
    for client in (viewer, support):
        for dataset in ("resets", "lockouts"):
            assert client.get(f"/export/{dataset}.csv").status_code == 403
    for (actor, target), count in before.items():
        assert _count(users, actor, target) == count + 1, (actor, target)


def test_a_flood_of_refusals_never_grows_the_memory_past_its_bound(monkeypatch):
    monkeypatch.setattr(guard, "REFUSALS_REMEMBERED", 50)
    for number in range(500):
        assert guard._first_refusal_in_interval(("someone", "export", f"target-{number}"))
    assert len(guard._recent_refusals) <= 50


def test_an_allowed_request_writes_no_refusal(dash_app, users):
    before = len(users.audit_entries(action="refused", actor="test-analyst"))
    client = client_as(dash_app, "analyst")
    assert client.get("/quality").status_code == 200
    assert client.get("/export/quality.csv").status_code == 200
    assert len(users.audit_entries(action="refused", actor="test-analyst")) == before
