"""`python -m dashboard alerts check [--dry-run]` on demand, and the evaluation `python -m etl run` starts
after every load, which never fails the load, whatever becomes of it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from dashboard.alerts import store
from dashboard.data.warehouse import Warehouse
from tests.alert_story import AFTER, QUIET, USERS, WAVE, lockouts, monday_login
from tests.builders import write_source

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RULE = '[[alerts.rules]]\nseries = "{series}"\ngrain = "week"\nmin_volume = 10\n'


def python(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=180
    )


@pytest.fixture
def office(tmp_path):
    """A source holding the lockout wave and a config naming it, its warehouse and one weekly rule."""

    def make(series: str = "lockout_events") -> tuple[Path, str]:
        source, warehouse = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
        write_source(source, USERS, [*QUIET, *lockouts(WAVE, 30), monday_login(AFTER)])
        config = tmp_path / "portal.toml"
        config.write_text(
            f'[source]\nurl = "{source}"\n[warehouse]\nurl = "{warehouse}"\n' + RULE.format(series=series)
        )
        return config, warehouse

    return make


def checks(warehouse: str) -> list[dict]:
    with Warehouse(warehouse).engine.connect() as connection:
        return store.checks(connection)


def alerts(warehouse: str) -> list[store.Alert]:
    with Warehouse(warehouse).engine.connect() as connection:
        return store.all_alerts(connection)


def test_the_load_evaluates_the_rules_and_says_what_opened(office):
    config, warehouse = office()
    result = python("-m", "etl", "run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("alerts: opened Lockout events (per week, up), 2026-03-16: 30")
    assert [(c["trigger"], c["status"], c["opened"]) for c in checks(warehouse)] == [("load", "ok", 1)]


def test_a_failing_evaluation_does_not_fail_the_load_and_is_recorded(office):
    config, warehouse = office(series="no_such_series")
    result = python("-m", "etl", "run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    load, said = result.stdout.splitlines()
    assert load.startswith("full load: read 91 rows, loaded 91")
    assert said.startswith(f"alerts: evaluation failed: {config}: alerts.rules[0].series: unknown series 'no_such")
    assert [(c["trigger"], c["status"]) for c in checks(warehouse)] == [("load", "failed")]
    assert "unknown series 'no_such_series'" in checks(warehouse)[0]["error"]


def test_a_check_on_demand_judges_what_the_load_left_and_opens_nothing_twice(office):
    config, warehouse = office()
    python("-m", "etl", "run", "--config", str(config))
    result = python("-m", "dashboard", "alerts", "check", "--config", str(config))
    assert (result.returncode, result.stdout.splitlines()) == (
        0,
        ["alerts: judged through 2026-03-22, opened 0, closed 0, deliveries sent 0, failed 0"],
    )
    assert [c["trigger"] for c in checks(warehouse)] == ["load", "check"] and len(alerts(warehouse)) == 1


def test_a_dry_run_says_what_it_would_open_and_keeps_nothing(office):
    config, warehouse = office()
    loaded = python("-m", "etl", "run", "--config", str(config))
    assert loaded.returncode == 0
    with Warehouse(warehouse).engine.begin() as connection:  # as if the load had not evaluated
        for table in ("alert_history", "alerts", "alert_checks"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    result = python("-m", "dashboard", "alerts", "check", "--dry-run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(
        "alerts (dry run): opened Lockout events (per week, up), 2026-03-16"
    )
    assert alerts(warehouse) == [] and checks(warehouse) == []


def test_a_bad_rule_stops_the_check_with_one_line_naming_the_file_and_key(office):
    config, _ = office(series="lockouts")
    result = python("-m", "dashboard", "alerts", "check", "--config", str(config))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {config}: alerts.rules[0].series: unknown series 'lockouts'; expected one of")


def test_the_week_after_closes_the_alert_on_the_next_load(office, tmp_path):
    config, warehouse = office()
    python("-m", "etl", "run", "--config", str(config))
    source = f"sqlite:///{tmp_path}/source.sqlite"
    write_source(
        source, USERS, [*QUIET, *lockouts(WAVE, 30), *lockouts(AFTER, 2), monday_login(AFTER + timedelta(weeks=1))]
    )
    result = python("-m", "etl", "run", "--config", str(config))
    assert result.stdout.splitlines()[1].startswith(
        "alerts: closed Lockout events (per week, up), 2026-03-16: back inside"
    )
    assert alerts(warehouse)[0].state == "closed"
