"""SPEC section 3: period tables over the daily aggregates."""

from datetime import date

import pandas as pd

from dashboard.data import metrics
from dashboard.data.view import Filters

D = pd.Timestamp


def daily_table(*columns: str):
    """A builder of one daily table's frame from rows of (day, segment, *columns)."""
    return lambda *rows: pd.DataFrame(rows, columns=["day", "segment", *columns]).assign(
        day=lambda f: pd.to_datetime(f["day"])
    )


daily_accounts = daily_table("created", "enrolled", "new_enrollments")
daily_events = daily_table("event_type", "events")
daily_attempts = daily_table("outcome", "failure_reason", "attempts")
daily_lockouts = daily_table("account_number", "lockouts")


def test_weeks_start_on_monday_and_partial_first_and_last_weeks_are_whole_periods():
    table = metrics.periods(Filters(date(2025, 1, 1), date(2025, 1, 14), "week"))
    assert table["period_start"].tolist() == [D("2024-12-30"), D("2025-01-06"), D("2025-01-13")]


def test_months_are_labelled_by_their_first_day():
    table = metrics.periods(Filters(date(2025, 1, 15), date(2025, 3, 2), "month"))
    assert table["period_start"].tolist() == [D("2025-01-01"), D("2025-02-01"), D("2025-03-01")]


def test_every_day_of_the_range_is_a_row_even_with_no_data():
    table = metrics.resets(daily_events(), Filters(date(2025, 1, 1), date(2025, 1, 3)))
    assert table.to_dict("list") == {
        "period_start": [D("2025-01-01"), D("2025-01-02"), D("2025-01-03")],
        "self_service_resets": [0, 0, 0],
        "staff_resets": [0, 0, 0],
        "password_changes": [0, 0, 0],
    }


ACCOUNTS = daily_accounts(
    ("2024-12-31", "residential", 4, 1, 1),
    ("2025-01-02", "residential", 0, 1, 1),
    ("2025-01-08", "business", 2, 2, 2),
    ("2025-01-09", "residential", 0, 1, 1),
)


def test_adoption_stocks_are_taken_at_each_periods_last_day():
    table = metrics.adoption(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 14), "week"))
    assert table["total_accounts"].tolist() == [4, 6, 6]
    assert table["enrolled_accounts"].tolist() == [2, 5, 5]


def test_adoption_stock_of_the_last_period_is_taken_at_end_not_after_it():
    table = metrics.adoption(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 8), "month"))
    assert table[["total_accounts", "enrolled_accounts"]].values.tolist() == [[6, 4]]


def test_new_enrollments_count_only_inside_the_range_even_in_a_partial_period():
    table = metrics.adoption(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 8), "month"))
    assert table["new_enrollments"].tolist() == [3]


def test_adoption_rate_is_enrolled_over_total_to_six_decimals():
    accounts = daily_accounts(("2025-01-01", "residential", 3, 1, 1))
    table = metrics.adoption(accounts, Filters(date(2025, 1, 1), date(2025, 1, 1)))
    assert table["adoption_rate"].tolist() == [0.333333]


def test_adoption_rate_is_empty_when_there_are_no_accounts_yet():
    accounts = daily_accounts(("2025-01-03", "residential", 2, 1, 1))
    table = metrics.adoption(accounts, Filters(date(2025, 1, 1), date(2025, 1, 3)))
    assert table["total_accounts"].tolist() == [0, 0, 2]
    assert table["adoption_rate"].isna().tolist() == [True, True, False]


def test_a_segment_filter_counts_only_that_segments_accounts():
    table = metrics.adoption(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 14), "week", "business"))
    assert table["total_accounts"].tolist() == [0, 2, 2]
    assert table["new_enrollments"].tolist() == [0, 2, 0]


def test_a_segment_with_no_accounts_gives_zeros_not_an_empty_table():
    table = metrics.adoption(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 2), "day", "government"))
    assert table["total_accounts"].tolist() == [0, 0]


ATTEMPTS = daily_attempts(
    ("2025-01-01", "residential", "succeeded", None, 3),
    ("2025-01-01", "residential", "failed", "recovery_code_failed", 2),
    ("2025-01-02", "unknown", "failed", "recovery_email_unknown", 4),
    ("2025-01-02", "business", "failed", "security_question_failed", 1),
    ("2025-01-02", "business", "abandoned", None, 5),
)


def test_recovery_counts_attempts_by_outcome_and_failed_ones_by_reason():
    table = metrics.recovery(ATTEMPTS, Filters(date(2025, 1, 1), date(2025, 1, 2)))
    assert table.drop(columns="period_start").values.tolist() == [
        [5, 3, 2, 0, 0, 2, 0],
        [10, 0, 5, 5, 4, 0, 1],
    ]


def test_recovery_for_one_segment():
    table = metrics.recovery(ATTEMPTS, Filters(date(2025, 1, 1), date(2025, 1, 2), "month", "business"))
    assert table[["attempts", "failed", "abandoned", "security_question_failed"]].values.tolist() == [[6, 1, 5, 1]]


def test_recovery_counts_only_attempts_started_inside_the_range():
    table = metrics.recovery(ATTEMPTS, Filters(date(2025, 1, 2), date(2025, 1, 2), "month"))
    assert table["attempts"].tolist() == [10]


def test_resets_split_self_service_staff_and_in_session_changes():
    events = daily_events(
        ("2025-01-01", "residential", "password_reset", 4),
        ("2025-01-01", "residential", "password_reset_by_staff", 2),
        ("2025-01-01", "business", "password_changed", 1),
        ("2025-01-01", "business", "login_failed", 9),
    )
    table = metrics.resets(events, Filters(date(2025, 1, 1), date(2025, 1, 1)))
    assert table.drop(columns="period_start").values.tolist() == [[4, 2, 1]]


def test_accounts_locked_counts_each_account_once_per_period():
    events = daily_events(
        ("2025-01-06", "residential", "account_locked", 2), ("2025-01-07", "residential", "account_locked", 1)
    )
    locked = daily_lockouts(
        ("2025-01-06", "residential", "A1", 1),
        ("2025-01-06", "residential", "A2", 1),
        ("2025-01-07", "residential", "A1", 1),
    )
    week = metrics.lockouts(events, locked, Filters(date(2025, 1, 6), date(2025, 1, 12), "week"))
    days = metrics.lockouts(events, locked, Filters(date(2025, 1, 6), date(2025, 1, 7), "day"))
    assert week[["lockout_events", "accounts_locked"]].values.tolist() == [[3, 2]]
    assert days[["lockout_events", "accounts_locked"]].values.tolist() == [[2, 2], [1, 1]]


def test_lockout_events_without_an_account_count_as_events_not_accounts():
    events = daily_events(("2025-01-06", "unknown", "account_locked", 1))
    table = metrics.lockouts(events, daily_lockouts(), Filters(date(2025, 1, 6), date(2025, 1, 6)))
    assert table[["lockout_events", "accounts_locked"]].values.tolist() == [[1, 0]]


def test_period_start_can_fall_before_start():
    table = metrics.resets(
        daily_events(("2025-01-01", "residential", "password_reset", 1)),
        Filters(date(2025, 1, 15), date(2025, 1, 20), "month"),
    )
    assert table.values.tolist() == [[D("2025-01-01"), 0, 0, 0]]
