"""The warehouse tables: the normalised rows and the daily aggregates the dashboard reads.

Charts read only the `daily_*` tables, so a chart never scans raw events; account lists and
drill-downs read `accounts`, `recovery_attempts` and `daily_lockouts`, each indexed for it.

This is the schema the code reads; warehouses get it from the migrations in portal/migrations. A change
here needs a new revision there (tests/test_migrations.py compares the two).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal,
)

from portal.vocabulary import REASON_CODE_SEPARATOR, UNKNOWN_SEGMENT, QuarantineReason

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("account_number", String(64), primary_key=True),
    Column("segment", String(128), nullable=False),
    Column("portal_access", Boolean, nullable=False),
    Column("email", Text),
    Column("email_status", String(16), nullable=False),
    Column("username", Text),
    Column("username_is_email", Boolean),
    Column("created_at", DateTime, nullable=False),
    Column("enrolled_at", DateTime),
    Column("last_login_at", DateTime),
    Column("created_day", Date, nullable=False),
    Column("enrolled_day", Date),
    Column("row_hash", String(32), nullable=False),
    Index("ix_accounts_segment", "segment"),
    # The flag slices the pages open (at risk, usernames that are not emails), each in account order,
    # so a page of a hundred and the slice's count are index walks, not a sort of 200,000 rows.
    Index("ix_accounts_email_status", "email_status", "portal_access", "account_number"),
    Index("ix_accounts_username_is_email", "username_is_email", "account_number"),
)

events = Table(
    "events",
    metadata,
    Column("event_id", String(64), nullable=False),
    Column("account_number", String(64)),
    Column("occurred_at", DateTime, nullable=False),
    Column("occurred_utc", DateTime, nullable=False),
    Column("occurred_day", Date, nullable=False),
    Column("occurred_hour", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("source_event_type", Text),
    Column("actor", Text),
    Column("channel", Text),
    Column("detail", Text),
    # A unique index rather than a primary key: a full load streams events in before it knows which
    # ids repeat across batches, withdraws those, and only then builds the index (etl.bulk).
    Index("ix_events_id", "event_id", unique=True),
    # By account alone: one account's few hundred events sort in no time, and the index built from 21
    # million rows is a third smaller and faster to build than with the time beside the account.
    Index("ix_events_account", "account_number"),
    Index("ix_events_type_day", "event_type", "occurred_day"),
)

recovery_attempts = Table(
    "recovery_attempts",
    metadata,
    Column("attempt_id", String(64), primary_key=True),
    Column("account_number", String(64)),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=False),
    Column("started_day", Date, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("failure_reason", String(64)),
    Column("furthest_step", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("first_utc", DateTime, nullable=False),
    Column("last_utc", DateTime, nullable=False),
    # Leading with outcome and day too, so a per-account count of failed attempts in a range is one
    # index seek; with the account alone SQLite preferred ix_attempts_outcome and scanned every failure.
    Index("ix_attempts_account", "account_number", "outcome", "started_day"),
    Index("ix_attempts_day", "started_day"),
    Index("ix_attempts_outcome", "outcome", "started_day", "account_number"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("row_hash", String(32), primary_key=True),
    Column("source_table", String(64), nullable=False),
    Column("row_key", Text),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason_codes", Text, nullable=False),
)
"""Source rows set aside: `reason` for people, `reason_codes` (QuarantineReason codes) for matching."""

daily_accounts = Table(
    "daily_accounts",
    metadata,
    Column("day", Date, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("email_status", String(16), nullable=False),
    Column("created", Integer, nullable=False),
    Column("enrolled", Integer, nullable=False),
    Column("new_enrollments", Integer, nullable=False),
    Index("ix_daily_accounts", "segment", "day"),
)

daily_events = Table(
    "daily_events",
    metadata,
    Column("day", Date, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("events", Integer, nullable=False),
    Index("ix_daily_events", "segment", "day"),
)

daily_lockouts = Table(
    "daily_lockouts",
    metadata,
    Column("day", Date, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("account_number", String(64), nullable=False),
    Column("lockouts", Integer, nullable=False),
    Index("ix_daily_lockouts_day", "day"),
    Index("ix_daily_lockouts_account", "account_number"),
)

daily_attempts = Table(
    "daily_attempts",
    metadata,
    Column("day", Date, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("failure_reason", String(64)),
    Column("furthest_step", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Index("ix_daily_attempts", "segment", "day"),
)

daily_active_changes = Table(
    "daily_active_changes",
    metadata,
    Column("day", Date, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("change", Integer, nullable=False),
    Index("ix_daily_active_changes", "segment", "day"),
)
"""Accounts that become active portal users on a day less those that stop being: added up from the first
day, the accounts with a `login_succeeded` in the `window_days` days ending on a day (etl.aggregates.
active_changes). Days with no change have no row, so the table stays days x segments x windows small,
where logins per account and day would be as large as the login events."""

at_risk_changes = Table(
    "at_risk_changes",
    metadata,
    Column("account_number", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("change", String(16), nullable=False),
    Column("email_status_before", String(16)),
    Column("email_status", String(16), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index("ix_at_risk_changes", "change", "day", "account_number"),
    Index("ix_at_risk_changes_account", "account_number"),
)
"""The history of accounts moving into and out of being at risk (vocabulary.AT_RISK_CHANGES), one row a
move, dated by etl.at_risk: the source knows only each web user's current email, so each load records
what it sees change against the accounts the warehouse held. Not derivable from the source, so no load
replaces it (it is not one of DATA_TABLES); `email_status_before` is empty for an account first seen at
risk, `recorded_at` is the load's UTC time."""

orphan_events = Table(
    "orphan_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("account_number", String(64), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("occurred_utc", DateTime, nullable=False),
    Column("occurred_day", Date, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("channel", Text),
    Column("detail", Text),
    Index("ix_orphan_events_day", "occurred_day"),
)
"""Events whose account matches no loaded web user, found once per load instead of per page view."""

hourly_events = Table(
    "hourly_events",
    metadata,
    Column("day", Date, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("segment", String(128), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("events", Integer, nullable=False),
    Index("ix_hourly_events", "segment", "day"),
)

etl_runs = Table(
    "etl_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Column("mode", String(16), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_loaded", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column("rows_other_typed", Integer, nullable=False),
    Column("accounts_changed", Integer, nullable=False),
    Column("watermark_utc", DateTime),
    Column("rows_unloaded", Integer),
)
"""One row per successful load, committed with its data, times in UTC. Its newest row is the load every
kept page and daily table is keyed by (dashboard/data/daily_cache.py `load_token`), so a failed run
has a table of its own."""

failed_runs = Table(
    "failed_runs",
    metadata,
    Column("failure_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("failed_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("served_run_id", Integer),
)
"""Runs that failed, times in UTC, each with its one-line reason and the load served when it failed
(`etl_runs.run_id`; None before the first): the newest failed run is the last run while that load
is still the newest."""

table_rows = Table(
    "table_rows",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("rows", Integer, nullable=False),
)
"""Each data table's row count as the last load left it: counting 20 million events on every view of
the quality page took a second on SQLite."""

unmapped_event_types = Table(
    "unmapped_event_types",
    metadata,
    Column("source_event_type", Text),
    Column("events", Integer, nullable=False),
)
"""Source event types mapped to `other`, with their event counts, as the last load left them."""

rebuild_requests = Table(
    "rebuild_requests",
    metadata,
    Column("reason", Text, nullable=False),
    Column("requested_at", DateTime, nullable=False),
)
"""Why a migration wants the figures loaded again (portal/rebuild.py); empty when they are current."""

HISTORY_TABLES = (at_risk_changes,)
"""What loads add to and never replace: the history no source holds."""

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", Integer, primary_key=True, autoincrement=True),
    Column("rule_key", String(300), nullable=False),
    Column("series", String(64), nullable=False),
    Column("grain", String(8), nullable=False),
    Column("segment", String(128)),
    Column("direction", String(8), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("last_period_start", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("usual", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("state", String(16), nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("close_reason", Text),
    UniqueConstraint("rule_key", "period_start", name="uq_alerts_rule_period"),
    Index("ix_alerts_state", "state", "rule_key"),
)
"""One row per rule and period it opened for (the unique key makes a second impossible, however often
evaluation runs): the figures of that period, and `last_period_start`, the last of the periods in a row
that stayed outside. Open until a later whole period is back inside the band; times in UTC. Figures are
counts and rates only: an alert never holds a customer's email or username."""

alert_history = Table(
    "alert_history",
    metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, ForeignKey("alerts.alert_id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("change", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("value", Float),
    Column("usual", Float),
    Column("low", Float),
    Column("high", Float),
    Column("detail", Text, nullable=False),
    Column("actor", String(128)),
    Index("ix_alert_history_alert", "alert_id", "entry_id"),
)
"""Each change of an alert's state (`opened`, `still_outside`, `closed`), when, on which period's figures, and
why in words; and each acknowledgement (`acknowledged`), with the note as its detail and the user who
wrote it as `actor` (revision 0011), which the evaluation's own entries leave empty."""

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("alert_id", Integer, ForeignKey("alerts.alert_id"), primary_key=True),
    Column("change", String(16), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("last_try_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("error", Text),
)
"""One row per alert, change (`opened`, `closed`) and channel (`email`, or `webhook:` and a digest of its
URL, which often holds a secret): `sent` once delivered, so nothing is delivered twice, or `failed` with
the last error after every try (each later check tries again)."""

alert_checks = Table(
    "alert_checks",
    metadata,
    Column("check_id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("complete_through", Date),
    Column("status", String(16), nullable=False),
    Column("opened", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("deliveries_failed", Integer, nullable=False),
    Column("error", Text),
)
"""Each evaluation of the rules (`trigger`: `load` after `etl run`, `check` on demand): the last whole day
it judged, what it opened and closed, and its one-line error when it failed; times in UTC. The next
evaluation starts from the last one's `complete_through`, so every period is judged once complete."""

digests = Table(
    "digests",
    metadata,
    Column("week_start", Date, primary_key=True),
    Column("recipient", String(320), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("last_try_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("error", Text),
)
"""Each weekly digest per ISO week (its Monday) and recipient: `sent` once delivered, so a second run of the
same week sends it to nobody twice, or `failed` with the last error (the next run tries again); times in
UTC. The recipient is kept as the address: digests go to staff addresses from the config, never to
customers, and an operator asking "who missed last week's?" must be able to read the answer."""

ALERT_TABLES = (alerts, alert_history, alert_deliveries, alert_checks, digests)
"""Kept across full loads, like users and the audit log: they are a record, not figures derived again."""

DATA_TABLES = (
    accounts,
    events,
    recovery_attempts,
    quarantine,
    daily_accounts,
    daily_events,
    daily_lockouts,
    daily_attempts,
    hourly_events,
    daily_active_changes,
    orphan_events,
    table_rows,
    unmapped_event_types,
)


def account_segment(account_table: Table):
    """An account's segment in SQL, `unknown` for an event or attempt whose account is not loaded."""
    return func.coalesce(account_table.c.segment, literal(UNKNOWN_SEGMENT))


def quarantined_for(reason: QuarantineReason):
    """Quarantined rows set aside for `reason` (among others), in SQL: the whole code, never part of one."""
    separator = literal(REASON_CODE_SEPARATOR)
    codes = separator + quarantine.c.reason_codes + separator
    return codes.contains(f"{REASON_CODE_SEPARATOR}{reason.value}{REASON_CODE_SEPARATOR}", autoescape=True)
