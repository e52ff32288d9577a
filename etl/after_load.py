"""After a successful load, the alert rules are evaluated: `python -m dashboard alerts check --after-load`,
run as a process of its own.

A process, not an import: the loader sits below the dashboard (tests/test_layers.py) and the rules are
judged with the dashboard's own band (dashboard.data), so the composition happens where cron would do
it, on the command line. It also keeps the load safe from its evaluation: a crash, a hang (cut at
`TIMEOUT`) or a bad rule there cannot fail or undo a load that has already committed. What the check
cannot record itself (it never started, or was stopped), this module records in `alert_checks`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from portal import schema
from portal.config import Config
from portal.db import warehouse_engine
from portal.engine import first_line

COMMAND = ("-m", "dashboard", "alerts", "check", "--after-load")
TIMEOUT = 900
"""Seconds: enough for every rule and every delivery's retries, short of the next cron run."""
PROJECT_ROOT = Path(__file__).resolve().parent.parent
RECORDED = (0, 1)
"""Exit statuses of a check that ran and recorded itself (1: something in it failed, and it says what)."""


def evaluate_alerts(config: Config, config_path: str | None) -> list[str]:
    """Run the check on this load's warehouse with this run's config; the lines it printed, or one line
    saying why it failed. Never raises: the load has already succeeded."""
    if not config.alerts.after_load:
        return []
    env = dict(os.environ, PORTAL_WAREHOUSE_URL=config.warehouse.url)
    if config_path:
        env["PORTAL_CONFIG"] = str(config_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    started = _utc_now()
    try:
        result = subprocess.run(
            [sys.executable, *COMMAND], env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        reason = f"stopped after {TIMEOUT} s"
    except OSError as error:
        reason = first_line(error)
    else:
        if result.returncode in RECORDED:
            return result.stdout.splitlines()
        lines = result.stderr.strip().splitlines()
        reason = lines[-1].removeprefix("error: ") if lines else f"exit status {result.returncode}"
    _record_failure(config.warehouse.url, started, reason)
    return [f"alerts: evaluation failed: {reason}"]


def _record_failure(url: str, started: datetime, reason: str) -> None:
    try:
        with warehouse_engine(url).begin() as connection:
            connection.execute(
                insert(schema.alert_checks).values(
                    started_at=started,
                    finished_at=_utc_now(),
                    trigger="load",
                    status="failed",
                    opened=0,
                    closed=0,
                    deliveries_failed=0,
                    error=reason,
                )
            )
    except Exception as error:  # the load stands whatever happens here; the line printed says why
        print(f"alerts: could not record the failed evaluation: {first_line(error)}", file=sys.stderr)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
