"""Where one account stands now, as its page opens: locked or not, and its last lockout, logins and
recovery. Locked now means the last lockout on record is later than anything that ends one."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard.data.metrics import account_status
from etl.pipeline import run
from tests.builders import event, web_user, write_source
from tests.conftest import config_for
from tests.signin import client_as
from tests.test_page_cache import content

T = pd.Timestamp
NO_ATTEMPTS = pd.DataFrame(columns=["started_at", "outcome", "failure_reason"])


def test_an_account_whose_last_word_is_a_lockout_is_locked_now():
    status = account_status({"account_locked": T("2025-01-05 10:00"), "login_succeeded": T("2025-01-04")}, NO_ATTEMPTS)
    assert status["locked_now"] is True
    assert status["last_lockout"] == T("2025-01-05 10:00")
    assert status["last_login"] == T("2025-01-04")


@pytest.mark.parametrize(
    "ended_by", ["account_unlocked", "password_reset", "password_reset_by_staff", "login_succeeded"]
)
def test_a_lockout_is_ended_by_a_later_unlock_reset_or_sign_in(ended_by):
    last_at = {"account_locked": T("2025-01-05 10:00"), ended_by: T("2025-01-05 10:30")}
    assert account_status(last_at, NO_ATTEMPTS)["locked_now"] is False


def test_a_failed_login_does_not_end_a_lockout():
    last_at = {"account_locked": T("2025-01-05 10:00"), "login_failed": T("2025-01-05 10:01")}
    status = account_status(last_at, NO_ATTEMPTS)
    assert status["locked_now"] is True
    assert status["last_failed_login"] == T("2025-01-05 10:01")


def test_an_account_never_locked_is_not_locked_and_has_no_dates():
    assert account_status({}, NO_ATTEMPTS) == {
        "locked_now": False,
        "last_lockout": None,
        "last_failed_login": None,
        "last_login": None,
        "last_recovery": None,
    }


def test_the_last_recovery_is_the_newest_attempt():
    attempts = pd.DataFrame(
        {
            "started_at": [T("2025-01-09"), T("2025-01-02")],
            "outcome": ["failed", "succeeded"],
            "failure_reason": ["recovery_code_failed", None],
        }
    )
    assert account_status({}, attempts)["last_recovery"] == {
        "started_at": T("2025-01-09"),
        "outcome": "failed",
        "failure_reason": "recovery_code_failed",
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory, make_app):
    folder = tmp_path_factory.mktemp("status")
    source, url = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    events = [
        event("A1", "2025-01-03 09:00", "login_succeeded"),
        event("A1", "2025-01-05 10:00", "login_failed"),
        event("A1", "2025-01-05 10:01", "account_locked"),
        event("A2", "2025-01-05 10:01", "account_locked"),
        event("A2", "2025-01-05 11:00", "account_unlocked"),
    ]
    write_source(source, [web_user("A1"), web_user("A2")], events)
    config = config_for(source, url, timezone="America/Chicago")
    run(config, full=True)
    return make_app(config)


def test_the_account_page_opens_with_locked_now_in_words_and_times_in_the_zone_named(app):
    page = content(client_as(app, "viewer"), "/accounts/A1")
    assert '"Locked now"' in page
    assert "2025-01-05 10:01 CST (America/Chicago)" in page
    assert '"Not locked"' in content(client_as(app, "viewer"), "/accounts/A2")


def test_the_account_page_s_time_columns_name_the_zone(app):
    page = content(client_as(app, "viewer"), "/accounts/A1", "?start=2025-01-01&end=2025-01-31")  # its events
    assert '"When (America/Chicago)"' in page
    assert "2024-01-01 09:00 CST (America/Chicago)" in page  # the web user record's created_at


def test_the_status_card_holds_the_last_failed_and_successful_logins(app):
    status = json.loads(content(client_as(app, "viewer"), "/accounts/A1"))
    text = json.dumps(status)
    assert "2025-01-05 10:00" in text and "2025-01-03 09:00" in text
