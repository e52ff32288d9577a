"""The warehouse's Alembic migrations: `env.py` and one file per revision in `versions/`.

They run only through `portal.migrate.upgrade`, which hands `env.py` an open connection in
`config.attributes["connection"]`; there is no alembic.ini. A revision spells out its own tables
(`op.create_table`, `op.add_column`, ...) and never imports `portal.schema` or `auth_metadata`: those
describe the newest schema, and a revision must keep doing exactly what it did when it was written.
A revision that changes what a derived table holds calls `portal.rebuild.request(op.get_bind(), why)`,
so the next `etl run` rebuilds the figures. There are no downgrades: a warehouse is only ever moved
forward, and one made by newer code is refused.
"""
