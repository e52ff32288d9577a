"""The admin pages: managing users, reading the audit log, and exporting it as CSV.

Layouts and callbacks run directly inside a request where a user is signed in, as the server would
run them; the CSV route goes through the test client after a real sign-in. The warehouse is shared
by the whole test session, so every user made here has a name of its own.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import dash
import dash_bootstrap_components as dbc
import pandas as pd
import pytest
from dash import _callback, html
from flask_login import login_user

from dashboard.auth.guard import NotAllowed, callback_permission
from dashboard.auth.roles import Permission
from dashboard.auth.store import AUDIT_COLUMNS
from dashboard.auth.web import SignedInUser, store
from tests.conftest import config_for
from tests.page_tree import find, of_type, page_module, render_page, text_of
from tests.signin import post_login, signed_in

PASSWORD = "a long enough password"


@pytest.fixture
def as_admin(dash_app):
    with dash_app.server.test_request_context("/"):
        users = store()
        user = users.get("admin")  # the first admin exists after create_app
        login_user(SignedInUser(user))
        yield users


@pytest.fixture
def admin_users(dash_app):
    """The Users page's module as the app registered it."""
    return page_module("/admin/users")


@pytest.fixture
def admin_audit(dash_app):
    """The Audit log page's module as the app registered it."""
    return page_module("/admin/audit")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def run(callback, *args):
    """Call a callback as Dash would; `dash.callback` returns the function it was given, here the guarded one."""
    assert callback_permission(callback) is not None, f"{callback.__name__} is not guarded"
    return callback(*args)


def entries(users, action: str, target: str) -> pd.DataFrame:
    return users.audit_entries(action=action, target=target)


def made_user(users, roles: str = "viewer") -> str:
    name = unique("adm-test")
    users.add(name, roles, PASSWORD, actor="test")
    return name


# --- the Users page ---------------------------------------------------------------------------------


def test_the_users_page_lists_users_without_any_secret(admin_users, as_admin):
    name = made_user(as_admin)
    grid = find(admin_users.layout(), admin_users.GRID_ID)
    row = next(row for row in grid.rowData if row["name"] == name)
    assert set(row) == {"name", "roles", "active", "locked_until", "created_at", "updated_at"}
    assert row["roles"] == "viewer" and row["active"]


def test_adding_a_user_creates_it_and_audits_it(admin_users, as_admin):
    name = unique("new-user")
    alert, rows, options, password, repeat = run(
        admin_users.add_user, 1, name, ["support", "analyst"], "typed", PASSWORD, PASSWORD
    )
    assert alert.color == "success" and name in text_of(alert)
    assert as_admin.get(name).roles == ("support", "analyst")
    assert as_admin.password_matches(name, PASSWORD)
    assert name in {row["name"] for row in rows} and {"label": name, "value": name} in options
    assert (password, repeat) == ("", "")
    added = entries(as_admin, "user_added", name)
    assert len(added) == 1 and added.iloc[0]["actor"] == "admin"
    assert PASSWORD not in str(added.iloc[0]["detail"])


def test_a_generated_password_is_shown_once_in_the_message_and_works(admin_users, as_admin):
    name = unique("gen-user")
    alert, rows, *_ = run(admin_users.add_user, 1, name, ["viewer"], "generate", None, None)
    shown = find(alert, "admin-users-generated").children
    assert len(shown) >= 10 and as_admin.password_matches(name, shown)
    assert shown not in str(rows)


@pytest.mark.parametrize(
    ("roles", "password", "repeat", "reason"),
    [
        (["viewer"], "too short", "too short", "a password needs at least 10 characters"),
        (["viewer"], PASSWORD, PASSWORD + "!", "the two passwords differ"),
        ([], PASSWORD, PASSWORD, "no role given"),
        (["viewer", "superuser"], PASSWORD, PASSWORD, "unknown role 'superuser'"),
    ],
)
def test_a_refused_addition_is_a_one_line_error_and_adds_nobody(admin_users, as_admin, roles, password, repeat, reason):
    name = unique("refused")
    alert, *rest = run(admin_users.add_user, 1, name, roles, "typed", password, repeat)
    assert alert.color == "danger"
    assert reason in text_of(alert) and "\n" not in text_of(alert)
    assert rest == [dash.no_update] * 4
    assert as_admin.get(name) is None
    assert entries(as_admin, "user_added", name).empty


def test_a_bad_or_taken_name_is_refused_in_one_line(admin_users, as_admin):
    taken = made_user(as_admin)
    for name, reason in ((taken, "already exists"), ("Not A Name!", "user name")):
        alert, *_ = run(admin_users.add_user, 1, name, ["viewer"], "typed", PASSWORD, PASSWORD)
        assert alert.color == "danger" and reason in text_of(alert)


def test_setting_roles_changes_them_and_is_audited(admin_users, as_admin):
    name = made_user(as_admin)
    alert, rows = run(admin_users.set_roles, 1, name, ["analyst", "support"])
    assert alert.color == "success"
    assert as_admin.get(name).roles == ("support", "analyst")
    assert next(row for row in rows if row["name"] == name)["roles"] == "support,analyst"
    assert entries(as_admin, "user_role_set", name).iloc[0]["actor"] == "admin"


def test_an_unknown_role_or_no_user_picked_changes_nothing(admin_users, as_admin):
    name = made_user(as_admin)
    alert, rows = run(admin_users.set_roles, 1, name, ["root"])
    assert alert.color == "danger" and "unknown role 'root'" in text_of(alert) and rows is dash.no_update
    alert, _ = run(admin_users.set_roles, 1, None, ["viewer"])
    assert alert.color == "danger" and "pick a user first" in text_of(alert)
    assert as_admin.get(name).roles == ("viewer",)
    assert entries(as_admin, "user_role_set", name).empty


def test_disabling_and_enabling_change_the_user_and_are_audited(admin_users, as_admin):
    name = made_user(as_admin)
    alert, rows = run(admin_users.disable_user, 1, name)
    assert alert.color == "success" and not as_admin.get(name).active
    assert not next(row for row in rows if row["name"] == name)["active"]
    assert len(entries(as_admin, "user_disabled", name)) == 1
    alert, _ = run(admin_users.enable_user, 1, name)
    assert alert.color == "success" and as_admin.get(name).active
    assert len(entries(as_admin, "user_enabled", name)) == 1


def test_resetting_a_password_to_a_typed_one_is_audited(admin_users, as_admin):
    name = made_user(as_admin)
    new = "another long password"
    alert, _rows, password, repeat = run(admin_users.reset_password, 1, name, "typed", new, new)
    assert alert.color == "success" and (password, repeat) == ("", "")
    assert as_admin.password_matches(name, new) and not as_admin.password_matches(name, PASSWORD)
    assert len(entries(as_admin, "user_password_reset", name)) == 1


def test_resetting_to_a_generated_password_shows_it_once(admin_users, as_admin):
    name = made_user(as_admin)
    alert, *_ = run(admin_users.reset_password, 1, name, "generate", "ignored", "ignored")
    assert as_admin.password_matches(name, find(alert, "admin-users-generated").children)
    assert len(entries(as_admin, "user_password_reset", name)) == 1


def test_a_too_short_reset_password_changes_nothing(admin_users, as_admin):
    name = made_user(as_admin)
    alert, *rest = run(admin_users.reset_password, 1, name, "typed", "short", "short")
    assert alert.color == "danger" and "at least 10 characters" in text_of(alert)
    assert rest == [dash.no_update] * 3
    assert as_admin.password_matches(name, PASSWORD)
    assert entries(as_admin, "user_password_reset", name).empty


def test_a_row_click_picks_the_user_and_shows_their_roles_and_state(admin_users, as_admin):
    name = made_user(as_admin, "analyst,viewer")
    assert run(admin_users.pick_from_grid, {"rowId": name, "colId": "roles"}) == name
    assert run(admin_users.pick_from_grid, None) is dash.no_update
    roles, status = run(admin_users.show_selected, name, [])
    assert roles == ["viewer", "analyst"] and status == f"{name}: active"


def test_generating_a_password_turns_the_typed_inputs_off(admin_users, as_admin):
    assert admin_users.typed_password_disabled("generate") == (True, True)
    assert admin_users.typed_password_disabled("typed") == (False, False)


def test_user_callbacks_refuse_a_user_without_manage_users(admin_users, dash_app):
    analyst = made_user(dash_app.server.extensions["portal_users"], "analyst")
    name = unique("sneaky")
    with dash_app.server.test_request_context("/"):
        login_user(SignedInUser(store().get(analyst)))
        with pytest.raises(NotAllowed):
            run(admin_users.add_user, 1, name, ["admin"], "typed", PASSWORD, PASSWORD)
        with pytest.raises(NotAllowed):
            run(admin_users.set_roles, 1, analyst, ["admin"])
        assert store().get(name) is None and store().get(analyst).roles == ("analyst",)


def test_every_admin_page_callback_checks_its_permission(dash_app, admin_users, admin_audit):
    registered = {**_callback.GLOBAL_CALLBACK_MAP, **dash_app.callback_map}
    wanted = {"admin-users": Permission.MANAGE_USERS, "admin-audit": Permission.VIEW_AUDIT}
    checked = 0
    for output, entry in registered.items():
        for prefix, permission in wanted.items():
            if prefix in output:
                assert callback_permission(entry["callback"]) is permission, output
                checked += 1
    assert checked >= 10


# --- the Audit log page -----------------------------------------------------------------------------


def test_the_audit_filters_narrow_the_rows(admin_audit, as_admin):
    who, target = unique("auditor"), unique("target")
    as_admin.audit(who, "account_viewed_unmasked", target)
    as_admin.audit(who, "export", "accounts", rows=3)
    everything = find(admin_audit.layout(), admin_audit.GRID_ID).rowData
    mine = find(admin_audit.layout(actor=who), admin_audit.GRID_ID).rowData
    assert len(mine) == 2 < len(everything) and {row["actor"] for row in mine} == {who}
    one = find(admin_audit.layout(actor=who, action="export"), admin_audit.GRID_ID).rowData
    assert [row["target"] for row in one] == ["accounts"]
    assert len(find(admin_audit.layout(target=target), admin_audit.GRID_ID).rowData) == 1


def test_the_audit_date_range_includes_its_end_day(admin_audit, as_admin):
    who = unique("dated")
    as_admin.audit(who, "sign_in", who)
    today = datetime.now(UTC).date()
    rows = lambda **days: find(admin_audit.layout(actor=who, **days), admin_audit.GRID_ID).rowData  # noqa: E731
    assert len(rows(start=today.isoformat(), end=today.isoformat())) == 1
    assert rows(end=(today - timedelta(days=1)).isoformat()) == []
    assert rows(start=(today + timedelta(days=1)).isoformat()) == []


def test_the_last_possible_end_day_is_an_open_end(admin_audit, as_admin):
    who = unique("far-end")
    as_admin.audit(who, "sign_in", who)
    page = admin_audit.layout(actor=who, end="9999-12-31")
    assert len(find(page, admin_audit.GRID_ID).rowData) == 1


def test_a_bad_date_in_the_url_shows_the_reason_and_the_whole_log(admin_audit, as_admin):
    page = admin_audit.layout(start="2025-02-30")
    assert "start must be a date" in text_of(find(page, "admin-audit-problem"))
    assert len(find(page, admin_audit.GRID_ID).rowData) > 0


def test_the_audit_page_links_the_csv_with_its_filters_and_has_no_edit_controls(admin_audit, as_admin):
    page = admin_audit.layout(actor="admin", start="2025-01-01")
    assert find(page, "admin-audit-download").href == "/admin/audit.csv?actor=admin&start=2025-01-01"
    grid = find(page, admin_audit.GRID_ID)
    assert not any(column.get("editable") for column in grid.columnDefs)
    buttons = of_type(page, (html.Button, dbc.Button))
    assert [button.id for button in buttons] == ["admin-audit-apply"]


def test_apply_puts_the_filters_in_the_url(admin_audit, as_admin):
    href = run(admin_audit.apply_filters, 1, None, None, " admin ", "export", "", "2025-01-01", "2025-01-31T00:00:00")
    assert href == "/admin/audit?actor=admin&action=export&start=2025-01-01&end=2025-01-31"
    assert run(admin_audit.apply_filters, 1, None, None, "", None, None, None, None) == "/admin/audit"


def test_a_long_log_is_capped_and_says_so(admin_audit):
    capped = pd.DataFrame({"entry_id": range(admin_audit.DISPLAY_LIMIT + 1)})
    assert f"newest {admin_audit.DISPLAY_LIMIT:,}" in admin_audit.count_text(capped)
    assert admin_audit.count_text(capped.head(3)) == "3 matching entries, newest first."


@pytest.fixture(scope="module")
def chicago_app(make_app, demo_warehouse):
    """The app on the session's warehouse, configured for an office in Chicago."""
    return make_app(config_for("sqlite://", demo_warehouse, timezone="America/Chicago"))


def in_chicago(stored) -> str:
    """A stored naive UTC instant as the grids show it: wall-clock time in Chicago."""
    return pd.Timestamp(stored).tz_localize("UTC").tz_convert("America/Chicago").strftime("%Y-%m-%d %H:%M:%S")


def test_the_audit_log_shows_its_times_in_the_configured_zone_named_in_the_header(chicago_app):
    users, who = chicago_app.server.extensions["portal_users"], unique("zoned")
    users.audit(who, "sign_in", who)
    with signed_in(chicago_app, "admin"):
        grid = find(render_page("/admin/audit", actor=who), "admin-audit-grid")
    assert [c["headerName"] for c in grid.columnDefs if c["field"] == "at_utc"] == ["At (America/Chicago)"]
    assert grid.rowData[0]["at_utc"] == in_chicago(users.audit_entries(actor=who).iloc[0]["at_utc"])


def test_the_audit_date_filter_says_its_days_are_utc_days(chicago_app):
    with signed_in(chicago_app, "admin"):
        page = render_page("/admin/audit")
    assert text_of(find(page, "admin-audit-days")) == "Dates are UTC days, as in the CSV."


def test_the_users_page_shows_its_times_in_the_configured_zone_named_in_the_header(chicago_app):
    users = chicago_app.server.extensions["portal_users"]
    name = made_user(users)
    with signed_in(chicago_app, "admin"):
        grid = find(render_page("/admin/users"), "admin-users-grid")
    headers = {c["field"]: c["headerName"] for c in grid.columnDefs}
    assert headers["created_at"] == "Created (America/Chicago)"
    assert headers["locked_until"] == "Locked until (America/Chicago)"
    row = next(row for row in grid.rowData if row["name"] == name)
    stored = users.list().set_index("name").loc[name, "created_at"]
    assert row["created_at"] == in_chicago(stored)


# --- /admin/audit.csv -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(dash_app):
    return dash_app.server


def client_with(server, roles: str):
    users = server.extensions["portal_users"]
    name = made_user(users, roles)
    client = server.test_client()
    response = post_login(client, name, PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, name, users


def test_the_audit_csv_holds_the_filtered_log_and_is_audited(server):
    client, name, users = client_with(server, "admin")
    response = client.get(f"/admin/audit.csv?actor={name}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.splitlines()[0] == ",".join(AUDIT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and {row["actor"] for row in rows} == {name}
    assert "sign_in" in {row["action"] for row in rows}
    today = datetime.now(UTC).date().isoformat()
    assert f'filename="audit_log_beginning_{today}.csv"' in response.headers["Content-Disposition"]
    export = users.audit_entries(actor=name, action="export").iloc[0]
    assert export["target"] == "audit_log" and export["rows"] == len(rows)
    assert f'"actor": "{name}"' in export["detail"]


def test_the_audit_csv_names_its_range(server):
    client, _name, _users = client_with(server, "admin")
    response = client.get("/admin/audit.csv?start=2025-01-01&end=2025-01-31")
    assert response.status_code == 200
    assert 'filename="audit_log_2025-01-01_2025-01-31.csv"' in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines() == [",".join(AUDIT_COLUMNS)]


def test_the_audit_csv_up_to_the_last_possible_day_is_the_whole_log(server):
    client, name, _users = client_with(server, "admin")
    response = client.get(f"/admin/audit.csv?actor={name}&end=9999-12-31")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "sign_in" in {row["action"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert 'filename="audit_log_beginning_9999-12-31.csv"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2025-13-01", "start must be a date like 2025-01-31, got '2025-13-01'"),
        ("end=yesterday", "end must be a date like 2025-01-31, got 'yesterday'"),
        ("start=2025-02-01&end=2025-01-01", "start 2025-02-01 is after end 2025-01-01"),
        ("user=admin", "unknown parameter 'user'"),
    ],
)
def test_a_bad_parameter_is_a_400_with_one_line(server, query, message):
    client, name, users = client_with(server, "admin")
    response = client.get(f"/admin/audit.csv?{query}")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert message in body and body.count("\n") == 1
    assert users.audit_entries(actor=name, action="export").empty


def test_an_analyst_may_not_export_the_audit_log(server):
    client, name, users = client_with(server, "analyst")
    response = client.get("/admin/audit.csv")
    assert response.status_code == 403 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).count("\n") == 1
    assert users.audit_entries(actor=name, action="export").empty


def test_an_anonymous_caller_gets_no_audit_log(server):
    response = server.test_client().get("/admin/audit.csv")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "entry_id" not in response.get_data(as_text=True)
