"""The audit log cannot be rewritten unnoticed: a hash chain over its entries, checked by
`python -m dashboard audit verify`, and no way around the append-only triggers by REPLACE.

Tampering is done as an attacker with the database in hand would: the triggers are set aside (or
raw SQL run on the file), then rows changed or deleted.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from contextlib import closing

import pytest
from sqlalchemy import create_engine, select, text

from dashboard.auth.store import UserStore, audit_log
from dashboard.cli.users import main
from portal import auditchain


def _store(url: str, entries: int = 5) -> UserStore:
    store = UserStore(url)
    for number in range(1, entries + 1):
        detail = {"filters": {"n": number}}
        store.audit("ann", "export", f"dataset-{number}", detail, rows=number, remote_addr="10.0.0.1")
    return store


def _tamper(url: str, statement: str) -> None:
    """Run a change the triggers would refuse, with them set aside, as the table's owner could."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("DROP TRIGGER audit_log_no_update"))
                connection.execute(text("DROP TRIGGER audit_log_no_delete"))
            else:
                connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change"))
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _verify(url: str, capsys) -> tuple[int, str]:
    status = main(["audit", "verify", "--warehouse", url])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return status, out[0]


def test_each_entry_is_chained_to_the_one_before(database_url):
    url = database_url("warehouse")
    store = _store(url)
    with store.engine.connect() as connection:
        rows = connection.execute(select(audit_log).order_by(audit_log.c.entry_id)).all()
    assert [row.entry_id for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == auditchain.GENESIS
    for before, row in itertools.pairwise(rows):
        assert row.prev_hash == before.entry_hash
    for row in rows:
        assert row.entry_hash == auditchain.row_hash(row.prev_hash, row)
        assert len(row.entry_hash) == 64


def test_the_hash_covers_every_column_of_an_entry():
    fields = dict(
        entry_id=1, at_utc="2025-01-01 10:00:00", actor="ann", action="export", target="t", detail="{}", rows=1,
        remote_addr="10.0.0.1",
    )  # fmt: skip
    base = auditchain.entry_hash(auditchain.GENESIS, **fields)
    changed = {"entry_id": 2, "at_utc": "2025-01-01 10:00:01", "actor": "bob", "action": "sign_in", "target": "u"}
    changed |= {"detail": '{"a":1}', "rows": 2, "remote_addr": "10.0.0.2"}
    for name, value in changed.items():
        assert auditchain.entry_hash(auditchain.GENESIS, **(fields | {name: value})) != base, name
    assert auditchain.entry_hash("1" * 64, **fields) != base


def test_verify_says_ok_with_the_count_and_the_last_hash(database_url, capsys):
    url = database_url("warehouse")
    _store(url)
    status, line = _verify(url, capsys)
    with create_engine(url).connect() as connection:
        last = connection.execute(text("SELECT entry_hash FROM audit_log WHERE entry_id = 5")).scalar_one()
    assert (status, line) == (0, f"audit log OK: 5 entries, the last is entry 5 with hash {last}")


def test_verify_finds_a_changed_entry_by_its_id(database_url, capsys):
    url = database_url("warehouse")
    _store(url)
    _tamper(url, "UPDATE audit_log SET rows = 1000 WHERE entry_id = 3")
    broken = "audit log BROKEN at entry 3: its content does not match its hash: it was changed"
    assert _verify(url, capsys) == (1, broken)


def test_verify_finds_a_changed_entry_whose_hash_was_recomputed(database_url, capsys):
    url = database_url("warehouse")
    store = _store(url)
    with store.engine.connect() as connection:
        row = connection.execute(select(audit_log).where(audit_log.c.entry_id == 3)).one()
    content = {name: getattr(row, name) for name in auditchain.CONTENT_COLUMNS} | {"actor": "mallory"}
    forged = auditchain.entry_hash(row.prev_hash, **content)
    _tamper(url, f"UPDATE audit_log SET actor = 'mallory', entry_hash = '{forged}' WHERE entry_id = 3")
    status, line = _verify(url, capsys)
    assert status == 1
    assert line.startswith("audit log BROKEN at entry 4: its previous hash is not that of entry 3")


def test_verify_finds_a_deleted_entry_in_the_middle(database_url, capsys):
    url = database_url("warehouse")
    _store(url)
    _tamper(url, "DELETE FROM audit_log WHERE entry_id = 3")
    status, line = _verify(url, capsys)
    assert status == 1
    assert line == (
        "audit log BROKEN at entry 4: its previous hash is not that of entry 2: an entry between them was "
        "removed or inserted, or entry 2 was rewritten"
    )


def test_verify_finds_a_deleted_first_entry(sqlite_url, capsys):
    url = sqlite_url("warehouse")
    _store(url)
    _tamper(url, "DELETE FROM audit_log WHERE entry_id = 1")
    status, line = _verify(url, capsys)
    assert (status, line.split(":")[0]) == (1, "audit log BROKEN at entry 2")
    assert "that of the start of the log" in line


def test_writers_in_many_connections_at_once_extend_one_chain(database_url, capsys):
    """Each thread writes through its own connection, so only the database's lock keeps them in line."""
    url = database_url("warehouse")
    store = _store(url, entries=1)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for number in range(15):
                store.audit(f"worker-{worker}", "test", str(number))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    status, line = _verify(url, capsys)
    assert (status, line.split(",")[0]) == (0, "audit log OK: 91 entries")


def test_insert_or_replace_cannot_rewrite_an_entry_on_sqlite(sqlite_url):
    url = sqlite_url("warehouse")
    _store(url, entries=2)
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        before = connection.execute("SELECT * FROM audit_log ORDER BY entry_id").fetchall()
        for verb in ("INSERT OR REPLACE", "REPLACE"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                connection.execute(
                    f"{verb} INTO audit_log (entry_id, at_utc, actor, action) VALUES (1, '2020-01-01', 'x', 'forged')"
                )
            connection.rollback()
        assert connection.execute("SELECT * FROM audit_log ORDER BY entry_id").fetchall() == before
        connection.execute("INSERT INTO audit_log (entry_id, at_utc, actor, action) VALUES (3, '2020-01-01', 'x', 'y')")
