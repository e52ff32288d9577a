"""SPEC section 3 and the README's pages: the figures beside the period tables, computed by hand.

Each table is a few rows of the daily aggregates, small enough to check every expected value by eye;
the comment above each expected value says how it is made.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from dashboard.data import metrics
from dashboard.data.view import Filters
from dashboard.data.warehouse import HEATMAP_TYPES, Warehouse
from portal import schema
from tests.test_metrics import D, daily_table

daily_accounts = daily_table("email_status", "created", "enrolled", "new_enrollments")
daily_events = daily_table("event_type", "events")
daily_attempts = daily_table("outcome", "failure_reason", "furthest_step", "attempts")


def hourly_events(*rows):
    """Rows of (day, hour, segment, event_type, events)."""
    frame = pd.DataFrame(rows, columns=["day", "hour", "segment", "event_type", "events"])
    return frame.assign(day=pd.to_datetime(frame["day"]))


# created / enrolled (stock: placeholder ones with access are at risk) / new enrollments
ACCOUNTS = daily_accounts(
    ("2025-01-01", "residential", "valid", 3, 2, 2),
    ("2025-01-01", "residential", "placeholder", 4, 1, 1),
    ("2025-01-03", "business", "placeholder", 2, 2, 2),
    ("2025-01-03", "residential", "missing", 1, 0, 0),
    ("2025-01-05", "business", "invalid", 1, 1, 1),
    ("2025-01-09", "residential", "placeholder", 5, 0, 0),
)


# --- at-risk accounts over time (email_status_over_time) ---------------------------------------


def test_email_statuses_over_time_are_stocks_at_each_periods_last_day():
    table = metrics.email_status_over_time(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 14), "week"))
    assert table.columns.tolist() == ["period_start", "valid", "placeholder", "missing", "invalid", "at_risk"]
    assert table.values.tolist() == [
        # as of Sun 01-05: everything but the 01-09 placeholders
        [D("2024-12-30"), 3, 6, 1, 1, 3],
        # as of Sun 01-12: the five placeholders of 01-09 (without access) join
        [D("2025-01-06"), 3, 11, 1, 1, 3],
        # as of the end, 01-14
        [D("2025-01-13"), 3, 11, 1, 1, 3],
    ]


def test_at_risk_counts_only_placeholder_accounts_with_portal_access():
    table = metrics.email_status_over_time(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 5), "month"))
    # 1 residential + 2 business placeholders with access; the valid (2) and invalid (1) enrolled are not at risk
    assert table["at_risk"].tolist() == [3]


def test_email_status_stock_of_the_last_period_is_taken_at_end_not_after_it():
    table = metrics.email_status_over_time(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 8), "month"))
    assert table[["placeholder", "at_risk"]].values.tolist() == [[6, 3]]


def test_email_statuses_count_accounts_created_before_start():
    table = metrics.email_status_over_time(ACCOUNTS, Filters(date(2025, 1, 10), date(2025, 1, 10)))
    assert table.drop(columns="period_start").values.tolist() == [[3, 11, 1, 1, 3]]


def test_email_statuses_over_time_for_one_segment():
    table = metrics.email_status_over_time(ACCOUNTS, Filters(date(2025, 1, 2), date(2025, 1, 5), "day", "business"))
    assert table.drop(columns="period_start").values.tolist() == [
        [0, 0, 0, 0, 0],  # 01-02: none yet
        [0, 2, 0, 0, 2],  # 01-03: two placeholders, both with access
        [0, 2, 0, 0, 2],
        [0, 2, 0, 1, 2],  # 01-05: one invalid email
    ]


# --- email status breakdown ---------------------------------------------------------------------


def test_email_status_breakdown_splits_each_status_by_portal_access_at_end():
    table = metrics.email_status_breakdown(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 8)))
    assert table.to_dict("list") == {
        "email_status": ["valid", "placeholder", "missing", "invalid"],
        # enrolled on or before 01-08
        "with_portal_access": [2, 3, 0, 1],
        # created minus enrolled: 3-2, (4+2)-(1+2), 1-0, 1-1
        "without_portal_access": [1, 3, 1, 0],
        "accounts": [3, 6, 1, 1],
    }


def test_email_status_breakdown_counts_accounts_up_to_end_whatever_the_start():
    table = metrics.email_status_breakdown(ACCOUNTS, Filters(date(2025, 1, 9), date(2025, 1, 9)))
    assert table["accounts"].tolist() == [3, 11, 1, 1]


def test_email_status_breakdown_lists_every_status_even_without_accounts():
    table = metrics.email_status_breakdown(ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 8), "day", "business"))
    assert table[["email_status", "with_portal_access", "without_portal_access"]].values.tolist() == [
        ["valid", 0, 0],
        ["placeholder", 2, 0],
        ["missing", 0, 0],
        ["invalid", 1, 0],
    ]


# --- KPIs against the previous range -------------------------------------------------------------


def test_the_previous_view_keeps_grain_and_segment():
    previous = metrics.previous_range(Filters(date(2025, 1, 8), date(2025, 1, 14), "week", "business"))
    assert previous == Filters(date(2025, 1, 1), date(2025, 1, 7), "week", "business")


KPI_ATTEMPTS = daily_attempts(
    ("2025-01-02", "residential", "failed", "recovery_code_failed", 1, 2),
    ("2025-01-09", "residential", "failed", "security_question_failed", 2, 3),
    ("2025-01-10", "business", "succeeded", None, 4, 4),
    ("2025-01-15", "residential", "failed", "recovery_code_failed", 1, 7),
)
KPI_EVENTS = daily_events(
    ("2024-12-31", "residential", "password_reset", 9),
    ("2025-01-03", "residential", "password_reset", 5),
    ("2025-01-07", "residential", "account_locked", 4),
    ("2025-01-08", "business", "account_locked", 1),
    ("2025-01-09", "residential", "password_reset_by_staff", 1),
    ("2025-01-12", "business", "password_reset", 2),
)
NO_LOGINS = pd.DataFrame(
    {"day": pd.Series(dtype="datetime64[us]"), "segment": [], "window_days": [], "change": []}
).astype({"window_days": "int64", "change": "int64"})
"""No active-account changes: the active users are tests/test_active_users.py's."""
WEEK_2 = Filters(date(2025, 1, 8), date(2025, 1, 14))
"""Against the previous range 01-01 .. 01-07."""


def kpi_table(filters: Filters) -> dict[str, tuple]:
    table = metrics.kpis(ACCOUNTS, KPI_ATTEMPTS, KPI_EVENTS, NO_LOGINS, filters)
    return {row.kpi: (row.value, row.previous, row.change) for row in table.itertuples()}


def test_kpi_stocks_are_taken_at_the_end_of_each_range():
    table = kpi_table(WEEK_2)
    # at 01-14 every account; at 01-07 all but the five placeholders of 01-09 (which have no access)
    assert table["enrolled_accounts"] == (6, 6, 0)
    assert table["placeholder_accounts"] == (11, 6, 5)
    assert table["at_risk_accounts"] == (3, 3, 0)


def test_kpi_flows_count_only_inside_each_range():
    table = kpi_table(WEEK_2)
    assert table["failed_recovery_attempts"] == (3, 2, 1)  # 01-09 against 01-02; 01-15 is after both
    assert table["self_service_resets"] == (2, 5, -3)  # 01-12 against 01-03; 2024-12-31 is before both
    assert table["staff_resets"] == (1, 0, 1)
    assert table["lockout_events"] == (1, 4, -3)


def test_kpi_adoption_change_is_the_difference_of_the_two_rates():
    value, previous, change = kpi_table(WEEK_2)["adoption_rate"]
    # 6 of 16 accounts at 01-14, 6 of 11 at 01-07
    assert (value, previous, change) == (0.375, 0.545455, -0.170455)


def test_kpi_rate_and_change_are_empty_when_the_previous_range_had_no_accounts():
    value, previous, change = kpi_table(Filters(date(2025, 1, 1), date(2025, 1, 2)))["adoption_rate"]
    # 3 of the 7 accounts of 01-01 enrolled; none existed by 2024-12-31
    assert value == 0.428571
    assert pd.isna(previous) and pd.isna(change)


def test_kpis_come_in_their_order_with_labels():
    table = metrics.kpis(ACCOUNTS, KPI_ATTEMPTS, KPI_EVENTS, NO_LOGINS, WEEK_2)
    assert table["kpi"].tolist() == [key for key, _ in metrics.KPIS]
    assert table["label"].tolist() == [label for _, label in metrics.KPIS]


def test_kpis_for_one_segment():
    table = metrics.kpis(
        ACCOUNTS, KPI_ATTEMPTS, KPI_EVENTS, NO_LOGINS, Filters(date(2025, 1, 8), date(2025, 1, 14), "day", "business")
    )
    values = dict(zip(table["kpi"], zip(table["value"], table["previous"], strict=True), strict=True))
    assert values["enrolled_accounts"] == (3, 3)
    assert values["adoption_rate"] == (1.0, 1.0)
    assert values["failed_recovery_attempts"] == (0, 0)
    assert values["self_service_resets"] == (2, 0)
    assert values["lockout_events"] == (1, 0)


# --- the enrollment funnel -------------------------------------------------------------------------


def test_the_enrollment_funnel_lists_the_steps_in_order_then_staff_granted_access():
    table = metrics.enrollment_funnel(
        {"registration_started": 14, "registration_completed": 8, "account_activated": 6, "portal_access_granted": 2}
    )
    assert table.values.tolist() == [
        ["registration started", "registration_started", "self-registration", 14],
        ["code rejected", "registration_code_invalid", "self-registration", 0],
        ["completed", "registration_completed", "self-registration", 8],
        ["activated", "account_activated", "self-registration", 6],
        ["access granted by staff", "portal_access_granted", "staff", 2],
    ]


# --- the recovery funnel ---------------------------------------------------------------------------

FUNNEL_ATTEMPTS = daily_attempts(
    ("2025-01-02", "residential", "abandoned", None, 0, 5),
    ("2025-01-02", "residential", "failed", "recovery_code_failed", 1, 3),
    ("2025-01-03", "residential", "failed", "security_question_failed", 2, 2),
    ("2025-01-03", "residential", "abandoned", None, 3, 1),
    ("2025-01-03", "business", "succeeded", None, 4, 4),
    ("2025-01-20", "residential", "succeeded", None, 4, 100),
)


def test_the_recovery_funnel_counts_attempts_reaching_each_step_and_the_drop_off():
    table = metrics.recovery_funnel(FUNNEL_ATTEMPTS, Filters(date(2025, 1, 1), date(2025, 1, 7)))
    assert table[["step_number", "step", "attempts", "drop_off"]].values.tolist() == [
        [0, "requested", 15, 0],  # every attempt: 5 + 3 + 2 + 1 + 4 (the 100 of 01-20 are after end)
        [1, "code sent", 10, 5],
        [2, "code passed", 7, 3],
        [3, "question passed", 5, 2],
        [4, "reset", 4, 1],
    ]
    assert table["drop_off_rate"].tolist()[1:] == [0.333333, 0.3, 0.285714, 0.2]  # 5/15, 3/10, 2/7, 1/5
    assert np.isnan(table["drop_off_rate"].iloc[0])


def test_the_recovery_funnel_of_one_segment():
    table = metrics.recovery_funnel(FUNNEL_ATTEMPTS, Filters(date(2025, 1, 1), date(2025, 1, 7), "day", "business"))
    assert table["attempts"].tolist() == [4, 4, 4, 4, 4]
    assert table["drop_off"].tolist() == [0, 0, 0, 0, 0]


def test_the_recovery_funnel_without_attempts_has_zeros_and_no_rates():
    table = metrics.recovery_funnel(FUNNEL_ATTEMPTS, Filters(date(2025, 1, 10), date(2025, 1, 12)))
    assert table["attempts"].tolist() == [0, 0, 0, 0, 0]
    assert table["drop_off"].tolist() == [0, 0, 0, 0, 0]
    assert table["drop_off_rate"].isna().all()


# --- the reset heatmap -----------------------------------------------------------------------------

# 2025-01-06 is a Monday, 2025-01-12 a Sunday
RESETS_BY_HOUR = hourly_events(
    ("2025-01-06", 9, "residential", "password_reset", 3),
    ("2025-01-06", 9, "business", "password_reset_by_staff", 2),
    ("2025-01-12", 23, "residential", "password_reset", 1),
    ("2025-01-07", 0, "residential", "password_changed", 5),
    ("2025-01-13", 9, "residential", "password_reset", 10),
)


def cells(table: pd.DataFrame) -> dict[tuple[int, int], int]:
    """The heatmap's cells that are not zero."""
    return {(row.weekday, row.hour): row.events for row in table.itertuples() if row.events}


def test_the_reset_heatmap_counts_both_kinds_of_reset_by_weekday_and_hour():
    table = metrics.reset_heatmap(RESETS_BY_HOUR, Filters(date(2025, 1, 6), date(2025, 1, 12)), HEATMAP_TYPES)
    # in-session changes are not resets; Monday 01-13 is after end
    assert cells(table) == {(0, 9): 5, (6, 23): 1}


def test_the_reset_heatmap_has_every_cell_of_the_week_in_order():
    table = metrics.reset_heatmap(RESETS_BY_HOUR, Filters(date(2025, 1, 6), date(2025, 1, 12)), HEATMAP_TYPES)
    assert len(table) == 7 * 24
    assert table[["weekday", "hour"]].values.tolist() == [[d, h] for d in range(7) for h in range(24)]
    assert table.loc[table["weekday"] == 6, "weekday_name"].unique().tolist() == ["Sun"]
    assert table["events"].sum() == 6


def test_the_reset_heatmap_adds_up_the_same_weekday_of_different_weeks():
    table = metrics.reset_heatmap(RESETS_BY_HOUR, Filters(date(2025, 1, 6), date(2025, 1, 13)), HEATMAP_TYPES)
    assert cells(table) == {(0, 9): 15, (6, 23): 1}


def test_the_reset_heatmap_of_one_segment_and_one_type():
    business = Filters(date(2025, 1, 6), date(2025, 1, 12), "day", "business")
    assert cells(metrics.reset_heatmap(RESETS_BY_HOUR, business, HEATMAP_TYPES)) == {(0, 9): 2}
    everyone = Filters(date(2025, 1, 6), date(2025, 1, 12))
    assert cells(metrics.reset_heatmap(RESETS_BY_HOUR, everyone, ("password_changed",))) == {(1, 0): 5}


# --- adoption by segment ---------------------------------------------------------------------------

SEGMENT_ACCOUNTS = pd.concat(
    [ACCOUNTS, daily_accounts(("2025-01-20", "government", "valid", 4, 4, 4))], ignore_index=True
)


def test_adoption_by_segment_takes_stocks_at_end_and_enrollments_inside_the_range():
    table = metrics.adoption_by_segment(SEGMENT_ACCOUNTS, Filters(date(2025, 1, 2), date(2025, 1, 8)))
    assert table.values.tolist() == [
        # 3 + 4 + 1 accounts, 2 + 1 enrolled, both on 01-01: before start, so no new enrollment
        ["residential", 8, 3, 0.375, 0],
        # 2 + 1 accounts, all enrolled inside the range; government's accounts come after end
        ["business", 3, 3, 1.0, 3],
    ]


def test_adoption_by_segment_is_sorted_by_accounts_largest_first():
    table = metrics.adoption_by_segment(SEGMENT_ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 31)))
    assert table[["segment", "total_accounts"]].values.tolist() == [
        ["residential", 13],
        ["government", 4],
        ["business", 3],
    ]


def test_adoption_by_segment_with_a_segment_chosen_shows_that_segment_only():
    table = metrics.adoption_by_segment(
        SEGMENT_ACCOUNTS, Filters(date(2025, 1, 1), date(2025, 1, 31), "day", "business")
    )
    assert table.values.tolist() == [["business", 3, 3, 1.0, 3]]


# --- the accounts locked most often ----------------------------------------------------------------


@pytest.fixture(scope="module")
def locked_warehouse(tmp_path_factory) -> Warehouse:
    """A fresh warehouse holding only a few accounts' lockouts per day."""
    url = f"sqlite:///{tmp_path_factory.mktemp('locked')}/warehouse.sqlite"
    locked = Warehouse(url)
    rows = [
        ("A1", "residential", date(2025, 1, 2), 2),
        ("A1", "residential", date(2025, 1, 5), 1),
        ("A2", "business", date(2025, 1, 3), 3),
        ("A3", "residential", date(2025, 1, 4), 1),
        ("A4", "residential", date(2025, 1, 20), 9),
        ("A5", "residential", date(2025, 1, 6), 3),
    ]
    with locked.engine.begin() as connection:
        connection.execute(
            insert(schema.daily_lockouts),
            [{"account_number": a, "segment": s, "day": d, "lockouts": n} for a, s, d, n in rows],
        )
    return locked


FIRST_WEEK = Filters(date(2025, 1, 1), date(2025, 1, 7))


def most_locked(warehouse: Warehouse, filters: Filters, limit: int = 20) -> list[tuple]:
    table = warehouse.most_locked(filters, limit)
    days = pd.to_datetime(table["last_locked_day"]).dt.date
    return list(zip(table["account_number"], table["segment"], table["lockouts"], days, strict=True))


def test_most_locked_sums_each_accounts_lockouts_in_the_range_most_first_ties_by_account(locked_warehouse):
    # A1: 2 + 1, A2: 3, A5: 3 tie and go by account number; A4's 9 are after end
    assert most_locked(locked_warehouse, FIRST_WEEK) == [
        ("A1", "residential", 3, date(2025, 1, 5)),
        ("A2", "business", 3, date(2025, 1, 3)),
        ("A5", "residential", 3, date(2025, 1, 6)),
        ("A3", "residential", 1, date(2025, 1, 4)),
    ]


def test_most_locked_counts_only_lockouts_inside_the_range(locked_warehouse):
    assert most_locked(locked_warehouse, Filters(date(2025, 1, 3), date(2025, 1, 31))) == [
        ("A4", "residential", 9, date(2025, 1, 20)),
        ("A2", "business", 3, date(2025, 1, 3)),
        ("A5", "residential", 3, date(2025, 1, 6)),
        ("A1", "residential", 1, date(2025, 1, 5)),
        ("A3", "residential", 1, date(2025, 1, 4)),
    ]


def test_most_locked_keeps_the_first_limit_accounts(locked_warehouse):
    assert [row[0] for row in most_locked(locked_warehouse, FIRST_WEEK, limit=2)] == ["A1", "A2"]


def test_most_locked_for_one_segment(locked_warehouse):
    business = Filters(date(2025, 1, 1), date(2025, 1, 7), "day", "business")
    assert most_locked(locked_warehouse, business) == [("A2", "business", 3, date(2025, 1, 3))]
