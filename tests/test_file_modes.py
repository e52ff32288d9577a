"""Files that hold customer data, password hashes or the audit log are the owner's only (mode 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from portal.engine import open_engine


@pytest.fixture
def open_umask():
    """The usual umask, under which a plainly created file is readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_warehouse_and_its_wal_files_are_owner_only(tmp_path, open_umask):
    path = tmp_path / "data" / "warehouse.sqlite"
    engine = open_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("create table t (x integer)"))
        connection.execute(text("insert into t values (1)"))
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(file.exists() for file in files)
        assert {file.name: oct(mode(file)) for file in files} == {file.name: "0o600" for file in files}
    engine.dispose()


def test_an_existing_warehouse_keeps_the_mode_its_owner_gave_it(tmp_path, open_umask):
    path = tmp_path / "shared.sqlite"
    path.touch(mode=0o640)
    path.chmod(0o640)
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("select 1"))
    engine.dispose()
    assert mode(path) == 0o640


def test_a_loaded_warehouse_is_owner_only(demo_warehouse):
    assert mode(Path(demo_warehouse.removeprefix("sqlite:///"))) == 0o600
