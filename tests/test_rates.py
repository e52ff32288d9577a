"""The support rates, each defined once in the metrics layer and checked here by hand:

- recovery success rate = attempts that succeeded / attempts started;
- staff share of resets = staff resets / (self-service + staff resets);
- lockouts per 1,000 enrolled = lockout events / enrolled accounts at the period's end x 1,000;
- active share = active portal users / enrolled accounts, both at the period's end (the active users
  themselves by hand in tests/test_active_users.py).

A rate of nothing (no attempts, no resets, no enrolled account) is empty, never 0.
"""

from __future__ import annotations

import io
import math
from urllib.parse import urlencode

import pandas as pd
import pytest

from dashboard.charts import overview
from dashboard.data import metrics
from dashboard.data.view import Filters
from tests.page_tree import find, render_page
from tests.signin import client_as
from tests.test_metrics_views import ACCOUNTS, KPI_ATTEMPTS, KPI_EVENTS, NO_LOGINS, WEEK_2, kpi_table

WEEKS = pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"])


def period_tables():
    recovery = pd.DataFrame({"period_start": WEEKS, "attempts": [8, 0, 3], "succeeded": [6, 0, 0]})
    resets = pd.DataFrame({"period_start": WEEKS, "self_service_resets": [9, 0, 1], "staff_resets": [3, 0, 1]})
    lockouts = pd.DataFrame({"period_start": WEEKS, "lockout_events": [5, 2, 0]})
    adoption = pd.DataFrame({"period_start": WEEKS, "enrolled_accounts": [2_000, 0, 3_000]})
    active = pd.DataFrame({"period_start": WEEKS, "active_users_30d": [500, 0, 600], "active_users_90d": [1_000, 0, 0]})
    return recovery, resets, lockouts, adoption, active


def test_each_rate_per_period_is_its_share_of_that_periods_whole():
    table = metrics.rates(*period_tables())
    assert table.columns.tolist() == list(metrics.RATE_COLUMNS)
    assert table["recovery_success_rate"].tolist()[0] == 0.75  # 6 of 8
    assert table["staff_share_of_resets"].tolist()[0] == 0.25  # 3 of 9 + 3
    assert table["lockouts_per_1000_enrolled"].tolist()[0] == 2.5  # 5 per 2,000
    assert table["active_share_30d"].tolist()[0] == 0.25  # 500 of 2,000
    assert table["active_share_90d"].tolist()[0] == 0.5  # 1,000 of 2,000


def test_a_rate_of_nothing_is_empty_not_zero():
    table = metrics.rates(*period_tables())
    assert math.isnan(table["recovery_success_rate"][1])  # no attempts in the second week
    assert math.isnan(table["staff_share_of_resets"][1])  # no resets
    assert math.isnan(table["lockouts_per_1000_enrolled"][1])  # two lockouts, no enrolled account
    assert math.isnan(table["active_share_30d"][1])  # no enrolled account
    assert table["recovery_success_rate"][2] == 0.0  # three attempts, none succeeded: a true zero


def test_rates_are_rounded_to_six_places():
    table = metrics.rates(*period_tables())
    assert table["staff_share_of_resets"][2] == 0.5
    recovery, resets, lockouts, adoption, active = period_tables()
    recovery["succeeded"] = [1, 0, 1]
    assert metrics.rates(recovery, resets, lockouts, adoption, active)["recovery_success_rate"][2] == 0.333333


def test_kpi_recovery_success_rate_is_succeeded_of_all_attempts_in_each_range():
    # week 2: 3 failed on 01-09 and 4 succeeded on 01-10; before: 2 failed on 01-02
    assert kpi_table(WEEK_2)["recovery_success_rate"] == (0.571429, 0.0, 0.571429)


def test_kpi_staff_share_is_staff_of_all_resets_in_each_range():
    # week 2: 1 staff (01-09) and 2 self-service (01-12); before: 5 self-service (01-03)
    assert kpi_table(WEEK_2)["staff_share_of_resets"] == (0.333333, 0.0, 0.333333)


def test_kpi_lockouts_per_1000_enrolled_divide_by_the_enrolled_at_each_ranges_end():
    # week 2: 1 lockout, 6 enrolled at 01-14; before: 4 lockouts, 6 enrolled at 01-07
    assert kpi_table(WEEK_2)["lockouts_per_1000_enrolled"] == (166.666667, 666.666667, -500.0)


def test_the_overview_shows_shares_as_percentages_and_lockouts_per_thousand_to_one_decimal():
    assert overview.format_value("recovery_success_rate", 0.571429) == "57.1%"
    assert overview.format_value("lockouts_per_1000_enrolled", 166.666667) == "166.7"
    change = overview.describe_change("lockouts_per_1000_enrolled", -500.0)
    assert (change.text, change.verdict) == ("−500.0", "better")
    change = overview.describe_change("staff_share_of_resets", 0.333333)
    assert (change.text, change.verdict) == ("+33.3 pp", "worse")


def test_kpis_hold_the_rates_beside_their_counts():
    keys = metrics.kpis(ACCOUNTS, KPI_ATTEMPTS, KPI_EVENTS, NO_LOGINS, WEEK_2)["kpi"].tolist()
    assert keys.index("recovery_success_rate") == keys.index("failed_recovery_attempts") + 1
    assert keys.index("staff_share_of_resets") == keys.index("staff_resets") + 1
    assert keys.index("lockouts_per_1000_enrolled") == keys.index("lockout_events") + 1


RATE_PAGES = [
    ("/recovery", "recovery_success_rate"),
    ("/resets", "staff_share_of_resets"),
    ("/lockouts", "lockouts_per_1000_enrolled"),
]


@pytest.mark.parametrize(("path", "column"), RATE_PAGES)
def test_each_support_page_draws_its_rate_from_the_one_definition(in_request, warehouse, path, column):
    query = {"start": "2024-01-01", "end": "2024-06-30", "grain": "month"}
    page = render_page(path, **query)
    drawn = find(page, f"rate-{column}").figure.data[0]
    expected = warehouse.rates(Filters.parse(query, None))[column]
    assert list(drawn.y) == pytest.approx(expected.tolist(), nan_ok=True)
    link = find(page, {"type": "download", "dataset": "rates", "chart": column})
    assert link.href == "/export/rates.csv?" + urlencode(query)


def test_the_rates_csv_holds_the_rates_of_the_view(dash_app, warehouse):
    query = {"start": "2024-01-01", "end": "2024-03-31", "grain": "month"}
    text = client_as(dash_app, "analyst").get("/export/rates.csv?" + urlencode(query)).get_data(as_text=True)
    sent = pd.read_csv(io.StringIO(text))
    assert sent.columns.tolist() == list(metrics.RATE_COLUMNS)
    expected = warehouse.rates(Filters.parse(query, None))
    assert sent["staff_share_of_resets"].tolist() == pytest.approx(expected["staff_share_of_resets"].tolist())
