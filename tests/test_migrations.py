"""Upgrades never empty the warehouse: migrations keep users, the audit log and the figures.

tests/fixtures/warehouse_schema4.sqlite was made by the code before Alembic (see its README); each
test upgrades a copy of it, or an empty database, and checks one behaviour.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import dash
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.exc import DBAPIError

import etl.pipeline
from dashboard.auth.store import Outcome, UserStore, auth_metadata
from dashboard.web.layout import REBUILD_NOTICE
from etl.pipeline import run
from portal import auditchain, rebuild
from portal.db import warehouse_engine
from portal.engine import WarehouseError
from portal.migrate import head, upgrade
from portal.schema import DATA_TABLES, metadata
from tests.builders import event, web_user
from tests.conftest import config_for
from tests.page_tree import find_all, has, render_page, text_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "warehouse_schema4.sqlite"
USERS = {"jane": "first-password-1", "omar": "second-password-2"}
"""The fixture's users and their passwords."""
REBUILD_0003 = "quarantined activity rows are now recorded as the source's text"
"""Why revision 0003 asks for a full load of a warehouse that was loaded."""
REBUILD_0008 = "the active portal users are counted from the login events"
"""Why revision 0008 asks for one: its new table is filled by a load."""
MADE_SINCE = ("daily_active_changes",)
"""Figure tables a schema-4 warehouse does not have (revision 0008 makes this one): upgrading makes them empty."""
HISTORY_SINCE = ("at_risk_changes",)
"""History tables a schema-4 warehouse does not have (revision 0009 makes this one): upgrading starts them."""
ALERT_TABLES_0010 = ("alert_history", "alert_deliveries", "alerts", "alert_checks")
"""Revision 0010's tables, those referring to `alerts` first."""
DIGEST_TABLES_0012 = ("digests",)
"""Revision 0012's table."""
NEWER = "9f3e1c2b7a60"
"""A revision no version of this code has written."""


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def schema_4(tmp_path) -> Path:
    """A copy of the warehouse made before Alembic, free to change."""
    return Path(shutil.copy(FIXTURE, tmp_path / "warehouse.sqlite"))


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def tables_of(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows as SQLite stores them, read without SQLAlchemy, sorted."""
    with closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def live_metadata() -> MetaData:
    """The schema the code reads: the figures' tables and the users and audit log."""
    combined = MetaData()
    for table in (*metadata.tables.values(), *auth_metadata.tables.values()):
        table.to_metadata(combined)
    return combined


def schema_differences(url: str) -> list:
    """What autogenerate would add, drop or alter to make the database match the code's tables."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), live_metadata())
    finally:
        engine.dispose()


def set_revision(path: Path, revision: str) -> None:
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def python(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run `python args` from the project as an operator would, without the caller's PORTAL_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    clean.update(PYTHONPATH=str(PROJECT_ROOT), **env)
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def read_everything(url: str) -> dict[str, list[tuple]]:
    """Every data table and the load log, read through a fresh engine: what a new reader would see."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = (*DATA_TABLES, metadata.tables["etl_runs"])
            return {t.name: sorted(map(tuple, connection.execute(select(t))), key=repr) for t in tables}
    finally:
        engine.dispose()


def pending_rebuilds(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return rebuild.pending(connection)
    finally:
        engine.dispose()


SOURCE_USERS = [
    web_user("A1", portal_access="Y", email="ann@example.com", enrolled_at="2024-02-01 09:00:00"),
    web_user("A2", email="Blackhole@mhtc.net", portal_access="yes"),
]
SOURCE_EVENTS = [
    event("A1", "2024-02-06 10:00:00", "recovery_requested"),
    event("A1", "2024-02-06 10:05:00", "password_reset"),
    event("A2", "2024-02-07 08:00:00", "account_locked"),
]


# --------------------------------------------------------------------------- a warehouse made before Alembic


def test_a_schema_4_warehouse_is_stamped_not_rebuilt(schema_4):
    migration = upgrade(url_of(schema_4))
    assert migration.revision == head()
    assert "stamped at 0001, data kept" in migration.line()
    assert "schema_version" not in tables_of(schema_4)


def test_upgrading_keeps_every_user(schema_4):
    before = tables_of(schema_4)["portal_users"]
    upgrade(url_of(schema_4))
    assert tables_of(schema_4)["portal_users"] == before
    assert [row[0] for row in before] == ["jane", "omar"]


def test_users_sign_in_with_their_passwords_after_upgrading(schema_4):
    upgrade(url_of(schema_4))
    users = UserStore(url_of(schema_4))
    for name, password in USERS.items():
        assert users.authenticate(name, password).outcome is Outcome.OK


def test_upgrading_keeps_every_audit_entry(schema_4):
    before = tables_of(schema_4)["audit_log"]
    upgrade(url_of(schema_4))
    assert [row[:8] for row in tables_of(schema_4)["audit_log"]] == before  # revision 0006 adds the hashes
    assert {row[3] for row in before} == {"user_added", "sign_in", "sign_in_failed", "user_role_set"}


def test_upgrading_chains_the_existing_audit_entries_in_order(schema_4):
    upgrade(url_of(schema_4))
    verdict = UserStore(url_of(schema_4)).verify_audit()
    assert (verdict.ok, verdict.entries) == (True, len(tables_of(schema_4)["audit_log"]))
    with closing(sqlite3.connect(schema_4)) as connection:
        rows = connection.execute("SELECT prev_hash, entry_hash FROM audit_log ORDER BY entry_id").fetchall()
    assert [prev for prev, _ in rows] == [auditchain.GENESIS] + [hash_ for _, hash_ in rows[:-1]]


def test_an_upgraded_audit_log_refuses_insert_or_replace(schema_4):
    upgrade(url_of(schema_4))
    replace = "INSERT OR REPLACE INTO audit_log (entry_id, at_utc, actor, action) VALUES (1, 'x', 'y', 'z')"
    with closing(sqlite3.connect(schema_4)) as connection, pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute(replace)


def test_the_audit_log_still_refuses_update_and_delete_after_upgrading(schema_4):
    upgrade(url_of(schema_4))
    with closing(sqlite3.connect(schema_4)) as connection:
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(statement)


def test_upgrading_keeps_every_figure_table_row_for_row(schema_4):
    before = tables_of(schema_4)
    upgrade(url_of(schema_4))
    after = tables_of(schema_4)
    assert all(before[name] for name in ("accounts", "events", "daily_accounts", "daily_events", "etl_runs"))
    for name in (table.name for table in DATA_TABLES if table.name != "quarantine"):
        assert after[name] == before.get(name, []), name
    assert all(name not in before for name in MADE_SINCE)
    # revision 0004 adds each quarantined row's reason codes, read from its reason
    assert sorted(row[:5] for row in after["quarantine"]) == sorted(before["quarantine"])
    assert {(row[3], row[5]) for row in after["quarantine"]} == {
        ("missing account_number", "missing_account_number"),
        ("account_number on more than one web user row", "duplicate_account_number"),
        ("unparsable created_at", "unparsable_created_at"),
        ("unreadable portal_access", "unreadable_portal_access"),
        ("missing occurred_at", "missing_occurred_at"),
        ("unparsable occurred_at", "unparsable_occurred_at"),
    }
    # and none of 0004: it read every reason
    assert pending_rebuilds(url_of(schema_4)) == [REBUILD_0003, REBUILD_0008]
    # revision 0003 adds rows_unloaded, unknown for the runs before it
    assert after["etl_runs"] == [(*row, None) for row in before["etl_runs"]]


def test_upgrading_moves_the_recorded_load_times_from_the_machine_s_clock_to_utc(schema_4, machine_zone):
    # loads before revision 0007 wrote their times on the local clock of the machine that ran them
    machine_zone("America/Chicago")
    before = {row[0]: row[1:3] for row in tables_of(schema_4)["etl_runs"]}
    upgrade(url_of(schema_4))
    after = {row[0]: row[1:3] for row in tables_of(schema_4)["etl_runs"]}
    assert before[1] == ("2026-11-29 15:50:35.738895", "2026-11-29 15:50:35.962001")
    assert after[1] == ("2026-11-29 21:50:35.738895", "2026-11-29 21:50:35.962001")  # CST is UTC-6
    assert after[2] == ("2026-11-29 21:50:36.692514", "2026-11-29 21:50:36.853781")


def test_upgrading_adds_an_empty_record_of_failed_runs(schema_4):
    upgrade(url_of(schema_4))
    assert tables_of(schema_4)["failed_runs"] == []


def test_an_upgraded_schema_4_warehouse_has_exactly_the_code_s_tables(schema_4):
    upgrade(url_of(schema_4))
    assert schema_differences(url_of(schema_4)) == []


def test_a_migration_that_fails_half_way_leaves_the_warehouse_as_it_was(schema_4):
    with closing(sqlite3.connect(schema_4)) as connection, connection:
        connection.execute("CREATE TABLE rebuild_requests (x INTEGER)")  # revision 0002 cannot make its own
    before = tables_of(schema_4)
    with pytest.raises(WarehouseError, match="already exists"):
        upgrade(url_of(schema_4))
    assert tables_of(schema_4) == before


def test_an_older_warehouse_is_refused_in_one_line_and_left_as_it_was(schema_4):
    with closing(sqlite3.connect(schema_4)) as connection, connection:
        connection.execute("UPDATE schema_version SET version = 3")
    before = tables_of(schema_4)
    with pytest.raises(WarehouseError) as refused:
        upgrade(url_of(schema_4))
    assert str(refused.value) == (
        f"warehouse {url_of(schema_4)} was made by an old version (schema 3) whose figures cannot be upgraded; "
        "rebuild them with `python -m etl run --full` (users and the audit log are kept)"
    )
    assert tables_of(schema_4) == before


def test_a_full_run_rebuilds_an_older_warehouse_keeping_users_and_audit_log(schema_4, make_source):
    with closing(sqlite3.connect(schema_4)) as connection, connection:
        connection.execute("UPDATE schema_version SET version = 3")
    before = tables_of(schema_4)
    source = make_source(SOURCE_USERS, SOURCE_EVENTS)
    result = python("-m", "etl", "run", "--full", "--source", source, "--warehouse", url_of(schema_4))
    assert result.returncode == 0, result.stderr
    after = tables_of(schema_4)
    assert after["portal_users"] == before["portal_users"]
    assert [row[:8] for row in after["audit_log"]] == before["audit_log"]
    assert after["alembic_version"] == [(head(),)]
    assert sorted(row[0] for row in after["accounts"]) == ["A1", "A2"]
    assert len(after["etl_runs"]) == 1


# --------------------------------------------------------------------------- empty databases and repeats


def test_an_empty_database_migrates_to_exactly_the_code_s_tables(database_url):
    url = database_url("warehouse")
    assert upgrade(url).was == "was empty, created"
    assert schema_differences(url) == []


def test_a_new_warehouse_s_audit_log_is_append_only(database_url):
    url = database_url("warehouse")
    UserStore(url).add("ann", "admin", "a long password", actor="tests")
    with warehouse_engine(url).connect() as connection:
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                connection.execute(text(statement))
            connection.rollback()


def test_migrating_twice_changes_nothing(schema_4):
    upgrade(url_of(schema_4))
    once = tables_of(schema_4)
    again = upgrade(url_of(schema_4))
    assert again.was == "up to date"
    assert tables_of(schema_4) == once


def test_two_processes_starting_together_migrate_once(database_url):
    url = database_url("warehouse")
    results, errors = [], []

    def start() -> None:
        try:
            results.append(upgrade(url).was)
        except WarehouseError as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == ["up to date", "up to date", "was empty, created"]


def test_the_migrate_command_creates_a_fresh_warehouse_and_says_so(tmp_path):
    url = url_of(tmp_path / "new" / "warehouse.sqlite")
    result = python("-m", "etl", "migrate", "--warehouse", url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"warehouse {url} at revision {head()} (was empty, created)"]
    assert schema_differences(url) == []


# --------------------------------------------------------------------------- a warehouse made by a newer version


def test_a_warehouse_made_by_a_newer_version_is_refused_in_one_line(schema_4):
    upgrade(url_of(schema_4))
    set_revision(schema_4, NEWER)
    before = tables_of(schema_4)
    with pytest.raises(WarehouseError) as refused:
        warehouse_engine(url_of(schema_4))
    assert str(refused.value) == (
        f"warehouse {url_of(schema_4)} was made by a newer version (revision {NEWER}); upgrade the app"
    )
    assert tables_of(schema_4) == before


@pytest.mark.parametrize("command", [("migrate",), ("run",), ("run", "--full")])
def test_the_etl_commands_refuse_a_newer_warehouse_with_exit_2(schema_4, make_source, command):
    upgrade(url_of(schema_4))
    set_revision(schema_4, NEWER)
    source = () if command == ("migrate",) else ("--source", make_source(SOURCE_USERS, SOURCE_EVENTS))
    line = one_error_line(python("-m", "etl", *command, *source, "--warehouse", url_of(schema_4)))
    assert (
        line == f"error: warehouse {url_of(schema_4)} was made by a newer version (revision {NEWER}); upgrade the app"
    )


def test_the_dashboard_refuses_to_start_on_a_newer_warehouse(schema_4, tmp_path):
    upgrade(url_of(schema_4))
    set_revision(schema_4, NEWER)
    result = python(
        "app.py",
        PORTAL_WAREHOUSE_URL=url_of(schema_4),
        PORTAL_SOURCE_URL=url_of(tmp_path / "source.sqlite"),
        PORTAL_PORT="1",  # if it did start, it could not serve
    )
    line = one_error_line(result)
    assert (
        line == f"error: warehouse {url_of(schema_4)} was made by a newer version (revision {NEWER}); upgrade the app"
    )


# --------------------------------------------------------------------------- rebuilds a migration asks for


def test_a_requested_rebuild_makes_the_next_run_a_full_load_that_clears_it(sqlite_url, make_source):
    source, url = make_source(SOURCE_USERS, SOURCE_EVENTS), sqlite_url("warehouse")
    assert run(config_for(source, url)).mode == "full"
    assert run(config_for(source, url)).mode == "incremental"
    with warehouse_engine(url).begin() as connection:
        rebuild.request(connection, "daily_events gained a column")
    assert pending_rebuilds(url) == ["daily_events gained a column"]
    assert run(config_for(source, url)).mode == "full"
    assert pending_rebuilds(url) == []
    assert run(config_for(source, url)).mode == "incremental"


def test_readers_keep_the_last_load_until_the_rebuild_commits(database_url, make_source, monkeypatch):
    source, url = make_source(SOURCE_USERS, SOURCE_EVENTS), database_url("warehouse")
    run(config_for(source, url))
    last_load = read_everything(url)
    with warehouse_engine(url).begin() as connection:
        rebuild.request(connection, "daily_events gained a column")
    seen_while_loading = []
    store_counts = etl.pipeline._store_counts

    def look_then_store(connection, *args) -> None:
        # inside the load's transaction, after it emptied and rewrote the figures' tables
        seen_while_loading.append((read_everything(url), pending_rebuilds(url)))
        store_counts(connection, *args)

    monkeypatch.setattr(etl.pipeline, "_store_counts", look_then_store)
    assert run(config_for(source, url)).mode == "full"
    assert seen_while_loading
    for tables, pending in seen_while_loading:
        assert tables == last_load
        assert pending == ["daily_events gained a column"]
    assert pending_rebuilds(url) == []


def test_every_page_says_a_rebuild_is_running_while_one_is_pending(in_request, demo_warehouse):
    engine = warehouse_engine(demo_warehouse)
    with engine.begin() as connection:
        rebuild.request(connection, "a test asked")
    try:
        pages = [page for page in _data_pages() if has(render_page(page), "freshness")]
        assert len(pages) >= 8
        for page in pages:
            notices = find_all(render_page(page), "rebuild-notice")
            assert [text_of(c) for c in notices] == [REBUILD_NOTICE], page
    finally:
        with engine.begin() as connection:
            rebuild.clear(connection)
    assert not any(has(render_page(page), "rebuild-notice") for page in _data_pages())


def _data_pages() -> list[str]:
    return [page["path"] for page in dash.page_registry.values() if not page.get("path_template")]


# --------------------------------------------------------------------------- revision 0004: quarantine reason codes

REUSED_ID_USERS = [
    web_user("D1", portal_access="Y", created_at="2024-02-01 09:00:00"),
    web_user("D2", portal_access="maybe", created_at="soon"),
]
REUSED_ID_EVENTS = [
    event("D1", "2024-01-10 08:00:00", "login_failed", event_id=501),
    event("D1", "2024-01-10 08:05:00", "login_failed", event_id=501),
    event("D1", "2024-03-04 09:00:00", "account_locked", event_id=502),
    event("D1", "garbage", "account_locked", event_id=503),
]


def at_revision_0003(url: str) -> None:
    """Make a warehouse loaded by this code what a load by revision 0003's code left: no reason codes, and
    none of the sign-in state, audit chain or record of failed runs of revisions 0005-0007, nor the tables of
    0008, 0009, 0010 and 0012."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE quarantine DROP COLUMN reason_codes"))
            connection.execute(text("ALTER TABLE audit_log DROP COLUMN prev_hash"))
            connection.execute(text("ALTER TABLE audit_log DROP COLUMN entry_hash"))
            if engine.dialect.name == "sqlite":
                connection.execute(text("DROP TRIGGER audit_log_no_replace"))
            dropped = (
                "login_counters",
                "portal_sessions",
                "failed_runs",
                *MADE_SINCE,
                *HISTORY_SINCE,
                *ALERT_TABLES_0010,
                *DIGEST_TABLES_0012,
            )
            for table in dropped:
                connection.execute(text(f"DROP TABLE {table}"))  # 0005, 0007, 0008, 0009, 0010, 0012
            connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    finally:
        engine.dispose()


def quarantine_codes(url: str) -> dict[tuple[str, str], str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            q = metadata.tables["quarantine"]
            rows = connection.execute(select(q.c.row_key, q.c.reason, q.c.reason_codes))
            return {(key, reason): codes for key, reason, codes in rows}
    finally:
        engine.dispose()


def test_upgrading_a_0003_warehouse_gives_its_quarantined_rows_their_reason_codes(database_url, make_source):
    source, url = make_source(REUSED_ID_USERS, REUSED_ID_EVENTS), database_url("warehouse")
    run(config_for(source, url))
    at_revision_0003(url)
    assert upgrade(url).was == "was at revision 0003, upgraded"
    assert quarantine_codes(url) == {
        ("D2", "unparsable created_at; unreadable portal_access"): "unparsable_created_at,unreadable_portal_access",
        ("501", "event_id on more than one activity row"): "duplicate_event_id",
        ("503", "unparsable occurred_at"): "unparsable_occurred_at",
    }
    assert pending_rebuilds(url) == [REBUILD_0008]  # none of 0004: it read every reason
    assert schema_differences(url) == []


def test_an_incremental_load_after_upgrading_reconciles_an_id_quarantined_before(database_url, make_source):
    # Id 501 was quarantined as a duplicate by a load before revision 0004; a later row reusing it
    # must be quarantined too (and nothing loaded), as a full load would.
    source, url, full = make_source(REUSED_ID_USERS, REUSED_ID_EVENTS), database_url("warehouse"), database_url("full")
    run(config_for(source, url))
    at_revision_0003(url)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:  # revision 0008's request: no login here for its table to count
        rebuild.clear(connection)
    engine.dispose()
    later = event("D1", "2024-03-08 08:00:00", "login_failed", event_id=501)
    make_source(REUSED_ID_USERS, [*REUSED_ID_EVENTS, later], url=source)
    assert run(config_for(source, url)).mode == "incremental"
    run(config_for(source, full), full=True)
    incremental_tables, full_tables = read_everything(url), read_everything(full)
    del incremental_tables["etl_runs"], full_tables["etl_runs"]
    assert incremental_tables == full_tables
    assert [row[0] for row in incremental_tables["events"]] == ["502"]


def test_a_quarantine_reason_revision_0004_cannot_read_asks_for_a_full_load(schema_4):
    with closing(sqlite3.connect(schema_4)) as connection, connection:
        connection.execute("UPDATE quarantine SET reason = 'bad in some old way' WHERE row_key = '1275'")
    upgrade(url_of(schema_4))
    assert set(pending_rebuilds(url_of(schema_4))) == {
        REBUILD_0003,
        "quarantined rows now carry reason codes, and some reasons were not recognised",
        REBUILD_0008,
    }


# --------------------------------------------------------------------------- revision 0009: the at-risk history

AT_RISK_USERS = [
    web_user("R1", email="Blackhole@mhtc.net", portal_access="Y", enrolled_at="2024-02-03 10:00:00"),
    web_user("R2", email="blackhole@mhtc.net", portal_access="Y"),  # no enrolled_at: created 2024-01-01
    web_user("N1", email="Blackhole@mhtc.net", portal_access="N"),  # a placeholder without access
    web_user("V1", email="v1@example.com", portal_access="Y", enrolled_at="2024-02-03 10:00:00"),
]


def at_risk_history(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            h = metadata.tables["at_risk_changes"]
            rows = connection.execute(select(h.c.account_number, h.c.day, h.c.change, h.c.email_status_before))
            return sorted((number, str(day), change, before) for number, day, change, before in rows)
    finally:
        engine.dispose()


def test_upgrading_a_loaded_warehouse_starts_the_at_risk_history_as_a_first_load_would(database_url, make_source):
    url = database_url("warehouse")
    run(config_for(make_source(AT_RISK_USERS, []), url))
    at_revision_0003(url)
    upgrade(url)
    assert at_risk_history(url) == [
        ("R1", "2024-02-03", "became_at_risk", None),
        ("R2", "2024-01-01", "became_at_risk", None),
    ]
    assert pending_rebuilds(url) == [REBUILD_0008]  # none of 0009: a load cannot make history again
    assert schema_differences(url) == []
