"""The command line (SPEC section 5): `python -m etl run` and `python -m etl demo`, run as an operator would.

A failed run must say in one line on stderr what is wrong and where (for a config mistake: the key
and the file), with no traceback, and exit 2, because an operator reads it in a cron mail.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import event, web_user, write_source

PROJECT_ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/billing"


def etl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in {"PORTAL_CONFIG", "PORTAL_SOURCE_URL", "PORTAL_WAREHOUSE_URL"}
    }
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "etl", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The run failed cleanly: exit 2, no traceback, exactly one `error: ...` line on stderr."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.returncode == 2
    return lines[0]


@pytest.fixture
def source(tmp_path) -> str:
    """A small valid source: three web users (one without an account number) and four events."""
    url = f"sqlite:///{tmp_path / 'billing.sqlite'}"
    write_source(
        url,
        [
            web_user("A1", portal_access="Y", email="ann@example.com"),
            web_user("A2", portal_access="N"),
            web_user(None),  # quarantined
        ],
        [
            event("A1", "2024-02-06 10:00:00", "recovery_requested", event_id=1),
            event("A1", "2024-02-06 10:06:00", "password_reset", event_id=2),
            event("A2", "2024-02-07 08:00:00", "legacy_sync", event_id=3),  # other-typed
            event("A2", None, "login_failed", event_id=4),  # no time: quarantined
        ],
    )
    return url


@pytest.fixture
def warehouse_url(tmp_path) -> str:
    """Where the run under test writes its warehouse: a SQLite file not made yet."""
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


# --------------------------------------------------------------------------- a successful run


def test_a_successful_run_prints_a_one_line_summary_then_what_the_alert_rules_found(source, warehouse_url):
    result = etl("run", "--source", source, "--warehouse", warehouse_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[1] == "alerts: judged through 2024-02-06, opened 0, closed 0, deliveries sent 0, failed 0"
    # read 3 web users + 4 events; loaded 2 accounts + 3 events; quarantined 1 + 1; one `other`
    assert re.search(r"\bread 7 rows\b", lines[0]), lines[0]
    assert re.search(r"\bloaded 5\b", lines[0]), lines[0]
    assert re.search(r"\bquarantined 2\b", lines[0]), lines[0]
    assert re.search(r"\bother-typed 1\b", lines[0]), lines[0]
    assert re.search(r"\b\d+(\.\d+)? ?s\b", lines[0]), lines[0]


# --------------------------------------------------------------------------- source and warehouse errors


def test_an_unreachable_source_database_is_one_line_naming_it(warehouse_url):
    line = one_line_error(etl("run", "--source", UNREACHABLE, "--warehouse", warehouse_url))
    assert "source" in line
    assert "127.0.0.1:1" in line
    assert "s3cret" not in line


def test_an_unreachable_warehouse_database_is_one_line_naming_it(source):
    line = one_line_error(etl("run", "--source", source, "--warehouse", UNREACHABLE))
    assert "warehouse" in line
    assert "127.0.0.1:1" in line
    assert "s3cret" not in line


def test_a_warehouse_folder_that_cannot_be_created_is_one_line_naming_it(source, tmp_path):
    (tmp_path / "not_a_folder").write_text("")
    line = one_line_error(etl("run", "--source", source, "--warehouse", f"sqlite:///{tmp_path}/not_a_folder/wh.sqlite"))
    assert "warehouse" in line
    assert "not_a_folder" in line


def test_a_warehouse_url_without_its_driver_is_one_line_naming_it(source):
    line = one_line_error(etl("run", "--source", source, "--warehouse", "mysql+mysqldb://etl@127.0.0.1:1/warehouse"))
    assert "warehouse" in line
    assert "mysql" in line


def test_a_missing_source_table_is_one_line_naming_the_table_and_the_source(tmp_path, warehouse_url):
    path = tmp_path / "no_log.sqlite"
    write_source(f"sqlite:///{path}", [web_user("A1")], [])
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE activity_log")
    connection.close()
    line = one_line_error(etl("run", "--source", f"sqlite:///{path}", "--warehouse", warehouse_url))
    assert "activity_log" in line
    assert "no_log.sqlite" in line


def test_a_source_file_that_does_not_exist_is_reported_and_not_created(tmp_path, warehouse_url):
    path = tmp_path / "typo.sqlite"
    line = one_line_error(etl("run", "--source", f"sqlite:///{path}", "--warehouse", warehouse_url))
    assert "typo.sqlite" in line
    assert not path.exists()


def test_a_mapped_column_missing_from_the_source_is_one_line_naming_it(source, warehouse_url, tmp_path):
    config = tmp_path / "portal.toml"
    config.write_text('[source.web_users_columns]\naccount_number = "acct_no"\n')
    line = one_line_error(etl("run", "--config", str(config), "--source", source, "--warehouse", warehouse_url))
    assert "web_users" in line
    assert "acct_no" in line


def test_a_failed_run_exits_2_in_one_line_and_leaves_that_line_in_the_warehouse(tmp_path, warehouse_url):
    path = tmp_path / "typo.sqlite"
    line = one_line_error(etl("run", "--source", f"sqlite:///{path}", "--warehouse", warehouse_url))
    with sqlite3.connect(warehouse_url.removeprefix("sqlite:///")) as connection:
        recorded = connection.execute("SELECT reason, served_run_id FROM failed_runs").fetchall()
    connection.close()
    assert recorded == [(line.removeprefix("error: "), None)]


# --------------------------------------------------------------------------- config errors

CONFIG_MISTAKES = {
    "unknown_key": ('timezon = "UTC"\n', ["timezon", "unknown"]),
    "unknown_nested_key": ('[source]\nweb_user_table = "users"\n', ["web_user_table", "unknown"]),
    "unknown_mapped_column": ('[source.web_users_columns]\nacct = "acct_no"\n', ["web_users_columns", "acct"]),
    "wrong_type": ('recovery_attempt_gap_minutes = "thirty"\n', ["recovery_attempt_gap_minutes", "integer"]),
    "wrong_nested_type": ("[warehouse]\nurl = 5\n", ["warehouse.url", "string"]),
    "unknown_timezone": ('timezone = "Mars/Olympus_Mons"\n', ["timezone", "Mars/Olympus_Mons"]),
    "unknown_canonical_event_type": (
        '[event_types]\n"Pwd chg" = "password_rest"\n',
        ["event_types", "Pwd chg", "password_rest"],
    ),
    "not_toml": ("timezone = \n", ["TOML", "line 1"]),
}


@pytest.mark.parametrize("toml, named", CONFIG_MISTAKES.values(), ids=CONFIG_MISTAKES.keys())
def test_a_config_mistake_is_one_line_naming_the_file_and_the_key(toml, named, source, warehouse_url, tmp_path):
    config = tmp_path / "portal.toml"
    config.write_text(toml)
    line = one_line_error(etl("run", "--config", str(config), "--source", source, "--warehouse", warehouse_url))
    assert str(config) in line
    for word in named:
        assert word in line


def test_a_config_file_that_does_not_exist_is_one_line_naming_it(source, warehouse_url, tmp_path):
    config = tmp_path / "nowhere.toml"
    line = one_line_error(etl("run", "--config", str(config), "--source", source, "--warehouse", warehouse_url))
    assert str(config) in line


# --------------------------------------------------------------------------- demo source


def test_demo_writes_a_source_the_etl_loads(tmp_path):
    out = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo = etl("demo", "--accounts", "200", "--seed", "3", "--out", out)
    assert demo.returncode == 0, demo.stderr
    assert len(demo.stdout.strip().splitlines()) == 1
    with sqlite3.connect(tmp_path / "demo.sqlite") as connection:
        web_users = connection.execute("SELECT count(*) FROM web_users").fetchone()[0]
        events = connection.execute("SELECT count(*) FROM activity_log").fetchone()[0]
    connection.close()
    assert web_users >= 200
    assert events > 0

    config = tmp_path / "portal.toml"
    config.write_text('timezone = "America/Chicago"\n')
    load = etl("run", "--config", str(config), "--source", out, "--warehouse", f"sqlite:///{tmp_path / 'wh.sqlite'}")
    assert load.returncode == 0, load.stderr
