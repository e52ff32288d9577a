"""What an alert says and where its link leads, from a stored alert built by hand."""

from datetime import date, datetime

from dashboard.alerts.message import compose, link
from dashboard.alerts.store import CLOSED, OPENED, Alert
from dashboard.data.series import SERIES

BASE = "https://analytics.office.example"


def alert(**changes) -> Alert:
    values = {
        "alert_id": 1,
        "rule_key": "lockout_events/week/up/*",
        "series": "lockout_events",
        "grain": "week",
        "segment": None,
        "direction": "up",
        "period_start": date(2026, 3, 16),
        "last_period_start": date(2026, 3, 16),
        "value": 30.0,
        "usual": 2.0,
        "low": 0.0,
        "high": 6.24,
        "state": OPENED,
        "opened_at": datetime(2026, 3, 23, 6, 5),
        "closed_at": None,
        "close_reason": None,
    }
    return Alert(**{**values, **changes})


def test_a_day_alert_of_one_segment_links_to_that_day_and_segment():
    one_day = alert(grain="day", segment="business", period_start=date(2026, 3, 18))
    assert link(one_day, BASE) == f"{BASE}/lockouts?start=2026-03-18&end=2026-03-18&grain=day&segment=business"


def test_a_series_the_overview_does_not_check_links_to_the_page_of_its_table():
    assert link(alert(series="failed_recovery_security_question_failed"), BASE).startswith(f"{BASE}/recovery?")
    assert link(alert(series="new_enrollments"), BASE).startswith(f"{BASE}/adoption?")


def test_new_at_risk_accounts_link_to_the_placeholder_page():
    assert link(alert(series="new_at_risk"), BASE).startswith(f"{BASE}/placeholder-emails?start=2026-03-16")


def test_every_series_links_to_a_page_that_draws_it():
    assert all(not link(alert(series=name), BASE).startswith(f"{BASE}/?") for name in SERIES)


def test_a_series_this_version_does_not_know_links_to_the_overview():
    assert link(alert(series="retired_series"), BASE).startswith(f"{BASE}/?start=2026-03-16")


def test_a_rate_reads_as_percentages_and_its_band_too():
    drop = alert(series="recovery_success_rate", direction="down", value=0.25, usual=0.95, low=0.92, high=0.98)
    message = compose(drop, OPENED, BASE)
    assert message.subject.endswith(
        "Recovery success rate down in the week of Mon 16 Mar 2026 to Sun 22 Mar 2026: "
        "25.0%, usual 95.0% (band 92.0%-98.0%)"
    )
    assert "was below its usual band" in message.text


def test_a_count_s_band_is_the_whole_numbers_inside_it():
    assert "30, usual 2 (band 0-6)" in compose(alert(), OPENED, BASE).subject


def test_a_closing_says_why():
    closed = alert(state=CLOSED, close_reason="back inside its usual band in the week of 2026-03-23: 2 against usual 2")
    text = compose(closed, CLOSED, BASE).text
    assert "Why: back inside its usual band in the week of 2026-03-23: 2 against usual 2\n" in text
