"""Wrong-password throttling in counters every worker shares: Redis when configured, else the warehouse.

Three kinds of counter, each a fixed window of `auth.lock_minutes` opened by its first hit:

- `pair/<name>/<address>`: sign-in attempts for one name from one address. Each attempt takes its
  hit *before* the password is checked (an atomic increment), so sixteen parallel guesses get
  sixteen different counts and exactly `auth.lock_after` of them are checked; a right password
  clears the counter. At `lock_after` the name is locked at that address only: a guesser elsewhere
  cannot lock anyone out of the office.
- `address/<address>`: attempts from one address whatever the name, given back on a right password,
  so one address cannot spray names (`auth.address_lock_after`) yet an office behind one address
  can sign in all day.
- `wait/<name>/<address>/<level>`: after `auth.slow_after` wrong passwords each next try must wait
  2, 4, ... seconds.

Counters are keyed by the name as typed, whether or not it exists, so an unknown name is slowed and
locked exactly like a real one and refusals tell an attacker nothing about which names exist.

The counters are `limits` storages (the library under Flask-Limiter): its `RedisStorage`, whose
increment is one Lua script (INCRBY and EXPIRE), or `WarehouseCounters`, one upsert ... RETURNING
on the warehouse's `login_counters` table, for deployments without Redis.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import quote

from limits.storage import RedisStorage, Storage
from sqlalchemy import Table, case, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from portal.config import AuthConfig, redis_url

REDIS_PREFIX = "portal-sign-in"
PRUNE_EVERY = 256
"""Expired counter rows are deleted on every this many increments (by one worker)."""


def clock() -> float:
    """Now, in seconds since the epoch: the one clock of the warehouse counters (tests move it)."""
    return time.time()


class WarehouseCounters(Storage):
    """A `limits` storage in a warehouse table: each increment is one atomic upsert ... RETURNING."""

    STORAGE_SCHEME = None

    def __init__(self, engine: Engine, table: Table) -> None:
        super().__init__()
        self.engine, self.table = engine, table
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now, counters = clock(), self.table
        self._increments += 1
        with self.engine.begin() as connection:
            if self._increments % PRUNE_EVERY == 0:
                connection.execute(delete(counters).where(counters.c.expires_at <= now))
            dialect = connection.dialect.name
            if dialect in ("sqlite", "postgresql"):
                return connection.execute(self._upsert(dialect, key, expiry, amount, now)).scalar_one()
            return self._update_or_insert(connection, key, expiry, amount, now)

    def _upsert(self, dialect: str, key: str, expiry: int, amount: int, now: float):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        counters = self.table
        statement = dialect_insert(counters).values(key=key, hits=amount, expires_at=now + expiry)
        expired = counters.c.expires_at <= now
        renewed = {
            "hits": case((expired, amount), else_=counters.c.hits + amount),
            "expires_at": case((expired, now + expiry), else_=counters.c.expires_at),
        }
        return statement.on_conflict_do_update(index_elements=[counters.c.key], set_=renewed).returning(counters.c.hits)

    def _update_or_insert(self, connection, key: str, expiry: int, amount: int, now: float) -> int:
        """Other databases: the row locked by SELECT ... FOR UPDATE, then written, in one transaction."""
        counters = self.table
        row = connection.execute(select(counters).where(counters.c.key == key).with_for_update()).first()
        if row is None:
            connection.execute(insert(counters).values(key=key, hits=amount, expires_at=now + expiry))
            return amount
        hits, until = (amount, now + expiry) if row.expires_at <= now else (row.hits + amount, row.expires_at)
        connection.execute(update(counters).where(counters.c.key == key).values(hits=hits, expires_at=until))
        return hits

    def _live(self, key: str):
        counters = self.table
        with self.engine.connect() as connection:
            return connection.execute(
                select(counters.c.hits, counters.c.expires_at).where(
                    counters.c.key == key, counters.c.expires_at > clock()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._live(key)
        return row.hits if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return row.expires_at if row else clock()

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(self.table)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key == key))

    def clear_prefix(self, prefix: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.key.startswith(prefix, autoescape=True)))


class RedisCounters(RedisStorage):
    """`limits`' Redis storage, plus clearing every counter of a name (`users unlock`)."""

    def clear_prefix(self, prefix: str) -> None:
        connection = self.get_connection()
        keys = list(connection.scan_iter(match=self.prefixed_key(prefix) + "*", count=1000))
        if keys:
            connection.delete(*keys)


def counters_for(engine: Engine, table: Table) -> WarehouseCounters | RedisCounters:
    """Redis when `PORTAL_REDIS_URL` is set (shared by every worker and host), else the warehouse."""
    url = redis_url()
    if url:
        return RedisCounters(url, key_prefix=REDIS_PREFIX, socket_timeout=5)
    return WarehouseCounters(engine, table)


@dataclass(frozen=True)
class Refusal:
    """An attempt refused before its password was looked at, and the audit log's reason."""

    reason: str
    retry_after: int
    wait: bool = False


def _part(text: str) -> str:
    """A key part with no separator or glob character left in it, whatever an attacker typed."""
    return quote(text, safe="")


class Throttle:
    """The sign-in policy (`auth.*`) applied to a name and an address, over shared counters."""

    def __init__(self, counters: WarehouseCounters | RedisCounters, policy: AuthConfig) -> None:
        self.counters, self.policy = counters, policy
        self.window = policy.lock_minutes * 60

    @staticmethod
    def _pair(name: str, address: str) -> str:
        return f"pair/{_part(name)}/{_part(address)}"

    @staticmethod
    def _address(address: str) -> str:
        return f"address/{_part(address)}"

    @staticmethod
    def _wait(name: str, address: str, level: int) -> str:
        return f"wait/{_part(name)}/{_part(address)}/{level}"

    def _retry(self, key: str) -> int:
        return max(1, math.ceil(self.counters.get_expiry(key) - clock()))

    def refusal(self, name: str, address: str) -> Refusal | None:
        """Why an attempt is refused outright (the address or the name at it is over its limit), if it is."""
        if self.counters.get(self._address(address)) >= self.policy.address_lock_after:
            return Refusal("address throttled", self._retry(self._address(address)))
        failures = self.counters.get(self._pair(name, address))
        if failures >= self.policy.lock_after:
            return Refusal("locked", self._retry(self._pair(name, address)))
        if failures >= self.policy.slow_after:
            wait = self._wait(name, address, failures)
            if self.counters.get(wait):
                return Refusal("too fast", self._retry(wait), wait=True)
        return None

    def reserve(self, name: str, address: str) -> tuple[int, Refusal | None]:
        """Count this attempt before its password is checked: its number, or the refusal of a late racer."""
        attempt = self.counters.incr(self._pair(name, address), self.window)
        from_address = self.counters.incr(self._address(address), self.window)
        if from_address > self.policy.address_lock_after:
            return attempt, Refusal("address throttled", self._retry(self._address(address)))
        if attempt > self.policy.lock_after:
            return attempt, Refusal("locked", self._retry(self._pair(name, address)))
        return attempt, None

    def locks(self, attempt: int) -> bool:
        return attempt >= self.policy.lock_after

    def lock_retry(self, name: str, address: str) -> int:
        return self._retry(self._pair(name, address))

    def failed(self, name: str, address: str, attempt: int) -> None:
        """A wrong password, the `attempt`-th: past `slow_after`, the next try must wait 2, 4, ... s."""
        if self.policy.slow_after <= attempt < self.policy.lock_after:
            self.counters.incr(self._wait(name, address, attempt), 2 ** (attempt - self.policy.slow_after + 1))

    def succeeded(self, name: str, address: str) -> None:
        """A right password: the name's count at this address starts again; the address gets its hit back."""
        self.counters.clear(self._pair(name, address))
        self.counters.incr(self._address(address), self.window, amount=-1)

    def unlock(self, name: str, address: str | None = None) -> None:
        """Clear a name's counters at every address (and, given one, that address's own counter)."""
        self.counters.clear_prefix(f"pair/{_part(name)}/")
        self.counters.clear_prefix(f"wait/{_part(name)}/")
        if address:
            self.counters.clear(self._address(address))
