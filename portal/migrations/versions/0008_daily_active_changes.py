"""The active portal users: `daily_active_changes`, counted by each load from the login events.

The accounts with a successful login in the 30 (or 90) days ending on a day are a count of distinct
accounts, which no daily table could give: so each load keeps the days accounts become and stop
being active (etl.aggregates.active_changes), and a view adds them up. The table starts empty; a
warehouse that holds a load gets a full load requested, which fills it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from portal import rebuild

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_active_changes",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("segment", sa.String(128), nullable=False),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("change", sa.Integer, nullable=False),
    )
    op.create_index("ix_daily_active_changes", "daily_active_changes", ["segment", "day"])
    if op.get_bind().execute(sa.text("SELECT count(*) FROM etl_runs")).scalar_one():
        rebuild.request(op.get_bind(), "the active portal users are counted from the login events")
