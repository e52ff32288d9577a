"""The at-risk history: `at_risk_changes`, the days accounts became at risk and were fixed.

The source holds only each web user's current email, so when a placeholder email was replaced can be
known only by loads that saw it change; each load now records those moves (etl.at_risk). The table is
history, not a figure a load can derive again, so no rebuild is asked for. A warehouse that holds a load
starts it as a first load would have: each account at risk now became at risk on the day it got portal
access (`enrolled_day`, which is `coalesce(enrolled_at, created_at)`'s day for an account with access).

Revision ID: 0009
Revises: 0008
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

accounts = sa.table(
    "accounts",
    sa.column("account_number", sa.String),
    sa.column("email_status", sa.String),
    sa.column("portal_access", sa.Boolean),
    sa.column("enrolled_day", sa.Date),
)


def upgrade() -> None:
    changes = op.create_table(
        "at_risk_changes",
        sa.Column("account_number", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("email_status_before", sa.String(16)),
        sa.Column("email_status", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_at_risk_changes", "at_risk_changes", ["change", "day", "account_number"])
    op.create_index("ix_at_risk_changes_account", "at_risk_changes", ["account_number"])
    now = sa.literal(datetime.now(UTC).replace(tzinfo=None), sa.DateTime)
    at_risk = sa.select(
        accounts.c.account_number,
        accounts.c.enrolled_day,
        sa.literal("became_at_risk", sa.String),
        accounts.c.email_status,
        now,
    ).where(accounts.c.email_status == "placeholder", accounts.c.portal_access.is_(True))
    op.get_bind().execute(
        sa.insert(changes).from_select(["account_number", "day", "change", "email_status", "recorded_at"], at_risk)
    )
