"""Sign-in state every worker shares: wrong-password counters and server-side sessions.

`login_counters` holds the throttle's fixed-window counters (dashboard.auth.throttle) when no Redis
is configured: one row per key, its hits and when its window ends (seconds since the epoch). Its
rows are short-lived; nothing else reads them. `portal_sessions` holds each signed-in session by the
SHA-256 of its id: sign-out deletes it, and it dies `auth.absolute_hours` after sign-in.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_counters",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_counters_expires_at", "login_counters", ["expires_at"])
    op.create_table(
        "portal_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_portal_sessions_user_name", "portal_sessions", ["user_name"])
    op.create_index("ix_portal_sessions_expires_at", "portal_sessions", ["expires_at"])
