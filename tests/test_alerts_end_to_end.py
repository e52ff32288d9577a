"""Issue 13, done when: on the demo source, a lockout wave injected into one week and loaded with
`python -m etl run` raises exactly one alert for that week, delivered once by email and once by webhook
to servers on loopback, and listed on the Alerts page in Chromium; rerunning the load raises nothing new; a quiet
week after it closes it, and the closing is delivered once too. Every step is the real command line, as
cron would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import column, create_engine, func, insert, select, table

from dashboard.alerts import store
from dashboard.data.warehouse import Warehouse
from etl.demo import DEMO_TIMEZONE, generate_demo
from tests.alert_pages import app_on
from tests.loopback import http_receiver, smtp_server
from tests.test_browser import SCREENSHOTS, as_user, open_page, served_in_chromium

pytestmark = pytest.mark.slow
PROJECT_ROOT = Path(__file__).resolve().parent.parent
WAVE = date(2026, 11, 2)
"""The Monday of the week after the demo's last day (Saturday 31 October 2026)."""
ACTIVITY = table(
    "activity_log",
    *(
        column(name)
        for name in ("event_id", "account_number", "occurred_at", "event_type", "actor", "channel", "detail")
    ),
)


def add_events(source: str, events: list[tuple[str, str, str]]) -> None:
    """Append (account, local time, event type) rows to a demo source's activity log, as its billing
    system would write them."""
    engine = create_engine(source)
    with engine.begin() as connection:
        first = connection.execute(select(func.max(ACTIVITY.c.event_id))).scalar_one() + 1
        rows = [
            {
                "event_id": first + n,
                "account_number": account,
                "occurred_at": at,
                "event_type": kind,
                "actor": "customer",
                "channel": "web",
                "detail": None,
            }
            for n, (account, at, kind) in enumerate(events)
        ]
        connection.execute(insert(ACTIVITY), rows)
    engine.dispose()


def lockout_wave(accounts: list[str], monday: date, count: int) -> list[tuple[str, str, str]]:
    wednesday = monday + timedelta(days=2)
    return [(accounts[n % len(accounts)], f"{wednesday} 10:{n % 60:02d}:00", "account_locked") for n in range(count)]


def next_monday(monday: date) -> list[tuple[str, str, str]]:
    """One login on the following Monday: the week before it is then whole."""
    return [("", f"{monday + timedelta(weeks=1)} 08:00:00", "login_succeeded")]


def etl_run(config: Path) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "etl", "run", "--config", str(config)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_lockout_wave_raises_one_alert_delivered_once_and_closed_when_the_week_after_is_quiet(
    request, tmp_path, tmp_path_factory, make_app
):
    source, warehouse = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
    generate_demo(source, 1_500, 11, batch_accounts=500)
    engine = create_engine(source)
    with engine.connect() as connection:
        accounts = [
            row[0]
            for row in connection.execute(select(column("account_number")).select_from(table("web_users")).limit(200))
        ]
    engine.dispose()
    with smtp_server() as (mailbox, port), http_receiver() as receiver:
        config = tmp_path / "portal.toml"
        config.write_text(
            f'timezone = "{DEMO_TIMEZONE}"\n'
            f'[source]\nurl = "{source}"\n[warehouse]\nurl = "{warehouse}"\n'
            '[alerts]\ndashboard_url = "https://analytics.office.example"\nbackoff_seconds = 0\n'
            '[[alerts.rules]]\nseries = "lockout_events"\ngrain = "week"\nmin_volume = 10\n'
            f'[alerts.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            'from = "alerts@office.example"\nrecipients = ["support-leads@office.example"]\n'
            f'[alerts.webhook]\nurls = ["{receiver.url}"]\n'
        )
        first = etl_run(config)
        assert first[-1].startswith("alerts: judged through 2026-10-30, opened 0, closed 0"), first

        add_events(source, lockout_wave(accounts, WAVE, 200) + next_monday(WAVE))
        wave = etl_run(config)
        (opened,) = [line for line in wave if line.startswith("alerts: opened")]
        assert opened.startswith("alerts: opened Lockout events (per week, up), 2026-11-02: 200 against usual"), wave
        assert len(mailbox.messages) == 1 and len(receiver.posts) == 1
        (alert,) = _alerts(warehouse)
        assert (alert.period_start, alert.value, alert.state) == (WAVE, 200, "opened")
        link = "https://analytics.office.example/lockouts?start=2026-11-02&end=2026-11-08&grain=week"
        assert link in mailbox.messages[0].get_content() and link in receiver.posts[0][2]["text"]
        app = app_on(make_app, warehouse)
        with served_in_chromium(request, app, tmp_path_factory) as browser:
            as_user(browser, app, "viewer")
            open_page(browser, "/alerts")
            row = browser.find_element(f"#alert-{alert.alert_id}").text
            browser.driver.save_screenshot(str(SCREENSHOTS / "alerts-after-a-wave.png"))
        assert "Lockout events week of 2026-11-02 above usual" in row and "(200)" in row

        again = etl_run(config)
        assert "opened 0, closed 0, deliveries sent 0, failed 0" in again[-1], again
        assert len(mailbox.messages) == 1 and len(receiver.posts) == 1 and len(_alerts(warehouse)) == 1

        after = WAVE + timedelta(weeks=1)
        add_events(source, lockout_wave(accounts, after, round(alert.usual)) + next_monday(after))
        quiet = etl_run(config)
        assert "opened 0, closed 1, deliveries sent 2, failed 0" in quiet[-1], quiet
    (closed,) = _alerts(warehouse)
    assert closed.state == "closed" and closed.close_reason.startswith(
        f"back inside its usual band in the week of {after}"
    )
    assert [m["Subject"].split("] ")[1].split(":")[0] for m in mailbox.messages] == [
        "Lockout events up in the week of Mon 02 Nov 2026 to Sun 08 Nov 2026",
        "Closed",
    ]
    assert len(receiver.posts) == 2


def _alerts(url: str) -> list[store.Alert]:
    with Warehouse(url).engine.connect() as connection:
        return store.all_alerts(connection)
