"""Alembic's `alembic_version` is the warehouse's version now; `rebuild_requests` asks for a full load.

A later revision that changes what a derived table holds records why in `rebuild_requests`; the
next `etl run` then loads everything again in one transaction and deletes the requests in it, and
until it commits the pages keep the last load's figures and say a rebuild is running.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("schema_version")
    op.create_table(
        "rebuild_requests",
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
    )
