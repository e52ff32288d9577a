"""Issue 13, point 4: support and admin acknowledge an open alert with a note, checked on the server;
the acknowledgement is kept in the alert's history (who, when, note) and in the audit log, and the
alert stays open until its series is back inside the band. Viewers see it and cannot make one."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import text

from dashboard.alerts import store
from dashboard.auth.guard import NotAllowed, callback_permission
from dashboard.auth.roles import Permission
from dashboard.auth.store import UserStore
from dashboard.data.alert_list import AcknowledgementRefused, acknowledge, listed_alerts
from dashboard.data.warehouse import Warehouse
from portal.migrate import upgrade
from tests.alert_pages import app_on, copy_with_alerts
from tests.page_tree import find, has, page_module, render_page, text_of
from tests.signin import client_as, signed_in

OUTPUT = "..alerts-ack-result.children...alerts-list.children...alerts-ack-alert.options...alerts-ack-note.value.."
NOW = datetime(2026, 10, 27, 8, 30)


@pytest.fixture(scope="module")
def app(demo_warehouse, tmp_path_factory, make_app):
    return app_on(make_app, copy_with_alerts(demo_warehouse, tmp_path_factory.mktemp("served")).url)


@pytest.fixture
def alerts(app, demo_warehouse, tmp_path, monkeypatch):
    """Fresh alerts for each test, the app pointed at them: acknowledging changes them."""
    made = copy_with_alerts(demo_warehouse, tmp_path)
    monkeypatch.setitem(app.server.config, "PORTAL_WAREHOUSE_URL", made.url)
    return made


def acknowledge_by_page(app, roles: str, alert_id: int, note: str):
    """The page's callback, as Dash calls it for the signed-in user."""
    callback = page_module("/alerts").acknowledge_alert
    assert callback_permission(callback) == Permission.ACKNOWLEDGE_ALERTS
    with signed_in(app, roles):
        return callback(1, alert_id, note, "")


def history_of(url: str, alert_id: int) -> list[dict]:
    with Warehouse(url).engine.connect() as connection:
        return store.history(connection, alert_id)


def listed(url: str, alert_id: int):
    return next(a for a in listed_alerts(Warehouse(url).engine) if a.alert_id == alert_id)


def test_support_acknowledges_an_open_alert_with_a_note_kept_in_its_history(app, alerts):
    message, *_ = acknowledge_by_page(app, "support", alerts.wave, "  Calling the portal vendor  ")
    assert text_of(message).startswith("Acknowledged: Lockout events week of")
    last = history_of(alerts.url, alerts.wave)[-1]
    assert (last["change"], last["actor"]) == ("acknowledged", "test-support")
    assert last["detail"] == "Calling the portal vendor"
    assert last["at"] is not None


def test_an_acknowledgement_is_written_to_the_audit_log(app, alerts):
    acknowledge_by_page(app, "admin", alerts.wave, "on it")
    (entry,) = UserStore(alerts.url).audit_entries(action="alert_acknowledged").to_dict("records")
    assert (entry["actor"], entry["target"]) == ("test-admin", str(alerts.wave))
    assert json.loads(entry["detail"])["note"] == "on it"


def test_an_acknowledged_alert_stays_open(app, alerts):
    acknowledge_by_page(app, "support", alerts.wave, "on it")
    alert = listed(alerts.url, alerts.wave)
    assert alert.state == "opened" and alert.acknowledged_by == "test-support" and alert.note == "on it"


def test_a_viewer_is_refused_acknowledging_on_the_server(app, alerts):
    with pytest.raises(NotAllowed):
        acknowledge_by_page(app, "viewer", alerts.wave, "I should not")
    assert [e["change"] for e in history_of(alerts.url, alerts.wave)] == ["opened"]


def test_a_viewer_posting_the_callback_by_hand_gets_403(app, alerts):
    payload = {
        "output": OUTPUT,
        "outputs": [
            {"id": name, "property": prop}
            for name, prop in (
                ("alerts-ack-result", "children"),
                ("alerts-list", "children"),
                ("alerts-ack-alert", "options"),
                ("alerts-ack-note", "value"),
            )
        ],
        "inputs": [{"id": "alerts-ack-submit", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "alerts-ack-alert", "property": "value", "value": alerts.wave},
            {"id": "alerts-ack-note", "property": "value", "value": "forged"},
            {"id": "view-url", "property": "search", "value": ""},
        ],
        "changedPropIds": ["alerts-ack-submit.n_clicks"],
    }
    assert client_as(app, "viewer").post("/_dash-update-component", json=payload).status_code == 403
    assert client_as(app, "support").post("/_dash-update-component", json=payload).status_code == 200
    assert listed(alerts.url, alerts.wave).note == "forged"


def test_viewers_see_the_acknowledgement(app, alerts):
    acknowledge_by_page(app, "support", alerts.wave, "vendor called back")
    with signed_in(app, "viewer"):
        row = text_of(find(render_page("/alerts"), f"alert-{alerts.wave}"))
    assert "Open, acknowledged" in row and "by test-support" in row and "vendor called back" in row


def test_support_gets_the_acknowledge_form_listing_unacknowledged_open_alerts(app, alerts):
    with signed_in(app, "support"):
        tree = render_page("/alerts")
    assert has(tree, "alerts-ack-submit")
    assert {o["value"] for o in find(tree, "alerts-ack-alert").options} == {alerts.wave, alerts.success}


def test_the_banner_says_who_acknowledged_an_alert(app, alerts):
    acknowledge_by_page(app, "support", alerts.wave, "on it")
    with signed_in(app, "viewer"):
        banner = text_of(find(render_page("/lockouts"), "alerts-banner"))
    assert "(31), acknowledged by test-support" in banner


def test_a_note_is_required(app, alerts):
    message, *_ = acknowledge_by_page(app, "support", alerts.wave, "   ")
    assert text_of(message).startswith("Not acknowledged: write a note")
    assert [e["change"] for e in history_of(alerts.url, alerts.wave)] == ["opened"]


def test_a_closed_alert_cannot_be_acknowledged(alerts):
    with pytest.raises(AcknowledgementRefused, match="closed already"):
        acknowledge(Warehouse(alerts.url).engine, alerts.calm, "someone", "late", NOW)


def test_an_alert_is_acknowledged_once_the_first_note_standing(alerts):
    engine = Warehouse(alerts.url).engine
    acknowledge(engine, alerts.wave, "ann", "first", NOW)
    with pytest.raises(AcknowledgementRefused, match="acknowledged already, by ann"):
        acknowledge(engine, alerts.wave, "bob", "second", NOW)
    assert listed(alerts.url, alerts.wave).note == "first"


def test_a_warehouse_at_revision_0010_keeps_its_alert_history_when_upgraded(alerts):
    engine = Warehouse(alerts.url).engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE alert_history DROP COLUMN actor"))
        connection.execute(text("DROP TABLE digests"))  # revision 0012's
        connection.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    engine.dispose()
    assert upgrade(alerts.url).was == "was at revision 0010, upgraded"
    entries = history_of(alerts.url, alerts.calm)
    assert [(e["change"], e["actor"]) for e in entries] == [("opened", None), ("closed", None)]
