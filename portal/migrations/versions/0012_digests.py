"""Weekly digests: one row per ISO week and recipient, sent or failed, so each is sent once.

The table starts empty and no load is asked for: the next `python -m dashboard digest send` fills it.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("week_start", sa.Date, primary_key=True),
        sa.Column("recipient", sa.String(320), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("last_try_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("error", sa.Text),
    )
