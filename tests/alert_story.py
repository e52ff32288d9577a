"""The lockout story the alert tests tell, loaded through the ETL: ten quiet weeks of two lockouts each
(Wednesdays, from Monday 5 January 2026), then what each test adds. A load completes a day once an
event of the next day is in, so each load ends with a login on the Monday after its last week.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dashboard.alerts import store
from dashboard.alerts.check import CheckSummary, check
from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from tests.builders import event, web_user, write_source
from tests.conftest import config_for

FIRST_MONDAY = date(2026, 1, 5)
QUIET_WEEKS = [FIRST_MONDAY + timedelta(weeks=w) for w in range(10)]
WAVE = date(2026, 3, 16)
AFTER = date(2026, 3, 23)
USERS = [web_user(f"A{n}", created_at="2026-01-01 09:00") for n in range(40)]
WEEKLY_LOCKOUTS = {"series": "lockout_events", "grain": "week", "direction": "up", "min_volume": 10}


def lockouts(monday: date, count: int) -> list[dict]:
    return [event(f"A{n}", f"{monday + timedelta(days=2):%Y-%m-%d} 10:00", "account_locked") for n in range(count)]


def monday_login(monday: date) -> dict:
    """An event on a Monday: the week before it is then whole."""
    return event("A0", f"{monday:%Y-%m-%d} 08:00", "login_succeeded")


QUIET = [event_ for monday in QUIET_WEEKS for event_ in lockouts(monday, 2)]


class Office:
    """A source the test adds to, a warehouse loaded from it, and the rules judged on it."""

    def __init__(self, source: str, warehouse: str, rules: list[dict], users: list[dict] = USERS, **alerts) -> None:
        self.source, self.users, self.events = source, users, list(QUIET)
        self.config = config_for(source, warehouse, alerts={"rules": rules, **alerts})

    def load(self, *events: dict, through: date) -> None:
        self.events += [*events, monday_login(through)]
        write_source(self.source, self.users, self.events)
        run(self.config)

    def check(self, **kwargs) -> CheckSummary:
        return check(self.config, trigger="check", **kwargs)

    def alerts(self) -> list[store.Alert]:
        with Warehouse(self.config.warehouse.url).engine.connect() as connection:
            return store.all_alerts(connection)

    def history(self, alert: store.Alert) -> list[tuple[str, date]]:
        with Warehouse(self.config.warehouse.url).engine.connect() as connection:
            return [(row["change"], day(row["period_start"])) for row in store.history(connection, alert.alert_id)]

    def deliveries(self) -> list[dict]:
        with Warehouse(self.config.warehouse.url).engine.connect() as connection:
            return store.deliveries(connection)


def day(value) -> date:
    """A stored date as a date (some drivers hand back a datetime)."""
    return value.date() if isinstance(value, datetime) else value
