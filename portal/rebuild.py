"""Rebuild requests: a migration that changes a derived table asks for the figures to be loaded again.

A migration cannot rebuild figures itself (it has no source), and emptying them would leave the
pages blank until the next load. So it records why in `rebuild_requests`; the next `etl run` does a
full load, which rewrites every data table in one transaction and deletes the requests in that same
transaction. Until it commits, readers see the last load's figures, and the pages say a rebuild is
running.

The table is named here, not taken from `portal.schema`, because migrations call `request` and must not
depend on the newest schema.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, column, delete, insert, select, table

requests = table("rebuild_requests", column("reason"), column("requested_at"))


def request(connection: Connection, reason: str) -> None:
    """Ask the next `etl run` for a full load, in the caller's transaction (a migration's `op.get_bind()`)."""
    connection.execute(insert(requests).values(reason=reason, requested_at=datetime.now(UTC).replace(tzinfo=None)))


def pending(connection: Connection) -> list[str]:
    """Why the figures must be rebuilt, oldest request first; empty when they are current."""
    return list(connection.execute(select(requests.c.reason).order_by(requests.c.requested_at)).scalars())


def clear(connection: Connection) -> None:
    """Drop every request, in the full load's own transaction: that load is the rebuild they asked for."""
    connection.execute(delete(requests))
