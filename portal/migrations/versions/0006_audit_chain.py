"""Audit entries carry a hash chain; on SQLite an insert over an existing entry is refused.

Each entry gets `prev_hash` (the hash of the entry before it) and `entry_hash` (portal.auditchain),
so a rewritten, removed or inserted entry is found by `python -m dashboard audit verify`. Entries
already written get theirs here, in id order, as if they had been chained when written: the
update trigger is set aside for that and put back in the same transaction.

SQLite's `INSERT OR REPLACE` (and `REPLACE INTO`) deletes the row it replaces without firing the
delete trigger, so a new trigger refuses any insert whose `entry_id` is taken.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from portal import auditchain

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 10_000
SQLITE_UPDATE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)
SQLITE_NO_REPLACE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_replace BEFORE INSERT ON audit_log "
    "WHEN EXISTS (SELECT 1 FROM audit_log WHERE entry_id = NEW.entry_id) "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
)

audit_log = sa.table(
    "audit_log",
    sa.column("entry_id", sa.Integer),
    sa.column("at_utc", sa.DateTime),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("target", sa.Text),
    sa.column("detail", sa.Text),
    sa.column("rows", sa.Integer),
    sa.column("remote_addr", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(64)))
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(64)))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        _chain_existing_entries()
        op.execute(SQLITE_UPDATE_TRIGGER)
        op.execute(SQLITE_NO_REPLACE)
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        _chain_existing_entries()
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")
    else:
        raise NotImplementedError(f"no append-only triggers for the audit log on {dialect}")


def _chain_existing_entries() -> None:
    """Give every entry its hashes, oldest first, a batch at a time."""
    connection = op.get_bind()
    columns = [audit_log.c[name] for name in auditchain.CONTENT_COLUMNS]
    chain = (
        sa.update(audit_log)
        .where(audit_log.c.entry_id == sa.bindparam("id"))
        .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("hash"))
    )
    prev_hash, after = auditchain.GENESIS, None
    while True:
        statement = sa.select(*columns).order_by(audit_log.c.entry_id).limit(BATCH)
        if after is not None:
            statement = statement.where(audit_log.c.entry_id > after)
        rows = connection.execute(statement).all()
        if not rows:
            return
        hashes = []
        for row in rows:
            entry_hash = auditchain.row_hash(prev_hash, row)
            hashes.append({"id": row.entry_id, "prev": prev_hash, "hash": entry_hash})
            prev_hash = entry_hash
        connection.execute(chain, hashes)
        after = rows[-1].entry_id
