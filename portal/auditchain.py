"""The audit log's hash chain: each entry's hash covers its content and the hash of the entry before it.

`entry_hash = sha256(prev_hash + "\\n" + canonical content)`, where the content is the entry's id,
time, actor, action, target, detail, rows and remote address written as one JSON array, and the
first entry's `prev_hash` is GENESIS. Changing, removing or inserting an entry anywhere but at the
end then breaks the chain at that entry or the one after it, which `verify` finds by walking the
log in id order. Removing entries from the end leaves a shorter chain that is still whole: compare
the last hash `verify` prints with one kept elsewhere to see that.

It lives here, below the dashboard, because revision 0006 computes the chain of entries written
before it with exactly this formula.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64
"""The `prev_hash` of the first entry."""
CONTENT_COLUMNS = ("entry_id", "at_utc", "actor", "action", "target", "detail", "rows", "remote_addr")
"""The columns the hash covers, in this order."""


def _time(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


def canonical(entry_id, at_utc, actor, action, target, detail, rows, remote_addr) -> str:
    """One entry's content as the text its hash covers: the same for the same stored values on any database."""
    content = [int(entry_id), _time(at_utc), actor, action, target, detail, None if rows is None else int(rows)]
    return json.dumps([*content, remote_addr], ensure_ascii=False, separators=(",", ":"))


def entry_hash(prev_hash: str, entry_id, at_utc, actor, action, target, detail, rows, remote_addr) -> str:
    content = canonical(entry_id, at_utc, actor, action, target, detail, rows, remote_addr)
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def row_hash(prev_hash: str, row) -> str:
    """The hash an entry read from the database should carry (a row with the CONTENT_COLUMNS)."""
    return entry_hash(prev_hash, *(getattr(row, name) for name in CONTENT_COLUMNS))


@dataclass(frozen=True)
class Verdict:
    """What walking the chain found, as the one line `python -m dashboard audit verify` prints."""

    entries: int
    last_id: int | None = None
    last_hash: str = GENESIS
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    def line(self) -> str:
        if not self.ok:
            return f"audit log BROKEN at entry {self.broken_id}: {self.reason}"
        if not self.entries:
            return "audit log OK: 0 entries"
        return f"audit log OK: {self.entries} entries, the last is entry {self.last_id} with hash {self.last_hash}"


def verify(rows: Iterable) -> Verdict:
    """Walk entries in id order (rows with CONTENT_COLUMNS, prev_hash and entry_hash); stop at the first break."""
    expected, last_id, count = GENESIS, None, 0
    for row in rows:
        after = "the start of the log" if last_id is None else f"entry {last_id}"
        if not row.entry_hash or not row.prev_hash:
            return Verdict(count, last_id, expected, row.entry_id, "it has no hash: it was written outside the chain")
        if row.prev_hash != expected:
            return Verdict(
                count,
                last_id,
                expected,
                row.entry_id,
                f"its previous hash is not that of {after}: an entry between them was removed or inserted, "
                f"or {after} was rewritten",
            )
        if row_hash(row.prev_hash, row) != row.entry_hash:
            changed = "its content does not match its hash: it was changed"
            return Verdict(count, last_id, expected, row.entry_id, changed)
        expected, last_id, count = row.entry_hash, row.entry_id, count + 1
    return Verdict(count, last_id, expected)
