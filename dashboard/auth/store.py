"""Users and the audit log, kept in the warehouse database beside the figures they guard.

They live in their own metadata so a full load, which empties portal.schema's data tables, never touches
them; like every warehouse table they are created and changed by the migrations in portal/migrations.
The audit log is append-only in the database itself: triggers (made by revision 0001) refuse UPDATE
and DELETE (and TRUNCATE on PostgreSQL), and on SQLite an insert over an existing entry (revision
0006), so not even a bug in the app can rewrite history. Each entry also carries a hash chained to
the one before it (portal.auditchain), so a change made behind the triggers' back is found by
`python -m dashboard audit verify`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pandas as pd
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.auth.roles import parse_roles, permissions_of
from dashboard.auth.throttle import Refusal, Throttle, counters_for
from portal import auditchain
from portal.config import AuthConfig
from portal.db import read_frame, warehouse_engine

auth_metadata = MetaData()

users = Table(
    "portal_users",
    auth_metadata,
    Column("name", String(64), primary_key=True),
    Column("roles", String(128), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("last_failed_at", DateTime),
    Column("locked_until", DateTime),
    Column("session_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

login_counters = Table(
    "login_counters",
    auth_metadata,
    Column("key", String(255), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
"""Wrong-password counters (dashboard.auth.throttle) when no Redis is configured; seconds since the epoch."""

portal_sessions = Table(
    "portal_sessions",
    auth_metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)
"""Signed-in sessions, by the SHA-256 of their id (the cookie holds the id): deleted at sign-out, dead
after `auth.absolute_hours` however busy. A copied cookie dies with its row."""

audit_log = Table(
    "audit_log",
    auth_metadata,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at_utc", DateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False, index=True),
    Column("action", String(64), nullable=False, index=True),
    Column("target", Text),
    Column("detail", Text),
    Column("rows", Integer),
    Column("remote_addr", String(64)),
    Column("prev_hash", String(64)),
    Column("entry_hash", String(64)),
)

AUDIT_CHAIN_LOCK = 0x617564697421
"""The PostgreSQL advisory lock key ("audit!") that lets one transaction at a time extend the chain."""
AUDIT_COLUMNS = ("entry_id", "at_utc", "actor", "action", "target", "detail", "rows", "remote_addr")
NAME_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class UserError(ValueError):
    """A user change that cannot be made, in one line for the CLI or the admin page."""


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    active: bool
    session_token: str
    locked_until: datetime | None = None

    @property
    def permissions(self):
        return permissions_of(self.roles) if self.active else frozenset()


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    WAIT = "wait"
    LOCKED = "locked"
    LOCKED_NOW = "locked_now"
    DISABLED = "disabled"


@dataclass(frozen=True)
class SignIn:
    outcome: Outcome
    user: User | None = None
    retry_after: int = 0

    @property
    def message(self) -> str:
        if self.outcome is Outcome.WAIT:
            return f"Too many wrong passwords: wait {self.retry_after} s and try again."
        if self.outcome in (Outcome.LOCKED, Outcome.LOCKED_NOW):
            minutes = max(1, -(-self.retry_after // 60))
            return f"Too many failed sign-ins; try again in {minutes} min."
        return "Wrong username or password."


def check_name(name: str) -> str:
    name = (name or "").strip().lower()
    if not name or len(name) > 64 or set(name) - NAME_CHARACTERS:
        raise UserError(f"user name {name!r} must be 1-64 of a-z, 0-9, '.', '_', '-', '@'")
    return name


def check_password(password: str) -> str:
    if len(password or "") < 10:
        raise UserError("a password needs at least 10 characters")
    return password


_DUMMY_HASH = generate_password_hash("not a real password")


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class UserStore:
    """The users of one warehouse, and the audit trail of what they did."""

    def __init__(self, url: str, policy: AuthConfig | None = None) -> None:
        self.engine = warehouse_engine(url)
        self.policy = policy or AuthConfig()
        self.throttle = Throttle(counters_for(self.engine, login_counters), self.policy)

    def _user(self, row) -> User:
        return User(
            name=row.name,
            roles=parse_roles(row.roles),
            active=bool(row.active),
            session_token=row.session_token,
            locked_until=row.locked_until,
        )

    def get(self, name: str) -> User | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == name.strip().lower())).first()
        return self._user(row) if row else None

    def list(self) -> pd.DataFrame:
        columns = [users.c.name, users.c.roles, users.c.active, users.c.locked_until, users.c.created_at]
        with self.engine.connect() as connection:
            return read_frame(connection, select(*columns, users.c.updated_at).order_by(users.c.name))

    def add(
        self, name: str, roles: str, password: str, *, actor: str, remote_addr: str | None = None, check: bool = True
    ) -> User:
        name, granted = check_name(name), parse_roles(roles)
        if check:
            check_password(password)
        now = _now()
        with self.engine.begin() as connection:
            if connection.execute(select(users.c.name).where(users.c.name == name)).first():
                raise UserError(f"user {name!r} already exists")
            connection.execute(
                insert(users).values(
                    name=name,
                    roles=",".join(granted),
                    password_hash=generate_password_hash(password),
                    active=True,
                    failed_logins=0,
                    session_token=secrets.token_hex(16),
                    created_at=now,
                    updated_at=now,
                )
            )
            record(connection, actor, "user_added", name, {"roles": list(granted)}, remote_addr=remote_addr)
        return self.get(name)

    def _change(self, name: str, action: str, values: dict, detail: dict, actor: str, remote_addr: str | None):
        name = check_name(name)
        with self.engine.begin() as connection:
            done = connection.execute(
                update(users).where(users.c.name == name).values(updated_at=_now(), **values)
            ).rowcount
            if not done:
                raise UserError(f"no user {name!r}")
            record(connection, actor, action, name, detail, remote_addr=remote_addr)

    def set_roles(self, name: str, roles: str, *, actor: str, remote_addr: str | None = None) -> None:
        granted = parse_roles(roles)
        self._guard_last_admin(name, "admin" in granted and self._is_active(name))
        self._change(
            name,
            "user_role_set",
            {"roles": ",".join(granted), "session_token": secrets.token_hex(16)},
            {"roles": list(granted)},
            actor,
            remote_addr,
        )

    def set_active(self, name: str, active: bool, *, actor: str, remote_addr: str | None = None) -> None:
        if not active:
            self._guard_last_admin(name, False)
        values = {"active": active, "session_token": secrets.token_hex(16)}
        if active:
            values.update(failed_logins=0, locked_until=None)
        self._change(name, "user_enabled" if active else "user_disabled", values, {}, actor, remote_addr)
        if active:
            self.throttle.unlock(check_name(name))

    def set_password(
        self, name: str, password: str, *, actor: str, remote_addr: str | None = None, check: bool = True
    ) -> None:
        if check:
            check_password(password)
        values = {
            "password_hash": generate_password_hash(password),
            "session_token": secrets.token_hex(16),
            "failed_logins": 0,
            "locked_until": None,
        }
        self._change(name, "user_password_reset", values, {}, actor, remote_addr)
        self.throttle.unlock(check_name(name))

    def tool_password(self, name: str, roles: str, *, actor: str) -> str:
        """A fresh random password for a tool's own user (the page bench, the load test), made or
        re-enabled with `roles` for this run; every change is audited as any other."""
        password = secrets.token_urlsafe(18)
        if self.get(name) is None:
            self.add(name, roles, password, actor=actor)
        else:
            self.set_roles(name, roles, actor=actor)
            self.set_password(name, password, actor=actor)
            self.set_active(name, True, actor=actor)
        return password

    def unlock(self, name: str, *, actor: str, address: str | None = None, remote_addr: str | None = None) -> None:
        """Clear a user's wrong-password counters at every address (and, given one, that address's own)."""
        name = check_name(name)
        detail = {"address": address} if address else {}
        self._change(name, "user_unlocked", {"failed_logins": 0, "locked_until": None}, detail, actor, remote_addr)
        self.throttle.unlock(name, address)

    def open_session(self, name: str) -> str:
        """A new session of a signed-in user: its id, for the cookie; expired sessions are dropped."""
        session_id, now = secrets.token_urlsafe(32), _now()
        with self.engine.begin() as connection:
            connection.execute(delete(portal_sessions).where(portal_sessions.c.expires_at <= now))
            connection.execute(
                insert(portal_sessions).values(
                    id_hash=_session_hash(session_id),
                    user_name=name,
                    created_at=now,
                    expires_at=now + timedelta(hours=self.policy.absolute_hours),
                )
            )
        return session_id

    def session_user(self, name: str, session_id: str) -> User | None:
        """The user of a live session (not ended, not past its absolute lifetime), or None."""
        statement = (
            select(users)
            .join(portal_sessions, portal_sessions.c.user_name == users.c.name)
            .where(
                users.c.name == name,
                portal_sessions.c.id_hash == _session_hash(session_id),
                portal_sessions.c.expires_at > _now(),
            )
        )
        with self.engine.connect() as connection:
            row = connection.execute(statement).first()
        return self._user(row) if row else None

    def end_session(self, session_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(portal_sessions).where(portal_sessions.c.id_hash == _session_hash(session_id)))

    def password_matches(self, name: str, password: str) -> bool:
        with self.engine.connect() as connection:
            stored = connection.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()
        return stored is not None and check_password_hash(stored, password)

    def _is_active(self, name: str) -> bool:
        user = self.get(name)
        return bool(user and user.active)

    def _guard_last_admin(self, name: str, stays_admin: bool) -> None:
        """Nobody can remove the last active admin: the office would be locked out of user management."""
        if stays_admin:
            return
        with self.engine.connect() as connection:
            rows = connection.execute(select(users.c.name, users.c.roles).where(users.c.active.is_(True))).all()
        admins = {row.name for row in rows if "admin" in row.roles.split(",")}
        if admins == {check_name(name)}:
            raise UserError(f"{name!r} is the last active admin; make another admin first")

    def authenticate(self, name: str, password: str, *, remote_addr: str | None = None, via: str = "form") -> SignIn:
        """Check a password, throttled per name and address and per address (dashboard.auth.throttle).

        Every outcome is written to the audit log. An attempt over a limit is refused before the
        password is looked at, so guessing gains nothing; every other one, for a real name or not,
        checks a password hash, so neither the answer nor its time tells which names exist.
        """
        key = (name or "").strip().lower()[:64]
        address = remote_addr or "-"
        refusal = self.throttle.refusal(key, address)
        attempt = 0
        if refusal is None:
            attempt, refusal = self.throttle.reserve(key, address)
        if refusal is not None:
            return self._refused(key, refusal, remote_addr, via)
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.name == key)).first()
        matches = check_password_hash(row.password_hash if row else _DUMMY_HASH, password or "")
        if row is None or not matches:
            return self._wrong(key, row is not None, attempt, remote_addr, via)
        self.throttle.succeeded(key, address)
        with self.engine.begin() as connection:
            if not row.active:
                record(
                    connection, key, "sign_in_failed", key, {"reason": "disabled", "via": via}, remote_addr=remote_addr
                )
                return SignIn(Outcome.DISABLED)
            record(connection, key, "sign_in", key, {"via": via}, remote_addr=remote_addr)
        return SignIn(Outcome.OK, self._user(row))

    def _refused(self, key: str, refusal: Refusal, remote_addr: str | None, via: str) -> SignIn:
        detail = {"reason": refusal.reason, "via": via}
        with self.engine.begin() as connection:
            record(connection, key or "-", "sign_in_failed", key, detail, remote_addr=remote_addr)
        return SignIn(Outcome.WAIT if refusal.wait else Outcome.LOCKED, retry_after=refusal.retry_after)

    def _wrong(self, key: str, known: bool, attempt: int, remote_addr: str | None, via: str) -> SignIn:
        address = remote_addr or "-"
        detail = {"reason": "wrong password" if known else "unknown user", "via": via}
        locks = self.throttle.locks(attempt)
        if not locks:  # counters first: on SQLite a second writer would wait for this transaction
            self.throttle.failed(key, address, attempt)
        left = self.throttle.lock_retry(key, address) if locks else 0
        with self.engine.begin() as connection:  # audit entries last: they take the audit log's lock
            if locks and known:  # shown on the Users page and by `users list`; the lock itself is the counter's
                until = _now() + timedelta(seconds=left)
                connection.execute(update(users).where(users.c.name == key).values(locked_until=until))
            record(connection, key or "-", "sign_in_failed", key, detail, remote_addr=remote_addr)
            if not locks:
                return SignIn(Outcome.WRONG)
            detail = {"minutes": self.policy.lock_minutes, "address": address}
            record(connection, key or "-", "user_locked", key, detail, remote_addr=remote_addr)
        return SignIn(Outcome.LOCKED_NOW, retry_after=left)

    def audit(self, actor: str, action: str, target: str | None = None, detail: dict | None = None, **extra) -> None:
        with self.engine.begin() as connection:
            record(connection, actor, action, target, detail or {}, **extra)

    def verify_audit(self) -> auditchain.Verdict:
        """Whether the audit log's hash chain is whole, or where it first breaks."""
        return verify_chain(self.engine)

    def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Entries newest first, filtered; `end` is exclusive."""
        statement = select(*(audit_log.c[name] for name in AUDIT_COLUMNS))
        if actor:
            statement = statement.where(audit_log.c.actor == actor.strip().lower())
        if action:
            statement = statement.where(audit_log.c.action == action)
        if target:
            statement = statement.where(audit_log.c.target == target)
        if start is not None:
            statement = statement.where(audit_log.c.at_utc >= start)
        if end is not None:
            statement = statement.where(audit_log.c.at_utc < end)
        statement = statement.order_by(audit_log.c.entry_id.desc())
        if limit:
            statement = statement.limit(limit)
        with self.engine.connect() as connection:
            return read_frame(connection, statement)

    def audit_actions(self) -> list[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action)).all()
        return [row.action for row in rows]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(users)).scalar_one()


def record(
    connection: Connection,
    actor: str,
    action: str,
    target: str | None,
    detail: dict,
    remote_addr: str | None = None,
    rows: int | None = None,
) -> None:
    """One audit entry, written in the caller's transaction so it stands or falls with the change.

    The entry is chained to the last one: the chain's lock is taken, the last entry's hash read and
    the new entry inserted with its id and hash, so writers in any number of processes extend one
    chain and never fork it. The lock is held until the caller's transaction ends (SQLite's write
    lock; a PostgreSQL advisory transaction lock), so write entries last in a transaction that
    also changes other rows: one that takes the chain's lock and then waits for a row another
    writer holds while waiting for the chain could deadlock on PostgreSQL.
    """
    _lock_chain(connection)
    last = connection.execute(
        select(audit_log.c.entry_id, audit_log.c.entry_hash).order_by(audit_log.c.entry_id.desc()).limit(1)
    ).first()
    if connection.dialect.name == "postgresql":
        entry_id = connection.execute(text("SELECT nextval(pg_get_serial_sequence('audit_log', 'entry_id'))")).scalar()
    else:
        entry_id = (last.entry_id if last else 0) + 1
    values = {
        "entry_id": entry_id,
        "at_utc": _now(),
        "actor": (actor or "-")[:64],
        "action": action,
        "target": target,
        "detail": json.dumps(detail, sort_keys=True, default=str) if detail else None,
        "rows": rows,
        "remote_addr": (remote_addr or None) and remote_addr[:64],
    }
    prev_hash = (last.entry_hash if last else None) or auditchain.GENESIS
    values.update(prev_hash=prev_hash, entry_hash=auditchain.entry_hash(prev_hash, **values))
    connection.execute(insert(audit_log).values(**values))


def _lock_chain(connection: Connection) -> None:
    """Hold the lock on the chain's end until the transaction ends.

    On SQLite a transaction that has written holds the write lock already (and one that has only
    read cannot write over a newer commit: WAL refuses it); one that has not begun is begun with
    the write lock, or another process could append between our read of the last hash and our insert.
    """
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK})


def verify_chain(engine, batch: int = 10_000) -> auditchain.Verdict:
    """Walk the whole audit log in id order, a batch at a time, and say whether its chain is whole."""
    columns = [audit_log.c[name] for name in (*auditchain.CONTENT_COLUMNS, "prev_hash", "entry_hash")]

    def entries():
        after = None
        with engine.connect() as connection:
            while True:
                statement = select(*columns).order_by(audit_log.c.entry_id).limit(batch)
                if after is not None:
                    statement = statement.where(audit_log.c.entry_id > after)
                rows = connection.execute(statement).all()
                yield from rows
                if len(rows) < batch:
                    return
                after = rows[-1].entry_id

    return auditchain.verify(entries())


FIRST_ADMIN = "admin"


def ensure_admin(users_store: UserStore, password: str | None) -> str | None:
    """Make sure the first admin exists, on every start; returns a generated password to print once.

    With `PORTAL_ADMIN_PASSWORD` set, `admin` is created with it whenever it is missing, even beside
    users added with the CLI before the first start. It is the operator's word for the admin's
    password, so when it no longer matches (someone changed it in the app), it wins and the change
    is audited. Without it, a password is generated only for a warehouse with no users at all.
    """
    existing = users_store.get(FIRST_ADMIN)
    if existing is None:
        if not password and users_store.count():
            return None
        generated = None if password else secrets.token_urlsafe(12)
        try:
            users_store.add(FIRST_ADMIN, "admin", password or generated, actor="setup", check=False)
        except UserError:
            return None
        return generated
    if password and not users_store.password_matches(FIRST_ADMIN, password):
        users_store.set_password(FIRST_ADMIN, password, actor="PORTAL_ADMIN_PASSWORD", check=False)
    return None
