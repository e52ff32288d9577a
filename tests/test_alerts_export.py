"""Issue 13, point 4: the alerts as a CSV (and workbook) for analysts, from `/export/alerts.csv`, with the
Alerts page's filters and the permissions, checks and audit entry of every export."""

from __future__ import annotations

import csv
import io
import json

import pytest

from dashboard.data.alert_list import EXPORT_COLUMNS, acknowledge
from dashboard.data.warehouse import Warehouse
from tests.alert_pages import OPENED_AT, app_on, copy_with_alerts
from tests.signin import client_as


@pytest.fixture(scope="module")
def alerts(demo_warehouse, tmp_path_factory):
    made = copy_with_alerts(demo_warehouse, tmp_path_factory.mktemp("export"))
    acknowledge(Warehouse(made.url).engine, made.wave, "ann", "vendor called", OPENED_AT.replace(hour=9))
    return made


@pytest.fixture(scope="module")
def app(alerts, make_app):
    return app_on(make_app, alerts.url)


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_has_one_row_per_alert_with_its_band_state_and_acknowledgement(app, alerts):
    response = client_as(app, "analyst").get("/export/alerts.csv")
    rows = {int(row["alert_id"]): row for row in rows_of(response)}
    assert list(rows[alerts.wave]) == list(EXPORT_COLUMNS)
    wave = rows[alerts.wave]
    assert (wave["rule"], wave["series"], wave["grain"], wave["segment"]) == (
        "lockout_events/week/up/*",
        "lockout_events",
        "week",
        "",
    )
    assert (wave["period_start"], wave["state"], wave["value"]) == (alerts.week.isoformat(), "opened", "31")
    assert (wave["usual_low"], wave["usual_high"], wave["median"]) == ("0.4", "5.6", "2")
    assert (wave["acknowledged_by"], wave["note"]) == ("ann", "vendor called")
    assert wave["acknowledged_at"].startswith("2026-02-02")
    assert rows[alerts.calm]["state"] == "closed" and rows[alerts.calm]["closed_at"]


def test_the_csv_takes_the_page_s_filters(app, alerts):
    client = client_as(app, "analyst")
    assert [int(r["alert_id"]) for r in rows_of(client.get("/export/alerts.csv?state=closed"))] == [alerts.calm]
    unacknowledged = rows_of(client.get("/export/alerts.csv?state=unacknowledged"))
    assert [int(r["alert_id"]) for r in unacknowledged] == [alerts.success]
    by_rule = rows_of(client.get("/export/alerts.csv?rule=lockout_events/week/up/*"))
    assert [int(r["alert_id"]) for r in by_rule] == [alerts.wave]


def test_a_bad_filter_gets_400_in_one_line(app):
    response = client_as(app, "analyst").get("/export/alerts.csv?state=sleeping")
    assert response.status_code == 400
    assert response.get_data(as_text=True).strip().startswith("state must be one of")
    assert client_as(app, "analyst").get("/export/alerts.csv?start=2026-01-01").status_code == 400


def test_viewers_get_no_alerts_file(app):
    assert client_as(app, "viewer").get("/export/alerts.csv").status_code == 403


def test_the_workbook_has_the_same_rows(app):
    response = client_as(app, "analyst").get("/export/alerts.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")


def test_an_alerts_export_is_audited_with_its_filters(app, alerts):
    client_as(app, "analyst").get("/export/alerts.csv?state=open")
    users = app.server.extensions["portal_users"]
    entry = users.audit_entries(action="export", target="alerts").iloc[0]
    assert entry["actor"] == "test-analyst" and json.loads(entry["detail"])["filters"] == {"state": "open"}
