"""A PostgreSQL audit log the app's own database user cannot rewrite: a separate owner.

The triggers that keep the audit log append-only can be dropped, and its rows changed, by the
table's owner, which is the role that created it: the app's. With `auth.audit_owner` set, the
operator makes another role own `audit_log` (its id sequence and the trigger function too) and
the app's role keeps INSERT and SELECT on it and USAGE on the sequence, nothing else, so the app,
or anyone who takes over its database login, can add entries and read them but not change, delete,
truncate or drop them, nor set the triggers aside.

`protect` does that, once, connected as a role allowed to (a superuser). If the app's role owns the
schema the log lives in, it could still drop the table: the schema goes to the audit owner too,
with USAGE and CREATE granted back to the app, which keeps owning every other table.

`problem` is what the dashboard checks at start when `auth.audit_owner` is set: it refuses to serve
a log that is not protected as configured rather than let the setting give false comfort.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from portal.engine import WarehouseError
from portal.migrate import head

APP_PRIVILEGES = ("SELECT", "INSERT")
FORBIDDEN_PRIVILEGES = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
PROTECT_COMMAND = "python -m dashboard audit protect --warehouse <a superuser's URL>"


def _facts(connection: Connection) -> dict:
    row = connection.execute(
        text(
            "SELECT pg_get_userbyid(c.relowner) AS table_owner, n.nspname AS schema, "
            "pg_get_userbyid(n.nspowner) AS schema_owner, current_user AS me, "
            "pg_get_serial_sequence('audit_log', 'entry_id') AS sequence "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'audit_log'::regclass"
        )
    ).one()
    return row._asdict()


def _role_exists(connection: Connection, role: str) -> bool:
    return connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is not None


def _is_superuser(connection: Connection, role: str) -> bool:
    return bool(
        connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).scalar()
    )


def protect(engine: Engine, owner: str, app: str | None = None) -> list[str]:
    """Make `owner` own the audit log and leave `app` (default: its owner now) INSERT and SELECT only.

    One transaction; run as a superuser (or a role that is a member of both). Returns one line per
    change made. Running it again changes nothing and says the same.
    """
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name != "postgresql":
        raise WarehouseError(f"warehouse {url}: a separate audit log owner needs a PostgreSQL warehouse")
    with engine.begin() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if version != head():
            raise WarehouseError(
                f"warehouse {url} is at revision {version}, not {head()}: migrate it first as the app's role "
                "(`python -m etl migrate`)"
            )
        facts = _facts(connection)
        app = app or facts["table_owner"]
        if not _role_exists(connection, owner):
            raise WarehouseError(f"role {owner!r} does not exist: CREATE ROLE {owner} NOLOGIN first")
        if not _role_exists(connection, app):
            raise WarehouseError(f"the app's role {app!r} does not exist")
        if app == owner:
            raise WarehouseError(
                f"audit_log is owned by {owner!r} already: name the app's role with --app to grant it again"
            )
        if _is_superuser(connection, app):
            raise WarehouseError(
                f"the app's role {app!r} is a superuser, which no owner can stop: give it a plain role"
            )
        quote = connection.dialect.identifier_preparer.quote
        o, a, schema = quote(owner), quote(app), quote(facts["schema"])
        done = []
        statements = [
            (f"ALTER TABLE audit_log OWNER TO {o}", f"audit_log (and its id sequence) owned by {owner}"),
            (f"ALTER FUNCTION audit_log_append_only() OWNER TO {o}", f"its trigger function owned by {owner}"),
            ("REVOKE ALL ON audit_log FROM PUBLIC", None),
            (f"REVOKE ALL ON audit_log FROM {a}", None),
            (f"GRANT SELECT, INSERT ON audit_log TO {a}", f"{app} may only SELECT and INSERT audit entries"),
            (f"REVOKE ALL ON SEQUENCE {facts['sequence']} FROM {a}", None),
            (f"GRANT USAGE ON SEQUENCE {facts['sequence']} TO {a}", f"{app} may take entry ids from the sequence"),
        ]
        app_owns_schema = connection.execute(
            text("SELECT pg_has_role(:app, :schema_owner, 'MEMBER')"),
            {"app": app, "schema_owner": facts["schema_owner"]},
        ).scalar()
        if app_owns_schema:
            statements += [
                (f"ALTER SCHEMA {schema} OWNER TO {o}", f"schema {facts['schema']} owned by {owner}"),
                (f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {a}", f"{app} may still create its tables there"),
            ]
        for statement, line in statements:
            connection.execute(text(statement))
            if line:
                done.append(line)
    return done


def problem(engine: Engine, owner: str | None) -> str | None:
    """Why the audit log is not protected as `auth.audit_owner` says, in one line; None when it is (or unset)."""
    if not owner:
        return None
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name != "postgresql":
        return f"auth.audit_owner is set, but warehouse {url} is not PostgreSQL: a separate owner needs PostgreSQL"
    with engine.connect() as connection:
        facts = _facts(connection)
        me = facts["me"]
        if me == owner or _is_superuser(connection, me):
            return f"the app signs in to the warehouse as {me!r}, which can rewrite the audit log: use the app's role"
        if facts["table_owner"] != owner:
            return (
                f"audit_log is owned by {facts['table_owner']!r}, not auth.audit_owner {owner!r}: "
                f"run `{PROTECT_COMMAND}` once"
            )
        for privilege in FORBIDDEN_PRIVILEGES:
            allowed = connection.execute(
                text("SELECT has_table_privilege(current_user, 'audit_log', :privilege)"), {"privilege": privilege}
            ).scalar()
            if allowed:
                return f"{me} may {privilege} the audit log: run `{PROTECT_COMMAND}` again"
        owns_schema = connection.execute(
            text("SELECT pg_has_role(current_user, :schema_owner, 'MEMBER')"),
            {"schema_owner": facts["schema_owner"]},
        ).scalar()
        if owns_schema:
            return f"{me} owns schema {facts['schema']} and could drop the audit log: run `{PROTECT_COMMAND}` again"
    return None


def require(engine: Engine, owner: str | None) -> None:
    """Refuse to serve (WarehouseError, one line) a log not protected as configured."""
    found = problem(engine, owner)
    if found:
        raise WarehouseError(found)
