"""Alerts: what the rules found, each change of state, each delivery, each evaluation.

The tables start empty and no load is asked for: the next `etl run` (or `python -m dashboard alerts
check`) evaluates the rules on the periods it completed.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("rule_key", sa.String(300), nullable=False),
        sa.Column("series", sa.String(64), nullable=False),
        sa.Column("grain", sa.String(8), nullable=False),
        sa.Column("segment", sa.String(128)),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("last_period_start", sa.Date, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("usual", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("close_reason", sa.Text),
        sa.UniqueConstraint("rule_key", "period_start", name="uq_alerts_rule_period"),
    )
    op.create_index("ix_alerts_state", "alerts", ["state", "rule_key"])
    op.create_table(
        "alert_history",
        sa.Column("entry_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.alert_id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("usual", sa.Float),
        sa.Column("low", sa.Float),
        sa.Column("high", sa.Float),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_alert_history_alert", "alert_history", ["alert_id", "entry_id"])
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.alert_id"), primary_key=True),
        sa.Column("change", sa.String(16), primary_key=True),
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("last_try_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "alert_checks",
        sa.Column("check_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("complete_through", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened", sa.Integer, nullable=False),
        sa.Column("closed", sa.Integer, nullable=False),
        sa.Column("deliveries_failed", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
    )
