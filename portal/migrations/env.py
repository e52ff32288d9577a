"""Alembic's entry point: run the revisions on the connection `portal.migrate` passes in.

The caller holds the transaction (and the lock that keeps two processes from migrating at once), so
a migration that fails half-way leaves the warehouse as it was.
"""

from alembic import context

context.configure(connection=context.config.attributes["connection"], transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
