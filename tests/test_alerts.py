"""Issue 13, point 2: every rule judged on the whole periods the loads completed, with the pages' own
band; one alert per rule and period however often it runs, closing itself when the series is back
inside, every change in the warehouse's history. On SQLite and PostgreSQL, loaded through the ETL
(the story is tests/alert_story.py).
"""

from datetime import date, timedelta

import pytest

from dashboard.alerts import store
from dashboard.data.warehouse import Warehouse
from tests.alert_story import AFTER, QUIET_WEEKS, WAVE, WEEKLY_LOCKOUTS, Office, day, lockouts
from tests.builders import event


@pytest.fixture
def office(database_url, sqlite_url):
    def make(rules: list[dict] = (WEEKLY_LOCKOUTS,)) -> Office:
        return Office(sqlite_url("source"), database_url("warehouse"), list(rules))

    return make


def test_the_week_of_a_wave_opens_one_alert_with_its_figures(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    summary = office.check()
    (alert,) = office.alerts()
    assert (alert.rule_key, alert.period_start, alert.state) == ("lockout_events/week/up/*", WAVE, "opened")
    assert (alert.value, alert.usual) == (30, 2)
    assert alert.low <= 2 < alert.high < 30
    assert office.history(alert) == [("opened", WAVE)]
    assert len(summary.opened) == 1 and summary.complete_through == AFTER - timedelta(days=1)


def test_checking_again_opens_nothing_new(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    office.check()
    again = office.check()
    (alert,) = office.alerts()
    assert again.opened == [] and office.history(alert) == [("opened", WAVE)]


def test_a_week_still_filling_is_not_judged(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=WAVE + timedelta(days=4))  # the newest event on Friday
    assert office.check().opened == [] and office.alerts() == []
    office.load(through=AFTER)
    assert len(office.check().opened) == 1


def test_the_alert_closes_itself_once_a_week_is_back_inside_and_says_why(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    office.check()
    office.load(*lockouts(AFTER, 3), through=AFTER + timedelta(weeks=1))
    summary = office.check()
    (alert,) = office.alerts()
    assert alert.state == "closed" and alert.closed_at is not None
    assert alert.close_reason.startswith(f"back inside its usual band in the week of {AFTER}: 3 against usual 2")
    assert office.history(alert) == [("opened", WAVE), ("closed", AFTER)]
    assert len(summary.closed) == 1


def test_a_wave_of_two_weeks_is_one_alert_running_on(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    office.check()
    office.load(*lockouts(AFTER, 30), through=AFTER + timedelta(weeks=1))
    office.check()
    (alert,) = office.alerts()
    assert (alert.period_start, alert.last_period_start, alert.state) == (WAVE, AFTER, "opened")
    assert office.history(alert) == [("opened", WAVE), ("still_outside", AFTER)]


def test_a_wave_below_the_minimum_volume_raises_nothing(office):
    office = office([{**WEEKLY_LOCKOUTS, "min_volume": 31}])
    office.load(*lockouts(WAVE, 30), through=AFTER)
    assert office.check().opened == [] and office.alerts() == []


def test_a_rule_asking_for_more_spreads_beyond_the_band_lets_a_smaller_rise_pass(office):
    office = office([{**WEEKLY_LOCKOUTS, "min_volume": 0, "spreads": 2}])
    office.load(*lockouts(WAVE, 8), through=AFTER)  # usual 2, spread 1.41: above the band (6.2), not 2 beyond
    assert office.alerts() == [] and office.check().opened == []


def test_a_dry_run_says_what_would_open_and_stores_nothing(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    summary = office.check(dry_run=True)
    assert len(summary.opened) == 1 and summary.lines()[0].startswith("alerts (dry run): opened Lockout events")
    assert office.alerts() == []
    with Warehouse(office.config.warehouse.url).engine.connect() as connection:
        assert store.checks(connection) == []


def test_the_first_check_judges_the_newest_whole_period_not_old_history(office):
    office = office()
    old_wave = QUIET_WEEKS[-1]  # a wave before the loads this office evaluated: history, not news
    office.events = [e for e in office.events if not e["occurred_at"].startswith(f"{old_wave + timedelta(days=2)}")]
    office.load(*lockouts(old_wave, 30), *lockouts(WAVE, 2), through=AFTER)
    assert office.check().opened == [] and office.alerts() == []


def test_every_check_is_recorded_with_the_last_whole_day_it_judged(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    office.check()
    with Warehouse(office.config.warehouse.url).engine.connect() as connection:
        (recorded,) = store.checks(connection)
    assert (recorded["trigger"], recorded["status"], recorded["opened"], day(recorded["complete_through"])) == (
        "check",
        "ok",
        1,
        date(2026, 3, 22),
    )


def test_a_day_rule_is_judged_against_the_same_weekday(office):
    office = office([{**WEEKLY_LOCKOUTS, "grain": "day"}])
    office.load(*lockouts(WAVE, 30), through=WAVE + timedelta(days=3))
    office.check()
    (alert,) = office.alerts()
    assert (alert.grain, alert.period_start, alert.value, alert.usual) == ("day", WAVE + timedelta(days=2), 30, 2)


def test_an_open_alert_whose_rule_is_taken_out_of_the_config_closes_saying_so(office):
    office = office()
    office.load(*lockouts(WAVE, 30), through=AFTER)
    office.check()
    office.config = office.config.model_copy(update={"alerts": office.config.alerts.model_copy(update={"rules": []})})
    summary = office.check()
    (alert,) = office.alerts()
    assert (alert.state, alert.close_reason) == ("closed", "its rule is no longer in the config, so nothing judges it")
    assert office.history(alert) == [("opened", WAVE), ("closed", WAVE)] and len(summary.closed) == 1


def recoveries(monday: date, attempts: int, succeeded: int) -> list[dict]:
    """`attempts` forgot-password attempts on the Tuesday, one account each, the first `succeeded` ending
    in a reset and the others in a wrong code."""
    tuesday = f"{monday + timedelta(days=1):%Y-%m-%d}"
    out = []
    for n in range(attempts):
        out.append(event(f"A{n}", f"{tuesday} 09:00", "recovery_requested"))
        out.append(event(f"A{n}", f"{tuesday} 09:05", "password_reset" if n < succeeded else "recovery_code_failed"))
    return out


SUCCESS_DROPS = {"series": "recovery_success_rate", "grain": "week", "direction": "down", "min_volume": 20}


def test_a_drop_in_the_recovery_success_rate_opens_a_down_alert(office):
    office = office([SUCCESS_DROPS])
    usual = [e for monday in QUIET_WEEKS for e in recoveries(monday, 20, 19)]
    office.load(*usual, *recoveries(WAVE, 20, 5), through=AFTER)
    office.check()
    (alert,) = office.alerts()
    assert (alert.direction, alert.period_start, alert.value, alert.usual) == ("down", WAVE, 0.25, 0.95)


def test_a_rate_on_fewer_events_than_the_minimum_volume_raises_nothing(office):
    office = office([SUCCESS_DROPS])
    usual = [e for monday in QUIET_WEEKS for e in recoveries(monday, 20, 19)]
    office.load(*usual, *recoveries(WAVE, 19, 4), through=AFTER)
    assert office.check().opened == [] and office.alerts() == []


def test_an_evaluation_that_fails_keeps_nothing_it_judged_and_is_recorded(office, monkeypatch):
    office = office([WEEKLY_LOCKOUTS, SUCCESS_DROPS])
    office.load(*lockouts(WAVE, 30), through=AFTER)

    original = Warehouse.band

    def band_failing_on_the_second_rule(self, name, filters):
        if name == SUCCESS_DROPS["series"]:  # judged after the lockout rule has opened its alert
            raise RuntimeError("the band could not be read")
        return original(self, name, filters)

    monkeypatch.setattr(Warehouse, "band", band_failing_on_the_second_rule)
    summary = office.check()
    assert (summary.error, summary.opened) == ("the band could not be read", [])
    assert office.alerts() == []
    with Warehouse(office.config.warehouse.url).engine.connect() as connection:
        assert [(c["status"], c["error"]) for c in store.checks(connection)] == [
            ("failed", "the band could not be read")
        ]
