"""A PostgreSQL audit log owned by another role: the app's role may add and read entries, nothing else.

Each test makes two roles of its own on the local server (the app's, which can sign in, and the
audit owner, which cannot) and a database the app's role owns, the worst case: as its owner the
app's role also owns the `public` schema. All are dropped afterwards.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from dashboard.auth import audit_owner
from dashboard.auth.store import UserStore
from dashboard.cli.users import main
from etl.pipeline import run
from portal.db import warehouse_engine
from portal.engine import WarehouseError
from tests.builders import event, web_user
from tests.conftest import config_for

REWRITES = (
    "UPDATE audit_log SET actor = 'mallory'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "INSERT INTO audit_log (entry_id, at_utc, actor, action) VALUES (1, now(), 'x', 'y') "
    "ON CONFLICT (entry_id) DO UPDATE SET actor = 'mallory'",
    "DROP TRIGGER audit_log_no_change ON audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    "ALTER TABLE audit_log DISABLE TRIGGER ALL",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "DROP TABLE audit_log",
    "ALTER TABLE audit_log RENAME TO audit_log_old",
    "ALTER SCHEMA public RENAME TO elsewhere",
    "SELECT setval(pg_get_serial_sequence('audit_log', 'entry_id'), 1)",
)
"""What the app's role, or whoever takes over its login, might try in order to rewrite history."""


@pytest.fixture
def roles(postgres_server):
    """(the app's URL, a superuser's URL of the same database, the app's role, the audit owner)."""
    suffix = uuid.uuid4().hex[:10]
    app, owner, database = f"portal_app_{suffix}", f"portal_audit_{suffix}", f"portal_owner_test_{suffix}"
    admin = create_engine(f"{postgres_server}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {app} LOGIN"))
        connection.execute(text(f"CREATE ROLE {owner} NOLOGIN"))
        connection.execute(text(f"CREATE DATABASE {database} OWNER {app}"))
    server = postgres_server.split("://", 1)[1].split("@", 1)[1]
    app_url = f"postgresql+psycopg://{app}@{server}/{database}"
    try:
        yield app_url, f"{postgres_server}/{database}", app, owner
    finally:
        warehouse_engine.cache_clear()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {app}"))
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


def _protect(admin_url: str, owner: str, capsys, *extra: str) -> list[str]:
    status = main(["audit", "protect", "--warehouse", admin_url, "--owner", owner, *extra])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out.strip().splitlines()


def test_the_app_s_role_can_add_and_read_entries_but_rewrite_nothing(roles, capsys):
    app_url, admin_url, app, owner = roles
    UserStore(app_url).add("ann", "admin", "a long password", actor="tests")  # the app migrates as itself
    done = _protect(admin_url, owner, capsys)
    assert done[0] == f"audit_log (and its id sequence) owned by {owner}"
    assert f"{app} may only SELECT and INSERT audit entries" in done
    assert f"schema public owned by {owner}" in done

    engine = create_engine(app_url)
    try:
        for statement in REWRITES:
            with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), engine.begin() as connection:
                connection.execute(text(statement))
        assert audit_owner.problem(engine, owner) is None
    finally:
        engine.dispose()
    store = UserStore(app_url)
    store.audit("ann", "export", "accounts", {"filters": {}}, rows=3)
    verdict = store.verify_audit()
    assert (verdict.ok, verdict.entries) == (True, 2)


def test_the_app_s_role_still_loads_its_figures_after_protecting(roles, capsys, make_source):
    app_url, admin_url, _app, owner = roles
    UserStore(app_url).add("ann", "admin", "a long password", actor="tests")
    _protect(admin_url, owner, capsys)
    source = make_source([web_user("A1", portal_access="Y")], [event("A1", "2024-02-06 10:00:00", "account_locked")])
    assert run(config_for(source, app_url), full=True).rows_loaded == 2  # one account, one event
    assert run(config_for(source, app_url)).rows_loaded == 0  # incremental: nothing new


def test_protecting_twice_needs_the_app_s_role_named_and_changes_nothing_more(roles, capsys):
    app_url, admin_url, app, owner = roles
    UserStore(app_url).add("ann", "admin", "a long password", actor="tests")
    _protect(admin_url, owner, capsys)
    assert main(["audit", "protect", "--warehouse", admin_url, "--owner", owner]) == 2
    assert "name the app's role with --app" in capsys.readouterr().err
    _protect(admin_url, owner, capsys, "--app", app)
    assert audit_owner.problem(create_engine(app_url), owner) is None


def test_the_dashboard_will_not_start_until_the_configured_owner_owns_the_log(roles, make_app):
    app_url, _admin_url, app, owner = roles
    config = config_for("sqlite://", app_url)
    config = config.model_copy(update={"auth": config.auth.model_copy(update={"audit_owner": owner})})
    with pytest.raises(WarehouseError) as refused:
        make_app(config)
    assert str(refused.value) == (
        f"audit_log is owned by {app!r}, not auth.audit_owner {owner!r}: "
        "run `python -m dashboard audit protect --warehouse <a superuser's URL>` once"
    )


def test_the_app_may_not_sign_in_as_the_audit_owner_or_a_superuser(new_postgres_database):
    url = new_postgres_database()
    UserStore(url).add("ann", "admin", "a long password", actor="tests")
    assert "which can rewrite the audit log" in audit_owner.problem(warehouse_engine(url), "portal_audit")


def test_a_separate_owner_needs_postgresql(sqlite_url, capsys):
    url = sqlite_url("warehouse")
    UserStore(url).add("ann", "admin", "a long password", actor="tests")
    assert "is not PostgreSQL" in audit_owner.problem(warehouse_engine(url), "portal_audit")
    assert main(["audit", "protect", "--warehouse", url, "--owner", "portal_audit"]) == 2
    assert "needs a PostgreSQL warehouse" in capsys.readouterr().err


def test_protect_needs_an_owner(sqlite_url, capsys, monkeypatch):
    monkeypatch.delenv("PORTAL_CONFIG", raising=False)
    assert main(["audit", "protect", "--warehouse", sqlite_url("warehouse")]) == 2
    assert "set auth.audit_owner" in capsys.readouterr().err
