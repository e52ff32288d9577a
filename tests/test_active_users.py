"""The fourth rate, checked by hand: active portal users against enrolled accounts.

- active users (30 days) on a day D = distinct accounts with a `login_succeeded` on one of the 30
  days ending at D, D included (D-29 .. D); the same over 90 days (D-89 .. D);
- active share = active users / enrolled accounts on D, empty when none is enrolled.

The loader turns each account's login days into the days it becomes active and stops being active
(`etl.aggregates.active_changes`, the one place that sees logins per account); the metrics add those
changes up to any day. So every test here goes from login days to the figure, through both.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from urllib.parse import urlencode

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, delete, select

import etl.pipeline
from dashboard.charts import overview
from dashboard.data import metrics
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl import aggregates
from etl.pipeline import run
from etl.stage import EventStage
from etl.transform import normalise_web_users
from portal import schema
from portal.db import warehouse_engine
from tests.builders import event, web_user
from tests.conftest import config_for
from tests.page_tree import find, render_page, text_of
from tests.signin import client_as
from tests.test_metrics_views import daily_accounts

END = date(2025, 3, 31)
ACCOUNTS = pd.DataFrame(
    {"account_number": ["A1", "A2", "B1"], "segment": ["residential", "residential", "business"]},
)


def before_end(days: int) -> str:
    return (END - timedelta(days=days)).isoformat()


def changes(*logins: tuple[str, str]) -> pd.DataFrame:
    """The loader's active-account changes for these (account, login day) pairs."""
    frame = pd.DataFrame(logins, columns=["account_number", "day"])
    return aggregates.active_changes(frame.assign(day=pd.to_datetime(frame["day"])), ACCOUNTS)


def active(*logins: tuple[str, str], segment: str | None = None, on: date = END) -> dict[str, int]:
    return metrics.active_users_at(changes(*logins), on, segment)


def test_a_login_29_days_before_the_day_is_in_its_30_day_window():
    assert active(("A1", before_end(29)))["active_users_30d"] == 1


def test_a_login_30_days_before_the_day_is_out_of_its_30_day_window():
    assert active(("A1", before_end(30)))["active_users_30d"] == 0


def test_a_login_on_the_day_itself_counts():
    assert active(("A1", before_end(0))) == {"active_users_30d": 1, "active_users_90d": 1}


def test_a_login_after_the_day_does_not_count():
    assert active(("A1", (END + timedelta(days=1)).isoformat())) == {"active_users_30d": 0, "active_users_90d": 0}


def test_the_90_day_window_holds_day_minus_89_but_not_day_minus_90():
    assert active(("A1", before_end(89)))["active_users_90d"] == 1
    assert active(("A1", before_end(90)))["active_users_90d"] == 0


def test_two_logins_of_one_account_count_once():
    assert active(("A1", before_end(3)), ("A1", before_end(20)))["active_users_30d"] == 1


def test_two_logins_of_one_account_on_one_day_count_once():
    assert active(("A1", before_end(3)), ("A1", before_end(3)))["active_users_30d"] == 1


def test_each_account_counts_once():
    assert active(("A1", before_end(3)), ("A2", before_end(3)), ("B1", before_end(40))) == {
        "active_users_30d": 2,
        "active_users_90d": 3,
    }


def test_an_account_is_active_again_after_a_gap():
    logins = (("A1", "2025-01-01"), ("A1", "2025-03-01"))
    # active 01-01 .. 01-30, not 01-31 .. 02-28, again from 03-01
    assert [active(*logins, on=date(2025, 1, day))["active_users_30d"] for day in (30, 31)] == [1, 0]
    assert active(*logins, on=date(2025, 2, 28))["active_users_30d"] == 0
    assert active(*logins, on=date(2025, 3, 1))["active_users_30d"] == 1


def test_a_segment_counts_only_its_accounts():
    logins = (("A1", before_end(3)), ("B1", before_end(3)))
    assert active(*logins, segment="business")["active_users_30d"] == 1
    assert active(*logins, segment="residential")["active_users_30d"] == 1


def test_a_login_of_an_account_not_loaded_counts_in_segment_unknown():
    logins = (("A1", before_end(3)), ("Z9", before_end(3)))
    assert active(*logins)["active_users_30d"] == 2
    assert active(*logins, segment="unknown")["active_users_30d"] == 1


def test_the_changes_keep_no_row_that_changes_nothing():
    # A1 stops being active from its first login's window end the day it logs in again: +1 and -1 cancel
    table = changes(("A1", "2025-01-01"), ("A1", "2025-01-11"))
    assert table.columns.tolist() == ["day", "segment", "window_days", "change"]
    assert (table["change"] != 0).all()
    thirty = table[table["window_days"] == 30]
    assert thirty[["day", "change"]].values.tolist() == [
        [pd.Timestamp("2025-01-01"), 1],
        [pd.Timestamp("2025-02-10"), -1],
    ]


# --- the share of enrolled accounts, for a range and per period --------------------------------

ENROLLED = daily_accounts(
    ("2025-01-01", "residential", "valid", 4, 2, 2),
    ("2025-03-01", "business", "valid", 2, 2, 2),
)
"""Two residential accounts enrolled from 01-01, two business ones from 03-01."""
NO_ATTEMPTS = pd.DataFrame(columns=["day", "segment", "outcome", "failure_reason", "furthest_step", "attempts"])
NO_EVENTS = pd.DataFrame(columns=["day", "segment", "event_type", "events"])
NO_LOCKOUTS = pd.DataFrame(columns=["day", "segment", "account_number", "lockouts"])


def kpi(filters: Filters, *logins: tuple[str, str]) -> dict[str, tuple]:
    table = metrics.kpis(ENROLLED, NO_ATTEMPTS, NO_EVENTS, changes(*logins), filters)
    return {row.kpi: (row.value, row.previous) for row in table.itertuples()}


def test_the_active_share_is_of_the_accounts_enrolled_on_the_day():
    march = Filters(date(2025, 3, 1), date(2025, 3, 31))  # against 01-29 .. 02-28
    table = kpi(march, ("A1", "2025-03-30"), ("B1", "2025-03-02"), ("A2", "2025-02-27"))
    # on 03-31: A1 and B1 (A2's login is 32 days before) of 4 enrolled; on 02-28: A2 of 2
    assert table["active_users_30d"] == (2, 1)
    assert table["active_share_30d"] == (0.5, 0.5)
    assert table["active_users_90d"] == (3, 1)
    assert table["active_share_90d"] == (0.75, 0.5)


def test_no_enrolled_account_leaves_the_share_empty():
    table = kpi(Filters(date(2024, 12, 1), date(2024, 12, 31)), ("Z9", "2024-12-30"))
    assert table["active_users_30d"][0] == 1
    assert pd.isna(table["active_share_30d"][0])


def test_the_active_share_of_a_segment_is_of_that_segments_enrolled():
    table = kpi(Filters(date(2025, 3, 1), date(2025, 3, 31), segment="business"), ("B1", "2025-03-02"))
    assert table["active_share_30d"][0] == 0.5  # one of the two business accounts


def test_per_period_the_active_users_are_counted_at_each_periods_last_day_or_the_end():
    filters = Filters(date(2025, 1, 1), date(2025, 3, 15), "month")
    table = metrics.active_users(changes(("A1", "2025-01-20"), ("A1", "2025-03-10"), ("B1", "2025-02-27")), filters)
    assert table.columns.tolist() == list(metrics.ACTIVE_COLUMNS)
    assert table[["active_users_30d", "active_users_90d"]].values.tolist() == [
        [1, 1],  # on 01-31: A1 (01-20)
        [1, 2],  # on 02-28: B1 (02-27); A1's login is 39 days before
        [2, 2],  # on 03-15, the end: A1 (03-10) and B1
    ]


def test_per_period_the_active_share_is_a_rate_beside_the_others():
    filters = Filters(date(2024, 12, 1), date(2025, 1, 31), "month")
    active_table = metrics.active_users(changes(("Z9", "2024-12-30"), ("A1", "2025-01-20")), filters)
    adoption = metrics.adoption(ENROLLED, filters)
    recovery = metrics.recovery(NO_ATTEMPTS, filters)
    resets, lockouts = metrics.resets(NO_EVENTS, filters), metrics.lockouts(NO_EVENTS, NO_LOCKOUTS, filters)
    rates = metrics.rates(recovery, resets, lockouts, adoption, active_table)
    assert rates.columns.tolist() == list(metrics.RATE_COLUMNS)
    assert math.isnan(rates["active_share_30d"][0])  # December: an active orphan, nobody enrolled
    assert rates["active_share_30d"][1] == 0.5  # January: A1 of two enrolled


def test_the_overview_shows_the_active_share_as_a_percentage_and_a_rise_as_good_news():
    assert overview.format_value("active_users_30d", 1234) == "1,234"
    assert overview.format_value("active_share_30d", 0.4567) == "45.7%"
    assert overview.describe_change("active_users_30d", 10).verdict == "better"


# --- through a load: the same figures from full and incremental runs ------------------------------

USERS = [
    web_user("A1", portal_access="Y", created_at="2024-01-01 09:00:00"),
    web_user("A2", portal_access="Y", created_at="2024-01-01 09:00:00"),
    web_user("B1", segment="business", portal_access="Y", created_at="2024-01-01 09:00:00"),
]
LOGINS = [
    [
        event("A1", "2024-01-05 10:00:00", "login_succeeded"),
        event("A2", "2024-02-20 10:00:00", "login_succeeded"),
        event("B1", "2024-03-01 10:00:00", "login_failed"),
    ],
    [  # inside A2's windows: ends them later
        event("A2", "2024-03-10 10:00:00", "login_succeeded"),
        event("B1", "2024-03-11 10:00:00", "login_succeeded"),
        event("Z9", "2024-03-11 11:00:00", "login_succeeded"),
    ],
    [event("A1", "2024-06-01 10:00:00", "login_succeeded"), event(None, "2024-06-01 11:00:00", "login_succeeded")],
]


def active_rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(map(tuple, connection.execute(select(schema.daily_active_changes))))
    finally:
        engine.dispose()


def test_incremental_runs_leave_the_changes_a_full_load_makes(database_url, make_source):
    incremental, full = database_url("incremental"), database_url("full")
    source = None
    for batch in range(len(LOGINS)):
        source = make_source(USERS, [e for events in LOGINS[: batch + 1] for e in events])
        run(config_for(source, incremental))
    run(config_for(source, full), full=True)
    assert active_rows(incremental) == active_rows(full)
    assert active_rows(full)


LOGIN_DAYS = st.lists(
    st.tuples(st.sampled_from(["A1", "A2", "B1", "Z9"]), st.integers(min_value=0, max_value=240)), max_size=40
)


@given(LOGIN_DAYS)
def test_a_full_loads_changes_formed_in_duckdb_equal_those_formed_account_by_account(logins):
    # gaps of exactly 30 and 90 days, repeats on one day and accounts not loaded all come up
    days = [date(2024, 1, 1) + timedelta(days=offset) for _, offset in logins]
    frame = pd.DataFrame({"account_number": [number for number, _ in logins], "day": pd.to_datetime(days)})
    staged = frame.assign(
        event_id=[f"e{i}" for i in range(len(frame))],
        occurred_at=frame["day"],
        occurred_utc=frame["day"],
        occurred_day=frame["day"].dt.date,
        occurred_hour=0,
        event_type="login_succeeded",
        source_event_type="login_succeeded",
    )
    with EventStage() as stage:
        stage.append(staged, pd.Series([], dtype="string"))
        formed = stage.daily_tables(ACCOUNTS)["daily_active_changes"]
    expected = aggregates.active_changes(frame, ACCOUNTS)
    assert sorted(formed.itertuples(index=False, name=None)) == sorted(
        (row.day, row.segment, row.window_days, row.change) for row in expected.itertuples(index=False)
    )


def test_the_sql_recount_of_every_day_equals_the_full_loads(database_url, make_source, monkeypatch):
    # what an incremental run does when a segment moved: every day again, from the warehouse's events
    source, url = make_source(USERS, [e for events in LOGINS for e in events]), database_url("warehouse")
    config = config_for(source, url)
    run(config, full=True)
    loaded = active_rows(url)
    monkeypatch.setattr(etl.pipeline, "ATTEMPT_BATCH_ROWS", 2)
    accounts, _ = normalise_web_users(pd.DataFrame(USERS), config)
    with warehouse_engine(url).begin() as connection:
        connection.execute(delete(schema.daily_active_changes))
        etl.pipeline.refresh_aggregates(connection, accounts, None)
    assert active_rows(url) == loaded


@pytest.fixture
def loaded(make_source, sqlite_url):
    url = sqlite_url("warehouse")
    run(config_for(make_source(USERS, [e for events in LOGINS for e in events]), url))
    return url


def test_the_warehouse_counts_the_distinct_accounts_logged_in_within_each_window(loaded):
    kpis = Warehouse(loaded).kpis(Filters(date(2024, 3, 12), date(2024, 3, 31)))
    values = dict(zip(kpis["kpi"], kpis["value"], strict=True))
    # on 03-31: A2 (03-10), B1 and Z9 (03-11) in 30 days; A1's 01-05 is 86 days before, in 90 days
    assert (values["active_users_30d"], values["active_users_90d"]) == (3, 4)
    assert values["active_share_30d"] == 1.0  # three of three enrolled (Z9 is no loaded account)


def test_the_overview_has_a_card_for_active_users_with_their_share(in_request, warehouse):
    query = {"start": "2024-01-01", "end": "2024-06-30"}
    page = render_page("/", **query)
    card = find(page, {"type": "kpi-card", "kpi": "active_users_30d"})
    text = text_of(card)
    assert "Active portal users (30 days)" in text
    figures = warehouse.kpis(Filters.parse(query, None)).set_index("kpi")["value"]
    assert overview.format_value("active_users_30d", figures["active_users_30d"]) in text
    assert f"{overview.format_value('active_share_30d', figures['active_share_30d'])} of enrolled" in text


def test_the_rates_csv_holds_the_active_shares_per_period(dash_app, warehouse):
    query = {"start": "2024-01-01", "end": "2024-03-31", "grain": "month"}
    text = client_as(dash_app, "analyst").get("/export/rates.csv?" + urlencode(query)).get_data(as_text=True)
    header = text.splitlines()[0].split(",")
    assert header[-2:] == ["active_share_30d", "active_share_90d"]
    expected = warehouse.rates(Filters.parse(query, None))["active_share_30d"]
    sent = pd.Series([float(line.split(",")[-2]) for line in text.splitlines()[1:]])
    assert sent.tolist() == pytest.approx(expected.tolist())
