"""The demo source generator: deterministic, shaped like SPEC section 2, with every oddity the
ETL must survive."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import sqlalchemy as sa

from etl.demo import DEMO_TIMEZONE, PLACEHOLDER_REPLACED, DemoSummary, generate_demo
from etl.demo_load import load_demo
from portal.config import ACTIVITY_COLUMNS, WEB_USER_COLUMNS
from portal.vocabulary import CANONICAL_EVENT_TYPES, FALSE_WORDS, TRUE_WORDS
from tests.conftest import config_for

ACCOUNTS = 1_500
SEED = 11
NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
AWARE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
BOOLEAN_SPELLINGS = TRUE_WORDS | FALSE_WORDS


def rows(url: str, table: str) -> list[tuple]:
    order = "event_id" if table == "activity_log" else "1"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}")]
    finally:
        engine.dispose()


def sqlite_url(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo source of several batches: (url, summary, web_users rows, activity_log rows)."""
    url = sqlite_url(tmp_path_factory.mktemp("demo"), "source.sqlite")
    summary = generate_demo(url, ACCOUNTS, SEED, batch_accounts=600)
    return url, summary, rows(url, "web_users"), rows(url, "activity_log")


@pytest.fixture
def users(demo) -> list[dict]:
    return [dict(zip(WEB_USER_COLUMNS, r, strict=True)) for r in demo[2]]


@pytest.fixture
def events(demo) -> list[dict]:
    return [dict(zip(ACTIVITY_COLUMNS, r, strict=True)) for r in demo[3]]


def blank(value: str | None) -> bool:
    return value is None or not value.strip()


def test_same_seed_writes_identical_tables(tmp_path):
    first, second = sqlite_url(tmp_path, "a.sqlite"), sqlite_url(tmp_path, "b.sqlite")
    generate_demo(first, 400, 3, batch_accounts=150)
    generate_demo(second, 400, 3, batch_accounts=150)
    for table in ("web_users", "activity_log"):
        assert rows(first, table) == rows(second, table)


def test_different_seed_writes_different_tables(tmp_path):
    first, second = sqlite_url(tmp_path, "a.sqlite"), sqlite_url(tmp_path, "b.sqlite")
    generate_demo(first, 400, 3)
    generate_demo(second, 400, 4)
    assert rows(first, "activity_log") != rows(second, "activity_log")


def test_creates_both_tables_with_the_source_columns(demo):
    engine = sa.create_engine(demo[0])
    inspector = sa.inspect(engine)
    assert [c["name"] for c in inspector.get_columns("web_users")] == list(WEB_USER_COLUMNS)
    assert [c["name"] for c in inspector.get_columns("activity_log")] == list(ACTIVITY_COLUMNS)
    engine.dispose()


def test_rerun_replaces_the_tables(tmp_path):
    url = sqlite_url(tmp_path, "source.sqlite")
    generate_demo(url, 300, 5)
    summary = generate_demo(url, 200, 5)
    assert len(rows(url, "web_users")) == summary.accounts == 200
    assert len(rows(url, "activity_log")) == summary.events


def test_summary_counts_the_rows_written(demo):
    _, summary, user_rows, event_rows = demo
    assert summary == DemoSummary(accounts=len(user_rows), events=len(event_rows))
    assert summary.accounts == ACCOUNTS


def test_event_ids_are_unique_and_continue_across_batches(events):
    ids = [e["event_id"] for e in events]
    assert ids == list(range(1, len(ids) + 1))


def test_events_per_account_are_between_10_and_40(demo):
    _, summary, _, _ = demo
    assert 10 <= summary.events / summary.accounts <= 40


def test_account_numbers_are_a_and_seven_digits(users):
    numbers = [u["account_number"] for u in users if not blank(u["account_number"])]
    assert all(re.fullmatch(r"A\d{7}", n) for n in numbers)


def test_timestamps_are_naive_local_text(users, events):
    assert sum(bool(u["created_at"] and NAIVE.match(u["created_at"])) for u in users) > 0.99 * len(users)
    naive = [e for e in events if e["occurred_at"] and NAIVE.match(e["occurred_at"])]
    assert len(naive) > 0.99 * len(events)


def test_some_events_carry_an_explicit_utc_offset(events):
    aware = [e for e in events if e["occurred_at"] and AWARE.match(e["occurred_at"])]
    assert 0.002 * len(events) < len(aware) < 0.01 * len(events)


def test_portal_access_uses_mixed_boolean_spellings(users):
    spellings = {u["portal_access"] for u in users}
    assert len({s.lower() for s in spellings if s and s.lower() in BOOLEAN_SPELLINGS}) >= 8
    assert {"Y", "N", "true", "false"} <= spellings


def test_some_portal_access_accounts_keep_the_placeholder_email(users):
    portal = [u for u in users if (u["portal_access"] or "").lower() in TRUE_WORDS]
    at_risk = [u for u in portal if (u["email"] or "").strip().lower() == "blackhole@mhtc.net"]
    assert 0 < len(at_risk) < 0.1 * len(portal)


def test_most_accounts_without_portal_access_have_the_placeholder_email(users):
    closed = [u for u in users if (u["portal_access"] or "").lower() in FALSE_WORDS]
    placeholder = [u for u in closed if (u["email"] or "").strip().lower() == "blackhole@mhtc.net"]
    assert len(placeholder) > 0.7 * len(closed)
    assert len({u["email"] for u in placeholder}) > 1  # spelled in several ways


def test_some_usernames_are_not_emails(users):
    assert any(u["username"] and "@" not in u["username"] for u in users)


def test_unknown_email_recoveries_have_no_account(events):
    unknown = [e for e in events if e["event_type"] == "recovery_email_unknown"]
    assert unknown
    assert all(e["account_number"] is None for e in unknown)


def test_every_canonical_event_type_occurs(events):
    assert {e["event_type"] for e in events} >= CANONICAL_EVENT_TYPES


def test_some_event_types_are_unmapped_source_values(events):
    raw = {e["event_type"] for e in events} - CANONICAL_EVENT_TYPES
    assert "Customer changed password via Billing Portal" in raw
    assert "legacy_sync" in raw


def test_some_events_are_orphans(users, events):
    known = {u["account_number"] for u in users}
    assert any(e["account_number"] and e["account_number"] not in known for e in events)


def test_some_web_users_have_no_account_number(users):
    assert any(blank(u["account_number"]) for u in users)


def test_some_account_numbers_are_on_two_rows(users):
    counts = Counter(u["account_number"] for u in users if not blank(u["account_number"]))
    assert max(counts.values()) == 2


def test_some_created_at_are_missing_or_unparsable(users):
    bad = [u for u in users if not (u["created_at"] and NAIVE.match(u["created_at"]))]
    assert 0 < len(bad) < 0.01 * len(users)


def test_some_portal_access_values_are_unreadable(users):
    unreadable = [u for u in users if (u["portal_access"] or "").strip().lower() not in BOOLEAN_SPELLINGS]
    assert 0 < len(unreadable) < 0.01 * len(users)


def test_some_events_have_missing_or_unparsable_occurred_at(events):
    bad = [
        e for e in events if not (e["occurred_at"] and (NAIVE.match(e["occurred_at"]) or AWARE.match(e["occurred_at"])))
    ]
    assert 0 < len(bad) < 0.001 * len(events)


def test_lockouts_follow_failed_logins(events):
    by_account: dict[str, list[str]] = {}
    for e in events:
        if e["account_number"] and e["occurred_at"] and NAIVE.match(e["occurred_at"]):
            by_account.setdefault(e["account_number"], []).append(e["event_type"])
    lock_runs = [types[: i + 1] for types in by_account.values() for i, t in enumerate(types) if t == "account_locked"]
    assert lock_runs
    assert all(run[-2] == "login_failed" for run in lock_runs if len(run) >= 2)


@pytest.mark.postgres
def test_writes_the_same_rows_to_postgresql_as_to_sqlite(new_postgres_database, tmp_path):
    postgres_url, sqlite = new_postgres_database(), sqlite_url(tmp_path, "source.sqlite")
    summary = generate_demo(postgres_url, 400, 8, batch_accounts=150)
    generate_demo(sqlite, 400, 8, batch_accounts=150)
    assert summary.events == len(rows(postgres_url, "activity_log"))
    for table in ("web_users", "activity_log"):
        assert sorted(rows(postgres_url, table), key=repr) == sorted(rows(sqlite, table), key=repr)


def test_rejects_more_accounts_than_account_numbers(tmp_path):
    with pytest.raises(ValueError):
        generate_demo(sqlite_url(tmp_path, "x.sqlite"), 9_000_000, 1)


def fixes(events: list[dict]) -> list[dict]:
    return [e for e in events if e["detail"] == PLACEHOLDER_REPLACED]


def test_the_office_replaces_some_placeholders_of_accounts_with_portal_access_over_weeks(users, events):
    fixed = fixes(events)
    assert fixed and {(e["event_type"], e["actor"]) for e in fixed} == {("email_changed", "staff")}
    weeks = {e["occurred_at"][:10] for e in fixed}
    assert min(weeks) >= "2026-08-08" and len(weeks) > 5  # spread over the last 12 weeks of the history
    emails = {u["account_number"]: u["email"] for u in users}
    assert all(emails[e["account_number"]].strip().lower() != "blackhole@mhtc.net" for e in fixed)


def test_the_demo_load_sees_the_fixes_happen_and_leaves_the_source_as_written(demo, tmp_path):
    url, _summary, web_rows, log_rows = demo
    warehouse = sqlite_url(tmp_path, "warehouse.sqlite")
    modes = [summary.mode for summary in load_demo(config_for(url, warehouse, timezone=DEMO_TIMEZONE))]
    assert modes == ["full", "incremental"]
    assert (rows(url, "web_users"), rows(url, "activity_log")) == (web_rows, log_rows)
    engine = sa.create_engine(warehouse)
    with engine.connect() as connection:
        fixed = connection.exec_driver_sql("SELECT account_number, day FROM at_risk_changes WHERE change = 'fixed'")
        recorded = sorted((number, str(day)) for number, day in fixed)
    engine.dispose()
    events = [dict(zip(ACTIVITY_COLUMNS, r, strict=True)) for r in log_rows]
    expected = {(e["account_number"], e["occurred_at"][:10]) for e in fixes(events)}
    assert recorded and set(recorded) <= expected  # dated by their email_changed events
