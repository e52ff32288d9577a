"""The ETL end to end (SPEC sections 2-5): a hand-built billing source in, the dashboard's figures out.

Every figure below is worked out by hand from the rows written here. The configured zone is
America/Chicago, which is UTC-6 in February and early March 2024 (daylight time starts on
2024-03-10, after every date used here).
"""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text

import etl.extract
import etl.pipeline
from dashboard.data.metrics import placeholder_summary
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from etl.transform import normalise_web_users
from portal.config import load_config
from portal.db import warehouse_engine
from portal.schema import DATA_TABLES
from portal.vocabulary import QuarantineReason, unloaded_warning
from tests.builders import event, web_user, write_source
from tests.conftest import config_for, create_mariadb_database, drop_mariadb_databases

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZONE = "America/Chicago"

# --------------------------------------------------------------------------- the hand-built source

WEB_USERS = [
    # enrolled Mon 2024-02-05
    web_user(
        "A1",
        username="ann@example.com",
        email="Ann@Example.com",
        portal_access="Y",
        created_at="2024-01-15 10:00:00",
        enrolled_at="2024-02-05 09:00:00",
        last_login_at="2024-02-06 10:10:00",
    ),
    # placeholder email with portal access: at risk; enrolled at creation (no enrolled_at)
    web_user("A2", email="Blackhole@mhtc.net", portal_access="yes", created_at="2024-01-20 11:00:00"),
    # username that is not an email; no portal access
    web_user(
        "A3",
        segment="business",
        username="bobsbuilding",
        email="bob@bobsbuilding.com",
        portal_access="0",
        created_at="2024-02-10 08:00:00",
    ),
    # offset-aware enrolled_at: 05:00 UTC on Mon 02-12 is 23:00 on Sun 02-11 in Chicago
    web_user(
        "A4",
        segment="business",
        username="dee@shop.com",
        email="dee@shop.com",
        portal_access="t",
        created_at="2024-02-01 10:00:00",
        enrolled_at="2024-02-12T05:00:00+00:00",
    ),
    # account number on two rows: both quarantined
    web_user("A5", email="first@example.com", portal_access="Y"),
    web_user("A5", email="second@example.com", portal_access="N"),
    # no account number: quarantined
    web_user(None, email="nobody@example.com"),
    # unreadable portal_access: quarantined
    web_user("A6", portal_access="maybe"),
    # no segment: reads as unknown; an email that is not email-shaped
    web_user("A7", segment=None, email="none", portal_access="N", created_at="2024-02-03 15:00:00"),
    # blank email: missing; enrolled at creation on Wed 02-14
    web_user(
        "A8", segment="business", username="a8@x.com", email="  ", portal_access="1", created_at="2024-02-14 16:00:00"
    ),
]

EVENTS = [
    # A1 forgets the password and resets it: one succeeded attempt of 4 events (Tue 02-06)
    event("A1", "2024-02-06 10:00:00", "recovery_requested", event_id=1),
    event("A1", "2024-02-06 10:02:00", "recovery_code_sent", event_id=2, actor="system", channel="email"),
    event("A1", "2024-02-06 10:05:00", "security_question_passed", event_id=3),
    event("A1", "2024-02-06 10:06:00", "password_reset", event_id=4),
    # A2 (placeholder email) asks, never gets a code: abandoned; staff reset it the next day
    event("A2", "2024-02-07 19:00:00", "recovery_requested", event_id=5),
    event("A2", "2024-02-08 10:00:00", "password_reset_by_staff", event_id=6, actor="staff", channel="phone"),
    # an unknown email: no account, an attempt of its own, failed (Fri 02-09)
    event(None, "2024-02-09 20:00:00", "recovery_email_unknown", event_id=7),
    # offset-aware: 04:00 UTC on Mon 02-12 is 22:00 on Sun 02-11 in Chicago, so the week of 02-05
    event("A4", "2024-02-12T04:00:00+00:00", "account_locked", event_id=8, actor="system"),
    event("A4", "2024-02-12 09:00:00", "account_unlocked", event_id=9, actor="staff"),
    # Z9 is no web user: an orphan, counted with segment unknown
    event("Z9", "2024-02-13 11:00:00", "account_locked", event_id=10, actor="system"),
    # 13:00 at UTC-5 is 18:00 UTC, 12:00 in Chicago
    event("A4", "2024-02-13T13:00:00-05:00", "account_locked", event_id=11, actor="system"),
    event("A4", "2024-02-13 12:30:00", "account_locked", event_id=12, actor="system"),
    # not a canonical type and not mapped: other
    event("A3", "2024-02-14 08:00:00", "legacy_sync", event_id=13, actor="system"),
    # A3: requested, code sent, code failed -> failed (recovery_code_failed), 3 events ...
    event("A3", "2024-02-14 09:00:00", "recovery_requested", event_id=14),
    event("A3", "2024-02-14 09:03:00", "recovery_code_sent", event_id=15, actor="system", channel="email"),
    event("A3", "2024-02-14 09:10:00", "recovery_code_failed", event_id=16),
    # ... then 40 minutes of silence (> 30): a new attempt, failed (security_question_failed)
    event("A3", "2024-02-14 09:50:00", "security_question_failed", event_id=17),
    event("A1", "2024-02-15 18:00:00", "password_changed", event_id=18),
    event("A7", "2024-02-16 10:00:00", "password_reset_by_staff", event_id=19, actor="staff", channel="office"),
]

# Two ISO weeks: Mon 02-05 .. Sun 02-11 and Mon 02-12 .. Sun 02-18.
WEEKS = Filters(date(2024, 2, 5), date(2024, 2, 18), "week")
WEEK_1, WEEK_2 = date(2024, 2, 5), date(2024, 2, 12)


# --------------------------------------------------------------------------- helpers


def _plain(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def rows(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows (or just `columns`) as plain Python tuples; period_start as a date."""
    frame = frame[list(columns)] if columns else frame.copy()
    if "period_start" in frame:
        frame = frame.assign(period_start=pd.to_datetime(frame["period_start"]).dt.date)
    return [tuple(_plain(v) for v in row) for row in frame.astype(object).itertuples(index=False, name=None)]


def figures(url: str, filters: Filters = WEEKS) -> dict[str, list[tuple]]:
    """Everything the dashboard shows for a view, as plain rows, for comparing two warehouses."""
    warehouse = Warehouse(url)
    return {
        "adoption": rows(warehouse.adoption(filters)),
        "recovery": rows(warehouse.recovery(filters)),
        "recovery_attempts": rows(warehouse.recovery_attempts(filters)),
        "resets": rows(warehouse.resets(filters)),
        "lockouts": rows(warehouse.lockouts(filters)),
        "accounts": rows(warehouse.accounts(filters)),
        "quality": sorted(rows(warehouse.quality()), key=_sort_key),
    }


def _sort_key(row: tuple) -> tuple:
    return tuple((value is None, str(value)) for value in row)


def dump(url: str) -> dict[str, list[tuple]]:
    """Every data table's rows, sorted, read through a fresh engine (nothing cached in-process)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=_sort_key)
                for table in DATA_TABLES
            }
    finally:
        engine.dispose()


MARIADB = pytest.mark.mariadb


@pytest.fixture(params=["sqlite_source", "postgresql_source", pytest.param("mariadb_source", marks=MARIADB)])
def new_source(request, tmp_path) -> Callable[[], str]:
    """A factory of empty source databases of one kind."""
    if request.param == "sqlite_source":
        names = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path / f'source{next(names)}'}.sqlite"
    if request.param == "mariadb_source":
        return request.getfixturevalue("new_mariadb_database")
    return request.getfixturevalue("new_postgres_database")


def _drop_postgres(server: str, names: list[str]) -> None:
    warehouse_engine.cache_clear()
    admin = create_engine(f"{server}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(
    scope="module",
    params=[
        ("sqlite", "sqlite"),
        ("sqlite", "postgresql"),
        ("postgresql", "sqlite"),
        ("postgresql", "postgresql"),
        # MariaDB is a source only: the warehouse stays SQLite or PostgreSQL
        pytest.param(("mariadb", "sqlite"), marks=MARIADB),
    ],
    ids=lambda kinds: f"{kinds[0]}_source-{kinds[1]}_warehouse",
)
def loaded(request, tmp_path_factory) -> Iterator[str]:
    """The hand-built source loaded once per source kind and warehouse kind; read-only for the tests.

    Module-scoped (the function-scoped `database_url` fixture cannot be) so the figure tests below
    each check one thing without loading the same data sixteen times.
    """
    folder = tmp_path_factory.mktemp("loaded")
    made: list[str] = []
    server = request.getfixturevalue("postgres_server") if "postgresql" in request.param else None
    mariadb = request.getfixturevalue("mariadb_server") if "mariadb" in request.param else None
    made_in_mariadb: list[str] = []

    def database(kind: str, name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{folder / name}.sqlite"
        if kind == "mariadb":
            made_in_mariadb.append(create_mariadb_database(mariadb))
            return f"{mariadb}/{made_in_mariadb[-1]}"
        made.append(f"portal_test_{uuid.uuid4().hex[:12]}")
        admin = create_engine(f"{server}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{made[-1]}"'))
        admin.dispose()
        return f"{server}/{made[-1]}"

    source_kind, warehouse_kind = request.param
    source, warehouse = database(source_kind, "source"), database(warehouse_kind, "warehouse")
    write_source(source, WEB_USERS, EVENTS)
    run(config_for(source, warehouse, timezone=ZONE))
    yield warehouse
    if made:
        _drop_postgres(server, made)
    if made_in_mariadb:
        drop_mariadb_databases(mariadb, made_in_mariadb)


# --------------------------------------------------------------------------- figures of one load


def test_adoption_counts_stocks_at_each_weeks_end_and_enrollments_in_the_week(loaded):
    # Week of 02-05, as of Sun 02-11: created A1, A2, A3 (02-10), A4, A7 = 5 (A8 comes 02-14);
    #   enrolled A1 (02-05), A2 (at creation, 01-20), A4 (Sun 02-11 23:00 local) = 3; new: A1, A4.
    # Week of 02-12, as of Sun 02-18: + A8, created and enrolled on 02-14: 6 and 4; new: A8.
    assert rows(Warehouse(loaded).adoption(WEEKS)) == [
        (WEEK_1, 5, 3, 0.6, 2),
        (WEEK_2, 6, 4, 0.666667, 1),
    ]


def test_recovery_counts_attempts_by_outcome_and_failure_reason(loaded):
    # Week 1: A1 succeeded, A2 abandoned, the unknown email failed (recovery_email_unknown).
    # Week 2: A3 failed twice: recovery_code_failed, then security_question_failed after 40 minutes.
    assert rows(Warehouse(loaded).recovery(WEEKS)) == [
        # attempts, succeeded, failed, abandoned, email_unknown, code_failed, question_failed
        (WEEK_1, 3, 1, 1, 1, 1, 0, 0),
        (WEEK_2, 2, 0, 2, 0, 0, 1, 1),
    ]


def test_recovery_attempts_are_listed_with_outcome_reason_and_event_count(loaded):
    attempts = Warehouse(loaded).recovery_attempts(WEEKS)
    assert rows(attempts, "attempt_id", "account_number", "outcome", "failure_reason", "events", "segment") == [
        ("1", "A1", "succeeded", None, 4, "residential"),
        ("5", "A2", "abandoned", None, 1, "residential"),
        ("7", None, "failed", "recovery_email_unknown", 1, "unknown"),
        ("14", "A3", "failed", "recovery_code_failed", 3, "business"),
        ("17", "A3", "failed", "security_question_failed", 1, "business"),
    ]
    assert rows(attempts, "started_at", "ended_at")[3] == (datetime(2024, 2, 14, 9, 0), datetime(2024, 2, 14, 9, 10))


def test_resets_count_self_service_staff_and_in_session_changes(loaded):
    # Week 1: A1's password_reset, A2's staff reset. Week 2: A7's staff reset, A1's password_changed.
    assert rows(Warehouse(loaded).resets(WEEKS)) == [
        (WEEK_1, 1, 1, 0),
        (WEEK_2, 0, 1, 1),
    ]


def test_lockouts_count_events_and_distinct_accounts_including_orphans(loaded):
    # Week 1: A4 at Sun 02-11 22:00 local (02-12 in UTC). Week 2: Z9 (orphan), A4 twice.
    assert rows(Warehouse(loaded).lockouts(WEEKS)) == [
        (WEEK_1, 1, 1),
        (WEEK_2, 3, 2),
    ]


def test_orphan_and_accountless_events_count_in_segment_unknown(loaded):
    warehouse = Warehouse(loaded)
    unknown = Filters(WEEKS.start, WEEKS.end, "week", "unknown")
    # Z9's lockout in week 2; the unknown-email attempt in week 1; A7 (no segment) has a staff reset.
    assert rows(warehouse.lockouts(unknown)) == [(WEEK_1, 0, 0), (WEEK_2, 1, 1)]
    assert rows(warehouse.recovery(unknown), "period_start", "attempts", "failed") == [(WEEK_1, 1, 1), (WEEK_2, 0, 0)]
    assert rows(warehouse.resets(unknown)) == [(WEEK_1, 0, 0, 0), (WEEK_2, 0, 1, 0)]


def test_accounts_carry_email_status_username_flag_and_their_failures_and_lockouts(loaded):
    accounts = Warehouse(loaded).accounts(WEEKS)
    assert rows(
        accounts,
        "account_number",
        "segment",
        "portal_access",
        "email_status",
        "username_is_email",
        "failed_recovery_attempts",
        "lockouts",
    ) == [
        ("A1", "residential", True, "valid", True, 0, 0),
        ("A2", "residential", True, "placeholder", None, 0, 0),
        ("A3", "business", False, "valid", False, 2, 0),
        ("A4", "business", True, "valid", True, 0, 3),
        ("A7", "unknown", False, "invalid", None, 0, 0),
        ("A8", "business", True, "missing", True, 0, 0),
    ]
    assert placeholder_summary(accounts) == {"placeholder_accounts": 1, "at_risk_accounts": 1}


def test_the_segment_choices_are_every_loaded_accounts_segment(loaded):
    # read from daily_accounts, which counts every account: A7 (no segment) reads as unknown
    assert Warehouse(loaded).segments() == ["business", "residential", "unknown"]


def test_timestamps_are_shown_in_the_configured_zone(loaded):
    warehouse = Warehouse(loaded)
    a4 = rows(warehouse.accounts(WEEKS), "account_number", "created_at", "enrolled_at")[3]
    assert a4 == ("A4", datetime(2024, 2, 1, 10, 0), datetime(2024, 2, 11, 23, 0))
    assert rows(warehouse.activity("A4"), "event_id", "occurred_at") == [
        ("8", datetime(2024, 2, 11, 22, 0)),  # 2024-02-12T04:00:00+00:00
        ("9", datetime(2024, 2, 12, 9, 0)),  # naive: already local
        ("11", datetime(2024, 2, 13, 12, 0)),  # 2024-02-13T13:00:00-05:00
        ("12", datetime(2024, 2, 13, 12, 30)),
    ]


def test_quality_lists_quarantined_rows_unmapped_types_and_orphans(loaded):
    quality = sorted(rows(Warehouse(loaded).quality(), "issue", "source_table", "row_key", "rows"), key=_sort_key)
    assert quality == [
        ("orphan_event", "activity_log", "10", 1),
        ("quarantined", "web_users", "A5", 1),
        ("quarantined", "web_users", "A5", 1),
        ("quarantined", "web_users", "A6", 1),
        ("quarantined", "web_users", None, 1),
        ("unmapped_event_type", "activity_log", "legacy_sync", 1),
    ]


def test_quality_gives_each_quarantined_row_a_reason_naming_the_bad_field(loaded):
    quality = Warehouse(loaded).quality()
    quarantined = quality[quality["issue"] == "quarantined"]
    reasons = {
        (_plain(key) or "<none>"): detail
        for key, detail in zip(quarantined["row_key"], quarantined["detail"], strict=True)
    }
    assert set(reasons) == {"A5", "A6", "<none>"}
    assert "account_number" in reasons["A5"]
    assert "account_number" in reasons["<none>"]
    assert "portal_access" in reasons["A6"]


# --------------------------------------------------------------------------- a source with its own names

MAPPED_TOML = """\
timezone = "America/Chicago"

[source]
url = "{source}"
web_users_table = "portal_users"
activity_log_table = "audit_trail"

[source.web_users_columns]
account_number = "acct_no"
portal_access = "web_enabled"
created_at = "created_ts"

[source.activity_log_columns]
event_id = "log_id"
account_number = "acct_no"
occurred_at = "logged_at"
event_type = "activity"

[event_types]
"Customer changed password via Billing Portal" = "password_reset"
"Password reset by Billing Office" = "password_reset_by_staff"

[warehouse]
url = "{warehouse}"
"""
SOURCE_SPELLING = {
    "password_reset": "Customer changed password via Billing Portal",
    "password_reset_by_staff": "Password reset by Billing Office",
}


def test_a_source_with_its_own_table_column_and_event_names_gives_the_same_figures(
    new_source, sqlite_url, tmp_path, monkeypatch
):
    monkeypatch.delenv("PORTAL_SOURCE_URL", raising=False)
    monkeypatch.delenv("PORTAL_WAREHOUSE_URL", raising=False)
    canonical_source, canonical_warehouse = new_source(), sqlite_url("canonical")
    write_source(canonical_source, WEB_USERS, EVENTS)
    run(config_for(canonical_source, canonical_warehouse, timezone=ZONE))

    own_source, own_warehouse = new_source(), sqlite_url("own")
    own_events = [{**e, "event_type": SOURCE_SPELLING.get(e["event_type"], e["event_type"])} for e in EVENTS]
    assert sum(e["event_type"] == "Customer changed password via Billing Portal" for e in own_events) == 1
    write_source(
        own_source,
        WEB_USERS,
        own_events,
        web_users_table="portal_users",
        activity_log_table="audit_trail",
        rename={
            "account_number": "acct_no",
            "portal_access": "web_enabled",
            "created_at": "created_ts",
            "event_id": "log_id",
            "occurred_at": "logged_at",
            "event_type": "activity",
        },
    )
    path = tmp_path / "portal.toml"
    path.write_text(MAPPED_TOML.format(source=own_source, warehouse=own_warehouse))
    run(load_config(path))

    assert figures(own_warehouse) == figures(canonical_warehouse)


# --------------------------------------------------------------------------- a source with its own column types


@MARIADB
def test_a_mariadb_bit_column_is_read_as_portal_access(new_mariadb_database, sqlite_url):
    # BIT(1) is how many MySQL and MariaDB schemas store a boolean; the driver returns it as bytes.
    source, warehouse = new_mariadb_database(), sqlite_url("warehouse")
    write_source(source, [web_user("A1", portal_access="1"), web_user("A2", portal_access="0")], [])
    engine = create_engine(source)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE web_users MODIFY portal_access BIT(1)"))
    engine.dispose()
    run(config_for(source, warehouse, timezone=ZONE))
    january = Filters(date(2024, 1, 1), date(2024, 1, 31), "month")
    assert rows(Warehouse(warehouse).accounts(january), "account_number", "portal_access") == [
        ("A1", True),
        ("A2", False),
    ]


@MARIADB
def test_a_mariadb_zero_date_is_read_as_no_date(new_mariadb_database, sqlite_url):
    # A DATETIME column that keeps 0000-00-00 for "never" (MariaDB's default sql_mode allows it)
    source, warehouse = new_mariadb_database(), sqlite_url("warehouse")
    zero = "0000-00-00 00:00:00"
    users = [web_user("A1", portal_access="Y", created_at="2024-01-10 09:00:00", enrolled_at=zero, last_login_at=zero)]
    write_source(source, users, [])
    engine = create_engine(source)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE web_users MODIFY enrolled_at DATETIME, MODIFY last_login_at DATETIME"))
    engine.dispose()
    run(config_for(source, warehouse, timezone=ZONE))
    january = Filters(date(2024, 1, 1), date(2024, 1, 31), "month")
    # enrolled at creation, as with no enrolled_at at all
    assert rows(Warehouse(warehouse).accounts(january), "account_number", "enrolled_at", "last_login_at") == [
        ("A1", None, None)
    ]
    assert rows(Warehouse(warehouse).adoption(january), "enrolled_accounts", "new_enrollments") == [(1, 1)]


# --------------------------------------------------------------------------- idempotence


def test_a_second_run_changes_no_table(database_url, make_source):
    source, warehouse = make_source(WEB_USERS, EVENTS), database_url("warehouse")
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    before = dump(warehouse)
    run(config)
    assert dump(warehouse) == before


def test_a_second_run_reports_nothing_loaded(sqlite_url, make_source):
    config = config_for(make_source(WEB_USERS, EVENTS), sqlite_url("warehouse"), timezone=ZONE)
    first = run(config)
    second = run(config)
    # The first run loads 6 accounts and 19 events; the second finds nothing new.
    assert (first.rows_loaded, second.rows_loaded) == (6 + 19, 0)
    assert second.accounts_changed == 0


def test_a_full_load_counts_the_daily_rows_the_sql_aggregation_gives(database_url, make_source):
    # A full load counts its streamed events in DuckDB and its attempts batch by batch; incremental
    # loads count the warehouse tables in SQL. Both must give the same daily rows, orphans and
    # accountless events included.
    source = make_source(WEB_USERS, EVENTS)
    url = database_url("warehouse")
    config = config_for(source, url, timezone=ZONE)
    run(config, full=True)
    streamed = dump(url)
    accounts, _ = normalise_web_users(pd.DataFrame(WEB_USERS), config)
    with warehouse_engine(url).begin() as connection:
        etl.pipeline.refresh_aggregates(connection, accounts, None)
    daily = ("daily_accounts", "daily_events", "daily_lockouts", "daily_attempts", "hourly_events", "orphan_events")
    assert all(streamed[name] for name in daily)
    assert streamed == dump(url)


def test_a_full_load_streamed_in_tiny_batches_equals_one_in_a_single_batch(database_url, make_source, monkeypatch):
    # Batches of three rows split attempts and days across batches, and repeated event ids: id 4
    # again far from its first row, id 30 on a row quarantined for its time and on a good one.
    repeated = [
        event("A1", "2024-02-20 10:00:00", "login_failed", event_id=4),
        event("A2", None, "login_failed", event_id=30),
        event("A2", "2024-02-21 10:00:00", "login_failed", event_id=31),
        event("A2", "2024-02-21 10:05:00", "login_failed", event_id=30),
    ]
    source = make_source(WEB_USERS, EVENTS + repeated)
    whole, tiny = database_url("whole"), database_url("tiny")
    run(config_for(source, whole, timezone=ZONE), full=True)
    monkeypatch.setattr(etl.extract, "CHUNK_ROWS", 3)
    monkeypatch.setattr(etl.pipeline, "ATTEMPT_BATCH_ROWS", 2)
    run(config_for(source, tiny, timezone=ZONE), full=True)
    tables = dump(whole)
    duplicate = QuarantineReason.DUPLICATE_EVENT_ID
    assert {row[2] for row in tables["quarantine"] if duplicate in row[5].split(",")} == {"4", "30"}
    assert dump(tiny) == tables


def test_a_row_repeated_whole_in_the_source_is_quarantined_twice_and_nothing_is_reported_missing(sqlite_url):
    # Regression (found by tests/test_properties.py): the two copies were one quarantine entry, so the
    # reconciliation said a row was missing and told the operator to run a full load, which changed nothing.
    source, warehouse = sqlite_url("source"), sqlite_url("warehouse")
    copy = event("A1", "2024-02-01 10:00:00", "login_failed", event_id=7)
    write_source(source, [web_user("A1")], [copy, dict(copy), event("A1", "2024-02-01 11:00:00", "login_failed")])
    first = run(config_for(source, warehouse), full=True)
    again = run(config_for(source, warehouse))
    assert (first.rows_quarantined, first.rows_unloaded) == (2, 0)
    assert again.rows_unloaded == 0
    assert len(dump(warehouse)["quarantine"]) == 2


def test_identical_rows_without_an_id_in_different_batches_load_as_in_one_batch(sqlite_url, make_source, monkeypatch):
    # Regression (found by tests/test_properties.py): each batch gave its copy the same hash, and the
    # full load failed on the quarantine's primary key.
    no_id = event("A1", "2024-02-01 10:00:00", "login_failed", event_id="")
    rows = [no_id, event("A1", "2024-02-01 10:30:00", "login_failed"), dict(no_id), event("A1", None, "login_failed")]
    source = make_source([web_user("A1")], rows)
    whole, tiny = sqlite_url("whole"), sqlite_url("tiny")
    run(config_for(source, whole), full=True)
    monkeypatch.setattr(etl.extract, "CHUNK_ROWS", 2)
    run(config_for(source, tiny), full=True)
    assert len(dump(whole)["quarantine"]) == 3
    assert dump(tiny) == dump(whole)


# --------------------------------------------------------------------------- incremental loads

# Three batches, each later than the one before; the source is rewritten whole each time.
INCREMENTAL_WEB_USERS = [
    [
        web_user("B1", email="bea@example.com", portal_access="Y", created_at="2024-03-01 09:00:00"),
        web_user("B2", email="carl@example.com", portal_access="N", created_at="2024-03-01 10:00:00"),
    ],
    [
        web_user("B1", email="bea@example.com", portal_access="Y", created_at="2024-03-01 09:00:00"),
        # B2 moves from residential to business: all its events, old ones too, are business now
        web_user(
            "B2", segment="business", email="carl@example.com", portal_access="N", created_at="2024-03-01 10:00:00"
        ),
    ],
    [
        # B1's email becomes the placeholder (a changed web user whose segment does not move)
        web_user("B1", email="Blackhole@mhtc.net", portal_access="Y", created_at="2024-03-01 09:00:00"),
        web_user(
            "B2", segment="business", email="carl@example.com", portal_access="N", created_at="2024-03-01 10:00:00"
        ),
        # B3 arrives only now; its events of batch 2 were orphans until this batch
        web_user("B3", segment="business", email="dan@shop.com", portal_access="Y", created_at="2024-03-05 07:00:00"),
    ],
]
INCREMENTAL_EVENTS = [
    [
        event("B2", "2024-03-04 08:00:00", "login_failed", event_id=201),
        event("B2", "2024-03-04 08:05:00", "account_locked", event_id=202, actor="system"),
        event("B1", "2024-03-04 09:00:00", "recovery_requested", event_id=203),
    ],
    [
        # the same second as the last event already loaded
        event("B2", "2024-03-04 09:00:00", "login_succeeded", event_id=204),
        # 10 minutes after B1's request of batch 1: the same attempt
        event("B1", "2024-03-04 09:10:00", "recovery_code_failed", event_id=205),
        event("B3", "2024-03-04 10:00:00", "recovery_requested", event_id=206),
        event("B3", "2024-03-04 10:04:00", "recovery_code_sent", event_id=207, actor="system", channel="email"),
        event("B2", "2024-03-04 11:00:00", "account_locked", event_id=208, actor="system"),
        event("B1", "2024-03-04 12:00:00", "legacy_sync", event_id=209, actor="system"),
    ],
    [
        event("B1", "2024-03-05 08:00:00", "recovery_requested", event_id=210),
        event("B1", "2024-03-05 08:05:00", "password_reset", event_id=211),
        event("B3", "2024-03-05 09:00:00", "password_reset_by_staff", event_id=212, actor="staff"),
        event(None, "2024-03-05 10:00:00", "recovery_email_unknown", event_id=213),
        event("B3", "2024-03-05 10:30:00", "account_locked", event_id=214, actor="system"),
    ],
]
MARCH_DAYS = Filters(date(2024, 3, 4), date(2024, 3, 5), "day")


def _events_up_to(batch: int) -> list[dict]:
    return [e for events in INCREMENTAL_EVENTS[: batch + 1] for e in events]


# How each timestamped source kind turns the text occurred_at written by `write_source` into a real
# timestamp column: naive (PostgreSQL timestamp, MariaDB DATETIME), or with time zone.
TIMESTAMP_COLUMN = {
    "postgresql_timestamp": "ALTER COLUMN occurred_at TYPE timestamp USING occurred_at::timestamp",
    "postgresql_timestamptz": "ALTER COLUMN occurred_at TYPE timestamptz"
    f" USING occurred_at::timestamp AT TIME ZONE '{ZONE}'",
    "mariadb_datetime": "MODIFY occurred_at DATETIME",
}


def _source_database(request, tmp_path: Path, kind: str) -> str:
    """An empty source database for a source kind named `<database>_<occurred_at type>`."""
    if kind.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'source'}.sqlite"
    if kind.startswith("mariadb"):
        return request.getfixturevalue("new_mariadb_database")()
    return request.getfixturevalue("new_postgres_database")()


def _write_timestamped_source(url: str, kind: str, web_users: list[dict], events: list[dict]) -> None:
    """Write the source; for every kind but text, occurred_at becomes a real timestamp column."""
    write_source(url, web_users, events)
    if kind in TIMESTAMP_COLUMN:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE activity_log {TIMESTAMP_COLUMN[kind]}"))
        engine.dispose()


@pytest.fixture(
    params=[
        "sqlite_text",
        "postgresql_timestamp",
        "postgresql_timestamptz",
        pytest.param("mariadb_datetime", marks=MARIADB),
    ]
)
def growing_source(request, tmp_path) -> Callable[[int], str]:
    """Writes the source as of a batch (0, 1, 2) to one database and returns its URL.

    The PostgreSQL and MariaDB kinds store occurred_at as a real timestamp column (naive, or with
    time zone), the case where the ETL pushes the watermark down into the source query.
    """
    url = _source_database(request, tmp_path, request.param)

    def write(batch: int) -> str:
        _write_timestamped_source(url, request.param, INCREMENTAL_WEB_USERS[batch], _events_up_to(batch))
        return url

    return write


def _load_in_batches(write: Callable[[int], str], warehouse: str) -> str:
    for batch in range(len(INCREMENTAL_EVENTS)):
        source = write(batch)
        run(config_for(source, warehouse, timezone=ZONE))
    return source


def test_incremental_batches_give_the_tables_and_figures_of_one_full_load(database_url, growing_source):
    incremental, full = database_url("incremental"), database_url("full")
    source = _load_in_batches(growing_source, incremental)
    run(config_for(source, full, timezone=ZONE), full=True)
    assert dump(incremental) == dump(full)
    assert figures(incremental, MARCH_DAYS) == figures(full, MARCH_DAYS)


def _sqlite_batches(make_source, url: str) -> Callable[[int], str]:
    return lambda batch: make_source(INCREMENTAL_WEB_USERS[batch], _events_up_to(batch), url=url)


def test_incremental_batches_join_straddling_attempts_and_follow_segment_moves(database_url, make_source, sqlite_url):
    warehouse = database_url("incremental")
    _load_in_batches(_sqlite_batches(make_source, sqlite_url("growing")), warehouse)
    w = Warehouse(warehouse)
    assert rows(
        w.recovery_attempts(MARCH_DAYS),
        "attempt_id",
        "account_number",
        "outcome",
        "failure_reason",
        "events",
        "segment",
    ) == [
        ("203", "B1", "failed", "recovery_code_failed", 2, "residential"),  # batch 1 + batch 2
        ("206", "B3", "abandoned", None, 2, "business"),  # loaded as an orphan, adopted in batch 3
        ("210", "B1", "succeeded", None, 2, "residential"),
        ("213", None, "failed", "recovery_email_unknown", 1, "unknown"),
    ]
    business = Filters(MARCH_DAYS.start, MARCH_DAYS.end, "day", "business")
    residential = Filters(MARCH_DAYS.start, MARCH_DAYS.end, "day", "residential")
    # B2's lockouts of 03-04 (one loaded while B2 was residential) and B3's of 03-05
    assert rows(w.lockouts(business)) == [(date(2024, 3, 4), 2, 1), (date(2024, 3, 5), 1, 1)]
    assert rows(w.lockouts(residential)) == [(date(2024, 3, 4), 0, 0), (date(2024, 3, 5), 0, 0)]
    assert rows(w.quality(), "issue", "row_key") == [("unmapped_event_type", "legacy_sync")]


def test_a_full_run_after_incremental_ones_leaves_the_same_tables(database_url, make_source, sqlite_url):
    warehouse = database_url("warehouse")
    source = _load_in_batches(_sqlite_batches(make_source, sqlite_url("growing")), warehouse)
    before = dump(warehouse)
    summary = run(config_for(source, warehouse, timezone=ZONE), full=True)
    assert summary.mode == "full"
    assert dump(warehouse) == before


@pytest.mark.parametrize(
    "source_kind", ["sqlite_text", "postgresql_timestamp", pytest.param("mariadb_datetime", marks=MARIADB)]
)
def test_an_event_id_reused_in_a_later_batch_ends_as_in_a_full_load(sqlite_url, request, tmp_path, source_kind):
    # Event 301 is loaded on 03-01; days later the billing system writes another row with id 301.
    # A full load quarantines both rows (neither can be trusted over the other) and loads 302;
    # an incremental load must end the same, and one bad row must never stop it.
    source = _source_database(request, tmp_path, source_kind)
    users = [web_user("B1", portal_access="Y", created_at="2024-02-01 09:00:00")]
    first = [
        event("B1", "2024-03-01 08:00:00", "login_failed", event_id=301),
        event("B1", "2024-03-04 09:00:00", "account_locked", event_id=302),
    ]
    later = [event("B1", "2024-03-08 08:00:00", "account_locked", event_id=301)]

    def write(events: list[dict]) -> None:
        _write_timestamped_source(source, source_kind, users, events)

    incremental, full = sqlite_url("incremental"), sqlite_url("full")
    write(first)
    run(config_for(source, incremental, timezone=ZONE))
    write(first + later)
    run(config_for(source, incremental, timezone=ZONE))
    run(config_for(source, full, timezone=ZONE), full=True)
    assert dump(incremental) == dump(full)


def test_a_reused_recovery_event_id_withdraws_the_event_from_its_attempt(sqlite_url):
    # Request 401 and the code failure 402 form one attempt; a later row reusing 401 means a full
    # load quarantines both 401 rows, leaving 402 as an attempt of its own.
    source, incremental, full = sqlite_url("source"), sqlite_url("incremental"), sqlite_url("full")
    users = [web_user("C1", portal_access="Y", created_at="2024-02-01 09:00:00")]
    first = [
        event("C1", "2024-03-01 10:00:00", "recovery_requested", event_id=401),
        event("C1", "2024-03-01 10:05:00", "recovery_code_failed", event_id=402),
        event(None, "2024-03-02 10:00:00", "recovery_email_unknown", event_id=403),
    ]
    later = [
        event("C1", "2024-03-09 10:00:00", "login_failed", event_id=401),
        event("C1", "2024-03-09 11:00:00", "login_failed", event_id=403),
    ]
    write_source(source, users, first)
    run(config_for(source, incremental, timezone=ZONE))
    write_source(source, users, first + later)
    run(config_for(source, incremental, timezone=ZONE))
    run(config_for(source, full, timezone=ZONE), full=True)
    assert dump(incremental) == dump(full)
    attempts = Warehouse(incremental).recovery_attempts(Filters(date(2024, 3, 1), date(2024, 3, 31), "month"))
    assert attempts[["attempt_id", "outcome"]].values.tolist() == [["402", "failed"]]


def test_rewording_the_duplicate_reason_keeps_reconciling_an_id_quarantined_earlier(sqlite_url, monkeypatch):
    # Id 501 is on two January rows of the first batch and quarantined. A March row reusing it arrives
    # after the reason's text was reworded, and the incremental load reads it without the January rows:
    # it finds them quarantined by the reason's code, so it quarantines the March row too, as a full
    # load would, whatever the text says.
    source, incremental = sqlite_url("source"), sqlite_url("incremental")
    users = [web_user("D1", portal_access="Y", created_at="2024-02-01 09:00:00")]
    first = [
        event("D1", "2024-01-10 08:00:00", "login_failed", event_id=501),
        event("D1", "2024-01-10 08:05:00", "login_failed", event_id=501),
        event("D1", "2024-03-04 09:00:00", "account_locked", event_id=502),
    ]
    later = [event("D1", "2024-03-08 08:00:00", "login_failed", event_id=501)]
    write_source(source, users, first)
    run(config_for(source, incremental, timezone=ZONE))
    monkeypatch.setattr(QuarantineReason.DUPLICATE_EVENT_ID, "text", "event_id reused by another activity row")
    write_source(source, users, first + later)
    assert run(config_for(source, incremental, timezone=ZONE)).mode == "incremental"
    tables = dump(incremental)
    assert [row[0] for row in tables["events"]] == ["502"]
    duplicates = [row for row in tables["quarantine"] if row[2] == "501"]
    assert {row[5] for row in duplicates} == {QuarantineReason.DUPLICATE_EVENT_ID.value}
    assert {json.loads(row[4])["occurred_at"] for row in duplicates} == {
        "2024-01-10 08:00:00",
        "2024-01-10 08:05:00",
        "2024-03-08 08:00:00",
    }


# --------------------------------------------------------------------------- atomicity

LATER_EVENTS = [
    event("A4", "2024-02-17 08:00:00", "account_locked", event_id=20, actor="system"),
    event("A1", "2024-02-17 09:00:00", "recovery_requested", event_id=21),
    event("A1", "2024-02-17 09:04:00", "password_reset", event_id=22),
]
# A3 gets portal access and moves segment: accounts and every event aggregate would change
LATER_WEB_USERS = [
    {**user, "portal_access": "Y", "segment": "residential"} if user["account_number"] == "A3" else user
    for user in WEB_USERS
]


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_a_run_failing_inside_the_load_leaves_the_previous_load_served(database_url, sqlite_url, monkeypatch, full):
    source, warehouse = sqlite_url("source"), database_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    tables, served = dump(warehouse), figures(warehouse)
    write_source(source, LATER_WEB_USERS, EVENTS + LATER_EVENTS)

    def fail_after_events_are_written(connection, *_):
        loaded = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
        assert loaded == len(EVENTS) + len(LATER_EVENTS)  # the new events are in, uncommitted
        raise RuntimeError("killed mid-load")

    # the last step of either load's transaction, after every table is written
    monkeypatch.setattr(etl.pipeline, "_record_run", fail_after_events_are_written)
    with pytest.raises(RuntimeError, match="killed mid-load"):
        run(config, full=full)

    assert dump(warehouse) == tables
    assert figures(warehouse) == served


def test_a_run_after_a_failed_one_loads_the_changes(database_url, sqlite_url, monkeypatch):
    source, warehouse = sqlite_url("source"), database_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    write_source(source, LATER_WEB_USERS, EVENTS + LATER_EVENTS)
    with monkeypatch.context() as patch:
        patch.setattr(etl.pipeline, "refresh_aggregates", lambda *args: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            run(config)

    run(config)
    # week 2 gains A4's lockout of 02-17 and A1's succeeded attempt; A3 is now residential
    assert rows(Warehouse(warehouse).lockouts(WEEKS)) == [(WEEK_1, 1, 1), (WEEK_2, 4, 2)]
    assert rows(Warehouse(warehouse).recovery(WEEKS), "period_start", "attempts", "succeeded") == [
        (WEEK_1, 3, 1),
        (WEEK_2, 3, 1),
    ]
    fresh = database_url("fresh")
    run(config_for(source, fresh, timezone=ZONE), full=True)
    assert dump(warehouse) == dump(fresh)


def failed_runs(url: str) -> list[dict]:
    """The failed runs the warehouse recorded, oldest first, read through a fresh engine."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM failed_runs ORDER BY failure_id")).mappings()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def fail_while_counting(*_args) -> None:
    raise RuntimeError("the disk went away\nand a second line nobody needs")


def test_a_failed_run_is_recorded_with_when_it_failed_and_its_one_line_reason(database_url, sqlite_url, monkeypatch):
    source, warehouse = sqlite_url("source"), database_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    write_source(source, LATER_WEB_USERS, EVENTS + LATER_EVENTS)
    monkeypatch.setattr(etl.pipeline, "refresh_aggregates", fail_while_counting)
    before = datetime.now(UTC).replace(tzinfo=None)
    with pytest.raises(RuntimeError, match="the disk went away"):
        run(config)
    after = datetime.now(UTC).replace(tzinfo=None)
    (failed,) = failed_runs(warehouse)
    assert failed["reason"] == "RuntimeError: the disk went away"
    assert before <= pd.Timestamp(failed["started_at"]) <= pd.Timestamp(failed["failed_at"]) <= after
    assert failed["served_run_id"] == 1


def test_a_failed_run_changes_neither_the_last_load_nor_its_token(database_url, sqlite_url, monkeypatch):
    source, warehouse = sqlite_url("source"), database_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    served = Warehouse(warehouse)
    token, loaded_at = served.load_token(), served.load_state().loaded_at
    write_source(source, LATER_WEB_USERS, EVENTS + LATER_EVENTS)
    monkeypatch.setattr(etl.pipeline, "refresh_aggregates", fail_while_counting)
    with pytest.raises(RuntimeError):
        run(config)
    assert (served.load_token(), served.load_state().loaded_at) == (token, loaded_at)
    assert served.load_state().failure == "RuntimeError: the disk went away"


def test_a_run_that_cannot_read_its_source_is_recorded_as_failed(sqlite_url, tmp_path):
    warehouse = sqlite_url("warehouse")
    missing = f"sqlite:///{tmp_path / 'moved.sqlite'}"
    with pytest.raises(etl.extract.SourceError) as refused:
        run(config_for(missing, warehouse, timezone=ZONE))
    state = Warehouse(warehouse).load_state()
    assert (state.loaded_at, state.failure) == (None, str(refused.value))
    assert "moved.sqlite" in state.failure


def test_a_successful_run_after_a_failed_one_ends_the_failure_warning(sqlite_url, monkeypatch):
    source, warehouse = sqlite_url("source"), sqlite_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    config = config_for(source, warehouse, timezone=ZONE)
    run(config)
    write_source(source, LATER_WEB_USERS, EVENTS + LATER_EVENTS)
    with monkeypatch.context() as patch:
        patch.setattr(etl.pipeline, "refresh_aggregates", fail_while_counting)
        with pytest.raises(RuntimeError):
            run(config)
    assert Warehouse(warehouse).load_state().failed_at is not None
    run(config)
    assert Warehouse(warehouse).load_state().failed_at is None
    assert len(failed_runs(warehouse)) == 1  # kept: the record of what happened


def test_a_load_records_its_times_in_utc_whatever_the_machine_s_zone(sqlite_url, machine_zone):
    machine_zone("America/Chicago")
    source, warehouse = sqlite_url("source"), sqlite_url("warehouse")
    write_source(source, WEB_USERS, EVENTS)
    before = datetime.now(UTC).replace(tzinfo=None)
    run(config_for(source, warehouse, timezone=ZONE))
    loaded_at = Warehouse(warehouse).load_state().loaded_at
    assert before <= loaded_at <= datetime.now(UTC).replace(tzinfo=None)


KILL_EVENTS = 80_000  # enough for the load transaction to take a second or two


def _append_many_events(source_path: Path, count: int) -> None:
    """Events on Sat 02-17 and Sun 02-18, after everything already loaded: half of them lockouts."""
    with sqlite3.connect(source_path) as connection:
        connection.execute(
            f"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count} - 1)
            INSERT INTO activity_log (event_id, account_number, occurred_at, event_type, actor, channel, detail)
            SELECT 100000 + i, 'A' || (1 + i % 4), datetime('2024-02-17 00:00:00', '+' || (i % 172800) || ' seconds'),
                   CASE i % 2 WHEN 0 THEN 'account_locked' ELSE 'login_failed' END, 'customer', 'web', NULL
            FROM n
            """
        )
    connection.close()


def _holds_write_lock(path: Path) -> bool:
    """Whether another connection is inside a write transaction on the SQLite file."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" in str(error):
            return True
        raise
    finally:
        probe.close()


def _last_run_id(path: Path) -> int | None:
    """The newest load a reader of the SQLite warehouse sees (a write transaction still open is not seen)."""
    reader = sqlite3.connect(path, timeout=5)
    try:
        return reader.execute("SELECT max(run_id) FROM etl_runs").fetchone()[0]
    finally:
        reader.close()


def _cli_env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"PORTAL_CONFIG", "PORTAL_SOURCE_URL", "PORTAL_WAREHOUSE_URL"}
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return env


def test_a_killed_load_process_leaves_the_previous_load_served(tmp_path):
    source_path, warehouse_path = tmp_path / "source.sqlite", tmp_path / "warehouse.sqlite"
    source, warehouse = f"sqlite:///{source_path}", f"sqlite:///{warehouse_path}"
    write_source(source, WEB_USERS, EVENTS)
    run(config_for(source, warehouse, timezone=ZONE))
    tables, served = dump(warehouse), figures(warehouse)
    warehouse_engine.cache_clear()

    write_source(source, LATER_WEB_USERS, EVENTS)
    _append_many_events(source_path, KILL_EVENTS)
    config = tmp_path / "portal.toml"
    config.write_text(f'timezone = "{ZONE}"\n[source]\nurl = "{source}"\n[warehouse]\nurl = "{warehouse}"\n')
    command = [sys.executable, "-m", "etl", "run", "--config", str(config)]
    last_run = _last_run_id(warehouse_path)
    load = subprocess.Popen(command, cwd=PROJECT_ROOT, env=_cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # The warehouse already has its tables, so the only writer is the load's own transaction. Kill
        # it inside that transaction: stop the process whenever it holds the write lock, and kill it
        # only if, stopped, it still holds the lock and readers still see the last load's run, so the
        # transaction has written and cannot commit before the kill lands.
        deadline = time.monotonic() + 60
        killed = False
        while not killed and load.poll() is None and time.monotonic() < deadline:
            if not _holds_write_lock(warehouse_path):
                time.sleep(0.01)
                continue
            os.kill(load.pid, signal.SIGSTOP)
            if _holds_write_lock(warehouse_path) and _last_run_id(warehouse_path) == last_run:
                os.kill(load.pid, signal.SIGKILL)
                killed = True
            else:
                os.kill(load.pid, signal.SIGCONT)
        assert killed, "the load ended before it could be killed inside its transaction"
        assert load.wait(timeout=10) == -signal.SIGKILL
    finally:
        if load.poll() is None:
            load.kill()
        load.communicate()

    assert dump(warehouse) == tables
    assert figures(warehouse) == served
    warehouse_engine.cache_clear()

    again = subprocess.run(command, cwd=PROJECT_ROOT, env=_cli_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    # week 2 gains the new lockouts (every even-numbered event), of A1 and A3: Z9, A4, A1, A3 locked
    assert rows(Warehouse(warehouse).lockouts(WEEKS)) == [(WEEK_1, 1, 1), (WEEK_2, 3 + KILL_EVENTS // 2, 4)]


# --------------------------------------------------------------------------- late arrivals

# Written to the source after the first load, stamped hours before the newest event it loaded
# (A7's staff reset, 2024-02-16 10:00): a billing server whose log runs behind another's.
WRITTEN_LATE = [
    event("A4", "2024-02-16 06:00:00", "account_locked", event_id=40, actor="system"),
    event("A3", "2024-02-16 07:00:00", "recovery_requested", event_id=41),
    event("A3", "2024-02-16 07:03:00", "password_reset", event_id=42),
]


def test_an_incremental_run_loads_events_written_late_within_the_window_as_a_full_load_would(database_url, sqlite_url):
    source, warehouse, reference = sqlite_url("source"), database_url("warehouse"), database_url("reference")
    write_source(source, WEB_USERS, EVENTS)
    run(config_for(source, warehouse, timezone=ZONE))
    write_source(source, WEB_USERS, EVENTS + WRITTEN_LATE)
    summary = run(config_for(source, warehouse, timezone=ZONE))
    run(config_for(source, reference, timezone=ZONE), full=True)
    assert (summary.mode, summary.rows_loaded, summary.rows_unloaded) == ("incremental", 3, 0)
    assert dump(warehouse) == dump(reference)
    assert figures(warehouse) == figures(reference)


def test_events_written_later_than_the_window_are_reported_until_a_full_load(sqlite_url):
    source, warehouse = sqlite_url("source"), sqlite_url("warehouse")
    config = config_for(source, warehouse, timezone=ZONE, late_arrival_hours=1)
    write_source(source, WEB_USERS, EVENTS)
    run(config)
    write_source(source, WEB_USERS, EVENTS + WRITTEN_LATE)
    late = run(config)
    assert late.rows_unloaded == 3
    assert "3 activity rows the warehouse lacks" in late.line()
    assert "python -m etl run --full" in late.line()
    assert Warehouse(warehouse).load_summary()["last_run"]["rows_unloaded"] == 3
    assert run(config, full=True).rows_unloaded == 0
    assert run(config).rows_unloaded == 0


def test_the_warning_names_one_missing_row_in_the_singular():
    assert unloaded_warning(1).startswith("the source holds 1 activity row the warehouse lacks")
    assert unloaded_warning(1_200).startswith("the source holds 1,200 activity rows the")


def test_an_incremental_run_drops_the_tables_a_failed_full_load_left_beside(sqlite_url, make_source):
    warehouse = sqlite_url("warehouse")
    config = config_for(make_source(WEB_USERS, EVENTS), warehouse, timezone=ZONE)
    run(config)
    with warehouse_engine(warehouse).begin() as connection:
        connection.execute(text("CREATE TABLE events__next (event_id TEXT)"))
    run(config)
    with warehouse_engine(warehouse).connect() as connection:
        names = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert "events__next" not in names
