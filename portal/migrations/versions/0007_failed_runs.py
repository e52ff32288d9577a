"""Failed runs are recorded; load times are UTC.

`failed_runs` holds each run that failed: when it started and failed, its one-line reason, and the
load served when it failed, so every page can say the last run failed. It is a table of its own
because the newest `etl_runs` row is the load every kept page and daily table is keyed by: a failed
run must not look like a load.

`etl_runs.started_at` and `finished_at` were written on the local clock of the machine that ran the
load, with no zone; they are UTC now, like every instant the warehouse keeps. The runs recorded so
far are moved from the local clock of the machine running this migration: the one that ran the
loads, where the ETL and the dashboard run on one machine (on a machine whose clock is UTC nothing
changes).

Revision ID: 0007
Revises: 0006
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

runs = sa.table(
    "etl_runs",
    sa.column("run_id", sa.Integer),
    sa.column("started_at", sa.DateTime),
    sa.column("finished_at", sa.DateTime),
)


def upgrade() -> None:
    op.create_table(
        "failed_runs",
        sa.Column("failure_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("served_run_id", sa.Integer),
    )
    connection = op.get_bind()
    for run_id, started_at, finished_at in connection.execute(sa.select(runs)).all():
        moved = {"started_at": _utc(started_at), "finished_at": _utc(finished_at)}
        if moved != {"started_at": started_at, "finished_at": finished_at}:
            connection.execute(sa.update(runs).where(runs.c.run_id == run_id).values(**moved))


def _utc(local: datetime) -> datetime:
    """A naive time on this machine's clock as naive UTC (`astimezone` reads a naive time as local)."""
    return local.astimezone(UTC).replace(tzinfo=None)
