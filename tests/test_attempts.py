"""SPEC section 3: forgot-password events grouped into recovery attempts."""

import pandas as pd

from etl.attempts import form_attempts


def events(*rows):
    """Rows of (event_id, account, minute offset from 10:00 on 2025-03-03, type)."""
    frame = pd.DataFrame(rows, columns=["event_id", "account_number", "minute", "event_type"])
    frame["occurred_at"] = pd.Timestamp("2025-03-03 10:00") + pd.to_timedelta(frame.pop("minute"), unit="min")
    frame["occurred_utc"] = frame["occurred_at"] + pd.Timedelta(hours=6)
    frame["event_id"] = frame["event_id"].astype(str)
    return frame


def outcomes(frame, gap=30):
    attempts = form_attempts(frame, gap)
    return list(
        zip(
            attempts["attempt_id"],
            attempts["outcome"],
            attempts["failure_reason"].fillna(""),
            attempts["events"],
            strict=True,
        )
    )


def test_a_flow_ending_in_a_reset_succeeded():
    flow = events(
        (1, "A1", 0, "recovery_requested"),
        (2, "A1", 1, "recovery_code_sent"),
        (3, "A1", 3, "security_question_passed"),
        (4, "A1", 4, "password_reset"),
    )
    assert outcomes(flow) == [("1", "succeeded", "", 4)]


def test_a_reset_wins_over_earlier_failures():
    flow = events(
        (1, "A1", 0, "recovery_requested"), (2, "A1", 2, "recovery_code_failed"), (3, "A1", 5, "password_reset")
    )
    assert outcomes(flow) == [("1", "succeeded", "", 3)]


def test_failure_reason_is_the_last_failure_event():
    flow = events(
        (1, "A1", 0, "recovery_requested"),
        (2, "A1", 2, "security_question_failed"),
        (3, "A1", 4, "recovery_code_failed"),
    )
    assert outcomes(flow) == [("1", "failed", "recovery_code_failed", 3)]


def test_a_flow_with_no_reset_and_no_failure_is_abandoned():
    flow = events((1, "A1", 0, "recovery_requested"), (2, "A1", 1, "recovery_code_sent"))
    assert outcomes(flow) == [("1", "abandoned", "", 2)]


def test_a_gap_of_exactly_the_limit_stays_in_the_attempt():
    flow = events((1, "A1", 0, "recovery_code_sent"), (2, "A1", 30, "recovery_code_failed"))
    assert outcomes(flow) == [("1", "failed", "recovery_code_failed", 2)]


def test_a_gap_one_minute_over_the_limit_starts_a_new_attempt():
    flow = events((1, "A1", 0, "recovery_code_sent"), (2, "A1", 31, "recovery_code_failed"))
    assert outcomes(flow) == [("1", "abandoned", "", 1), ("2", "failed", "recovery_code_failed", 1)]


def test_the_gap_limit_comes_from_the_settings():
    flow = events((1, "A1", 0, "recovery_code_sent"), (2, "A1", 31, "recovery_code_failed"))
    assert len(form_attempts(flow, gap_minutes=60)) == 1


def test_every_request_starts_a_new_attempt_even_minutes_apart():
    flow = events(
        (1, "A1", 0, "recovery_requested"), (2, "A1", 2, "recovery_requested"), (3, "A1", 3, "password_reset")
    )
    assert outcomes(flow) == [("1", "abandoned", "", 1), ("2", "succeeded", "", 2)]


def test_an_unknown_email_starts_and_fails_an_attempt():
    flow = events((1, "A1", 0, "recovery_code_sent"), (2, "A1", 1, "recovery_email_unknown"))
    assert outcomes(flow) == [("1", "abandoned", "", 1), ("2", "failed", "recovery_email_unknown", 1)]


def test_events_with_no_account_are_each_an_attempt_of_their_own():
    flow = events((1, None, 0, "recovery_email_unknown"), (2, None, 1, "recovery_email_unknown"))
    assert outcomes(flow) == [
        ("1", "failed", "recovery_email_unknown", 1),
        ("2", "failed", "recovery_email_unknown", 1),
    ]


def test_accounts_are_grouped_separately_even_when_interleaved():
    flow = events(
        (1, "A1", 0, "recovery_requested"),
        (2, "A2", 1, "recovery_requested"),
        (3, "A1", 2, "password_reset"),
        (4, "A2", 3, "recovery_code_failed"),
    )
    assert outcomes(flow) == [("1", "succeeded", "", 2), ("2", "failed", "recovery_code_failed", 2)]


def test_events_of_other_families_are_not_part_of_attempts():
    flow = events(
        (1, "A1", 0, "recovery_requested"), (2, "A1", 1, "password_reset_by_staff"), (3, "A1", 2, "login_failed")
    )
    assert outcomes(flow) == [("1", "abandoned", "", 1)]


def test_ties_in_time_are_ordered_by_numeric_event_id():
    flow = events((10, "A1", 0, "recovery_code_failed"), (9, "A1", 0, "recovery_requested"))
    assert outcomes(flow) == [("9", "failed", "recovery_code_failed", 2)]


def test_attempts_are_ordered_by_instant_not_by_wall_clock():
    flow = events((1, "A1", 0, "recovery_requested"), (2, "A1", 0, "recovery_code_failed"))
    flow.loc[1, "occurred_at"] = pd.Timestamp("2025-03-03 09:20")
    flow.loc[1, "occurred_utc"] = flow.loc[0, "occurred_utc"] + pd.Timedelta(minutes=20)
    assert outcomes(flow) == [("1", "failed", "recovery_code_failed", 2)]


def test_an_attempt_spans_its_first_to_its_last_event_and_belongs_to_its_first_day():
    flow = events((1, "A1", 13 * 60 + 50, "recovery_requested"), (2, "A1", 14 * 60 + 10, "recovery_code_sent"))
    attempt = form_attempts(flow).iloc[0]
    assert attempt["started_at"] == pd.Timestamp("2025-03-03 23:50")
    assert attempt["ended_at"] == pd.Timestamp("2025-03-04 00:10")
    assert attempt["started_day"] == pd.Timestamp("2025-03-03")


def test_no_recovery_events_give_no_attempts():
    assert form_attempts(events((1, "A1", 0, "login_failed"))).empty
