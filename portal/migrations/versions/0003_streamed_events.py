"""Events keyed by a unique index instead of a primary key; loads record the source rows they lack.

A full load now streams events in before it knows which ids repeat across batches, so the events
table takes a unique index built after the load (a primary key cannot be added to an SQLite table
afterwards). The table is rebuilt in place, rows kept. `ix_events_utc` was read by nothing, and
`ix_events_account` drops the time (an account's events sort in memory at no cost). Each
run records how many source activity rows are neither loaded nor quarantined (`rows_unloaded`).

Quarantined activity rows are now recorded with every value as the text the source holds, so a
full load is requested: incremental runs would otherwise record those rows a second time.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from portal import rebuild

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

EVENT_COLUMNS = (
    "event_id, account_number, occurred_at, occurred_utc, occurred_day, occurred_hour, event_type, "
    "source_event_type, actor, channel, detail"
)


def upgrade() -> None:
    op.drop_index("ix_events_utc", table_name="events")
    op.drop_index("ix_events_account", table_name="events")
    op.drop_index("ix_events_type_day", table_name="events")
    op.rename_table("events", "events__old")
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(64), nullable=False),
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
    op.execute(f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM events__old")
    op.drop_table("events__old")
    op.create_index("ix_events_id", "events", ["event_id"], unique=True)
    op.create_index("ix_events_account", "events", ["account_number"])
    op.create_index("ix_events_type_day", "events", ["event_type", "occurred_day"])
    op.add_column("etl_runs", sa.Column("rows_unloaded", sa.Integer))
    if op.get_bind().execute(sa.text("SELECT count(*) FROM etl_runs")).scalar_one():
        rebuild.request(op.get_bind(), "quarantined activity rows are now recorded as the source's text")
