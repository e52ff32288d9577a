"""Alerts written into a copy of the demo warehouse by the store's own functions, and an app of its own
on it, for the tests of the Alerts page, its banner, acknowledgements and export: the shared demo app
stays without alerts, so no other page test meets a banner it did not ask for."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dash import Dash
from sqlalchemy.engine import make_url

from dashboard.alerts import store
from dashboard.alerts.evaluate import Judgement
from dashboard.alerts.rules import Rule
from dashboard.data.series import SERIES
from dashboard.data.warehouse import Warehouse
from dashboard.web import page_cache
from portal.config import AlertRule
from tests.conftest import config_for

OPENED_AT = datetime(2026, 2, 2, 6, 0)


def rule(series: str, grain: str = "week", direction: str = "up", segment: str | None = None) -> Rule:
    return Rule(AlertRule(series=series, grain=grain, direction=direction, segment=segment), SERIES[series])


@dataclass(frozen=True)
class Alerts:
    """The warehouse's URL and the alerts written into it, by their story."""

    url: str
    wave: int
    """Lockout events, a week far above its usual band: open."""
    success: int
    """Recovery success rate, a week below its band: open."""
    calm: int
    """Accounts locked, a week above its band, back inside the week after: closed."""
    week: date


def last_full_week(warehouse: Warehouse) -> date:
    _, last = warehouse.extent()
    return last - timedelta(days=last.weekday() + 7)


def copy_with_alerts(demo_url: str, folder) -> Alerts:
    """A copy of the demo warehouse holding three alerts on its last full week: two open, one closed."""
    target = folder / "alerts.sqlite"
    with closing(sqlite3.connect(make_url(demo_url).database)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # the demo warehouse keeps a write-ahead log a file copy would miss
    url = f"sqlite:///{target}"
    warehouse = Warehouse(url)
    week = last_full_week(warehouse)
    with warehouse.engine.begin() as connection:
        wave = store.open_alert(
            connection, Judgement(rule("lockout_events"), week, 31, 2, 0.4, 5.6, 31, True), OPENED_AT, "31 above 0-5"
        )
        success = store.open_alert(
            connection,
            Judgement(rule("recovery_success_rate", direction="down"), week, 0.41, 0.7, 0.62, 0.8, 40, True),
            OPENED_AT + timedelta(minutes=1),
            "41% below 62-80%",
        )
        calm = store.open_alert(
            connection, Judgement(rule("accounts_locked"), week, 20, 2, 0.5, 4.2, 20, True), OPENED_AT, "20 above"
        )
        back = Judgement(rule("accounts_locked"), week + timedelta(weeks=1), 3, 2, 0.5, 4.2, 3, False)
        store.close(
            connection, store.alert(connection, calm), back, OPENED_AT + timedelta(days=7), "back inside its usual band"
        )
    return Alerts(url, wave, success, calm, week)


def app_on(make_app, url: str) -> Dash:
    """An app on the warehouse that draws every page afresh, as the shared page-test app does."""
    app = make_app(config_for("sqlite://", url))
    app.server.test_client().get("/login")
    app.server.extensions.pop(page_cache.EXTENSION)
    return app
