"""The warehouse as the last version before Alembic made it (its `schema_version` row reads 4).

Such a warehouse is stamped at this revision instead of running it, so this must create exactly what
that code created: the figure tables of etl/schema.py, `schema_version`, and the users and audit log
of dashboard/auth/store.py with the audit log's append-only triggers.

The users and the audit log are created only if missing: a warehouse of an older schema keeps them
(their shape has not changed since they were added) while `etl run --full` drops its figures and
runs this revision again.

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = {
    "sqlite": (
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ),
}
"""The triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) of audit entries."""


def upgrade() -> None:
    _figures()
    _users_and_audit_log()


def _figures() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_number", sa.String(64), primary_key=True),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("portal_access", sa.Boolean, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("email_status", sa.String(16), nullable=False),
        sa.Column("username", sa.Text),
        sa.Column("username_is_email", sa.Boolean),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("enrolled_at", sa.DateTime),
        sa.Column("last_login_at", sa.DateTime),
        sa.Column("created_day", sa.Date, nullable=False),
        sa.Column("enrolled_day", sa.Date),
        sa.Column("row_hash", sa.String(32), nullable=False),
    )
    op.create_index("ix_accounts_segment", "accounts", ["segment"])
    op.create_index("ix_accounts_email_status", "accounts", ["email_status", "portal_access", "account_number"])
    op.create_index("ix_accounts_username_is_email", "accounts", ["username_is_email", "account_number"])

    op.create_table(
        "events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("account_number", sa.String(64)),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("occurred_utc", sa.DateTime, nullable=False),
        sa.Column("occurred_day", sa.Date, nullable=False),
        sa.Column("occurred_hour", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("source_event_type", sa.Text),
        sa.Column("actor", sa.Text),
        sa.Column("channel", sa.Text),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_events_account", "events", ["account_number", "occurred_utc"])
    op.create_index("ix_events_utc", "events", ["occurred_utc"])
    op.create_index("ix_events_type_day", "events", ["event_type", "occurred_day"])

    op.create_table(
        "recovery_attempts",
        sa.Column("attempt_id", sa.String(64), primary_key=True),
        sa.Column("account_number", sa.String(64)),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=False),
        sa.Column("started_day", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.String(64)),
        sa.Column("furthest_step", sa.Integer, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("first_utc", sa.DateTime, nullable=False),
        sa.Column("last_utc", sa.DateTime, nullable=False),
    )
    op.create_index("ix_attempts_account", "recovery_attempts", ["account_number", "outcome", "started_day"])
    op.create_index("ix_attempts_day", "recovery_attempts", ["started_day"])
    op.create_index("ix_attempts_outcome", "recovery_attempts", ["outcome", "started_day", "account_number"])

    op.create_table(
        "quarantine",
        sa.Column("row_hash", sa.String(32), primary_key=True),
        sa.Column("source_table", sa.String(64), nullable=False),
        sa.Column("row_key", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
    )

    op.create_table(
        "daily_accounts",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("email_status", sa.String(16), nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("enrolled", sa.Integer, nullable=False),
        sa.Column("new_enrollments", sa.Integer, nullable=False),
    )
    op.create_index("ix_daily_accounts", "daily_accounts", ["segment", "day"])

    op.create_table(
        "daily_events",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_index("ix_daily_events", "daily_events", ["segment", "day"])

    op.create_table(
        "daily_lockouts",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("account_number", sa.String(64), nullable=False),
        sa.Column("lockouts", sa.Integer, nullable=False),
    )
    op.create_index("ix_daily_lockouts_day", "daily_lockouts", ["day"])
    op.create_index("ix_daily_lockouts_account", "daily_lockouts", ["account_number"])

    op.create_table(
        "daily_attempts",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("failure_reason", sa.String(64)),
        sa.Column("furthest_step", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_daily_attempts", "daily_attempts", ["segment", "day"])

    op.create_table(
        "orphan_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("account_number", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("occurred_utc", sa.DateTime, nullable=False),
        sa.Column("occurred_day", sa.Date, nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("channel", sa.Text),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_orphan_events_day", "orphan_events", ["occurred_day"])

    op.create_table(
        "hourly_events",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
    )
    op.create_index("ix_hourly_events", "hourly_events", ["segment", "day"])

    op.create_table(
        "etl_runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_quarantined", sa.Integer, nullable=False),
        sa.Column("rows_other_typed", sa.Integer, nullable=False),
        sa.Column("accounts_changed", sa.Integer, nullable=False),
        sa.Column("watermark_utc", sa.DateTime),
    )

    op.create_table(
        "table_rows",
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
    )

    op.create_table(
        "unmapped_event_types",
        sa.Column("source_event_type", sa.Text),
        sa.Column("events", sa.Integer, nullable=False),
    )

    schema_version = op.create_table("schema_version", sa.Column("version", sa.Integer, nullable=False))
    op.bulk_insert(schema_version, [{"version": 4}])


def _users_and_audit_log() -> None:
    op.create_table(
        "portal_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("roles", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("last_failed_at", sa.DateTime),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("session_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        if_not_exists=True,
    )
    op.create_table(
        "audit_log",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at_utc", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text),
        sa.Column("detail", sa.Text),
        sa.Column("rows", sa.Integer),
        sa.Column("remote_addr", sa.String(64)),
        if_not_exists=True,
    )
    for column in ("at_utc", "actor", "action"):
        op.create_index(f"ix_audit_log_{column}", "audit_log", [column], if_not_exists=True)
    dialect = op.get_bind().dialect.name
    if dialect not in APPEND_ONLY:
        raise NotImplementedError(f"no append-only triggers for the audit log on {dialect}")
    for statement in APPEND_ONLY[dialect]:
        op.execute(statement)
