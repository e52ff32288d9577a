"""New at-risk accounts against fixed ones, checked by hand.

- at risk = email status placeholder and portal access (SPEC section 3);
- new at risk in a period = distinct accounts that became at risk on one of its days: an account first
  seen at risk on the day it got portal access, `coalesce(enrolled_at, created_at)`; one a later load
  sees move into at risk on its latest `email_changed` or `portal_access_granted` day, else the load's
  local day;
- fixed in a period = distinct accounts whose email moved from the placeholder to any other status on
  one of its days: their latest `email_changed` day, else the load's local day;
- an account that keeps the placeholder but loses portal access is neither.

The source knows only the current state, so each load records the moves it sees (`etl.at_risk`) in a
history that full loads keep; the metric (`metrics.at_risk_changes`) counts that history per period.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pandas as pd
import pytest
from sqlalchemy import create_engine, select

from dashboard.charts import placeholder
from dashboard.charts.common import COLORS
from dashboard.data import metrics
from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl import at_risk
from etl.pipeline import run
from portal import schema
from tests.builders import event, web_user
from tests.conftest import config_for
from tests.page_tree import series_of
from tests.signin import client_as

PLACEHOLDER = "Blackhole@mhtc.net"
MARCH = Filters(date(2025, 3, 1), date(2025, 3, 31), "week")


# --------------------------------------------------------------------------- the metric, from a hand-built history


def history(*moves: tuple[str, str, str], segment: str = "residential") -> pd.DataFrame:
    """The loader's history rows for (account, day, change) moves, all in one segment."""
    frame = pd.DataFrame(moves, columns=["account_number", "day", "change"])
    return frame.assign(day=pd.to_datetime(frame["day"]), segment=segment)


def counted(changes: pd.DataFrame, filters: Filters = MARCH) -> dict[str, list[int]]:
    table = metrics.at_risk_changes(changes, filters)
    return {column: table[column].tolist() for column in ("new_at_risk", "fixed")}


def test_each_period_counts_the_accounts_that_became_at_risk_and_those_fixed_in_it():
    # weeks starting 02-24 (partial), 03-03, 03-10, 03-17, 03-24, 03-31 (partial)
    moves = history(
        ("A1", "2025-03-03", "became_at_risk"),
        ("A2", "2025-03-09", "became_at_risk"),
        ("A3", "2025-03-12", "fixed"),
        ("A1", "2025-03-31", "fixed"),
    )
    assert counted(moves) == {"new_at_risk": [0, 2, 0, 0, 0, 0], "fixed": [0, 0, 1, 0, 0, 1]}


def test_an_account_that_became_at_risk_twice_in_a_period_counts_once():
    moves = history(
        ("A1", "2025-03-03", "became_at_risk"),
        ("A1", "2025-03-04", "fixed"),
        ("A1", "2025-03-05", "became_at_risk"),
    )
    assert counted(moves)["new_at_risk"] == [0, 1, 0, 0, 0, 0]


def test_an_account_that_lost_portal_access_is_neither_new_at_risk_nor_fixed():
    assert counted(history(("A1", "2025-03-04", "lost_access"))) == {"new_at_risk": [0] * 6, "fixed": [0] * 6}


def test_moves_outside_the_range_do_not_count_even_in_its_partial_periods():
    moves = history(("A1", "2025-02-28", "became_at_risk"), ("A2", "2025-04-01", "fixed"))
    assert counted(moves) == {"new_at_risk": [0] * 6, "fixed": [0] * 6}


def test_a_segment_counts_only_its_accounts():
    moves = pd.concat(
        [
            history(("A1", "2025-03-03", "fixed")),
            history(("B1", "2025-03-03", "fixed"), ("B2", "2025-03-04", "fixed"), segment="business"),
        ]
    )
    business = Filters(MARCH.start, MARCH.end, "month", "business")
    assert counted(moves, business) == {"new_at_risk": [0], "fixed": [2]}


# --------------------------------------------------------------------------- the loader's moves, dated

LOAD_DAY = date(2025, 3, 20)


def state(*accounts: tuple[str, str, bool], enrolled: str = "2025-01-06") -> pd.DataFrame:
    """Accounts as (number, email status, portal access), all with access from `enrolled`."""
    frame = pd.DataFrame(accounts, columns=["account_number", "email_status", "portal_access"])
    return frame.assign(enrolled_day=pd.Timestamp(enrolled))


def last_events(*rows: tuple[str, str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account_number", "event_type", "day"])
    return frame.assign(day=pd.to_datetime(frame["day"]))


def moved(previous: pd.DataFrame, current: pd.DataFrame, events: pd.DataFrame | None = None) -> list[tuple]:
    rows = at_risk.dated(at_risk.moves(previous, current), last_events() if events is None else events, LOAD_DAY)
    return [(r.account_number, r.day.date().isoformat(), r.change) for r in rows.itertuples()]


NOTHING = state()


def test_an_account_first_seen_at_risk_became_at_risk_the_day_it_got_portal_access():
    assert moved(NOTHING, state(("A1", "placeholder", True))) == [("A1", "2025-01-06", "became_at_risk")]


def test_an_account_first_seen_without_access_or_with_a_real_email_records_nothing():
    assert moved(NOTHING, state(("A1", "placeholder", False), ("A2", "valid", True))) == []


def test_an_account_seen_moving_into_at_risk_is_dated_by_its_latest_email_change_or_access_grant():
    before = state(("A1", "valid", True), ("A2", "placeholder", False))
    now = state(("A1", "placeholder", True), ("A2", "placeholder", True))
    events = last_events(
        ("A1", "email_changed", "2025-03-02"),
        ("A1", "portal_access_granted", "2025-01-06"),
        ("A2", "email_changed", "2025-02-01"),
        ("A2", "portal_access_granted", "2025-03-11"),
    )
    assert moved(before, now, events) == [
        ("A1", "2025-03-02", "became_at_risk"),
        ("A2", "2025-03-11", "became_at_risk"),
    ]


def test_an_account_seen_moving_into_at_risk_without_such_an_event_is_dated_by_the_load():
    before, now = state(("A1", "valid", True)), state(("A1", "placeholder", True))
    assert moved(before, now, last_events(("A1", "password_reset", "2025-03-02"))) == [
        ("A1", "2025-03-20", "became_at_risk")
    ]


def test_a_placeholder_replaced_by_any_other_status_is_fixed_on_the_latest_email_change():
    before = state(("A1", "placeholder", True), ("A2", "placeholder", True), ("A3", "placeholder", True))
    now = state(("A1", "valid", True), ("A2", "invalid", True), ("A3", "missing", False))
    events = last_events(
        ("A1", "email_changed", "2025-03-05"),
        ("A1", "portal_access_granted", "2025-03-15"),  # does not date a fix
        ("A2", "email_changed", "2025-02-27"),
    )
    assert moved(before, now, events) == [
        ("A1", "2025-03-05", "fixed"),
        ("A2", "2025-02-27", "fixed"),
        ("A3", "2025-03-20", "fixed"),  # no email_changed event: the load's day
    ]


def test_an_at_risk_account_that_lost_portal_access_lost_access_and_is_not_fixed():
    before, now = state(("A1", "placeholder", True)), state(("A1", "placeholder", False))
    assert moved(before, now, last_events(("A1", "email_changed", "2025-03-05"))) == [
        ("A1", "2025-03-20", "lost_access")
    ]


def test_an_account_still_at_risk_or_gone_from_the_source_records_nothing():
    before = state(("A1", "placeholder", True), ("A2", "placeholder", True))
    assert moved(before, state(("A1", "placeholder", True))) == []


# --------------------------------------------------------------------------- loads, over real connections

ENROLLED = "2024-02-05 10:00:00"
BEFORE = [
    web_user("F1", email=PLACEHOLDER, portal_access="Y", enrolled_at=ENROLLED),
    web_user("F2", email=PLACEHOLDER, portal_access="Y", enrolled_at="2024-03-12 10:00:00"),
    web_user("K1", email=PLACEHOLDER, portal_access="Y", enrolled_at=ENROLLED),
    web_user("V1", email="v1@example.com", portal_access="Y", enrolled_at=ENROLLED),
]
EVENTS = [event("F1", "2024-02-05 10:00:00", "portal_access_granted")]
AFTER = [
    web_user("F1", email="f1@example.com", portal_access="Y", enrolled_at=ENROLLED),
    web_user("F2", email="", portal_access="Y", enrolled_at="2024-03-12 10:00:00"),
    web_user("K1", email=PLACEHOLDER, portal_access="Y", enrolled_at=ENROLLED),
    web_user("V1", email=PLACEHOLDER, portal_access="Y", enrolled_at=ENROLLED),
]
LATER_EVENTS = [
    event("F1", "2024-04-09 11:00:00", "email_changed", event_id=9001),
    event("V1", "2024-04-10 11:00:00", "email_changed", event_id=9002),
]
EXPECTED = [
    ("F1", "2024-02-05", "became_at_risk"),
    ("F1", "2024-04-09", "fixed"),
    ("F2", "2024-03-12", "became_at_risk"),
    ("K1", "2024-02-05", "became_at_risk"),
    ("V1", "2024-04-10", "became_at_risk"),
]
"""F2 is fixed too, on the day of the load that saw it (no email_changed event): checked apart."""


def recorded(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            h = schema.at_risk_changes
            rows = connection.execute(select(h.c.account_number, h.c.day, h.c.change))
            return sorted((number, str(day), change) for number, day, change in rows)
    finally:
        engine.dispose()


def today_utc() -> str:
    """The load's local day: the tests' zone is UTC."""
    return datetime.now(UTC).date().isoformat()


@pytest.mark.parametrize("second_load", ["incremental", "full"])
def test_a_later_load_records_the_accounts_it_sees_fixed_and_made_at_risk(database_url, make_source, second_load):
    url = database_url("warehouse")
    run(config_for(make_source(BEFORE, EVENTS), url))
    run(config_for(make_source(AFTER, EVENTS + LATER_EVENTS), url), full=second_load == "full")
    assert recorded(url) == sorted([*EXPECTED, ("F2", today_utc(), "fixed")])


def test_a_full_load_keeps_the_history_it_cannot_read_from_the_source(database_url, make_source):
    url = database_url("warehouse")
    run(config_for(make_source(BEFORE, EVENTS), url))
    after = make_source(AFTER, EVENTS + LATER_EVENTS)
    run(config_for(after, url))
    run(config_for(after, url), full=True)
    assert recorded(url) == sorted([*EXPECTED, ("F2", today_utc(), "fixed")])


def test_loading_the_same_source_again_records_nothing_more(database_url, make_source):
    url = database_url("warehouse")
    source = make_source(BEFORE, EVENTS)
    run(config_for(source, url))
    run(config_for(source, url))
    run(config_for(source, url), full=True)
    assert recorded(url) == [
        ("F1", "2024-02-05", "became_at_risk"),
        ("F2", "2024-03-12", "became_at_risk"),
        ("K1", "2024-02-05", "became_at_risk"),
    ]


# --------------------------------------------------------------------------- the warehouse, the drill-down, the export

APRIL = Filters(date(2024, 4, 1), date(2024, 4, 30), "month")


@pytest.fixture
def fixed_warehouse(make_source, sqlite_url) -> str:
    url = sqlite_url("warehouse")
    run(config_for(make_source(BEFORE, EVENTS), url))
    run(config_for(make_source(AFTER, EVENTS + LATER_EVENTS), url))
    return url


def test_the_warehouse_counts_new_at_risk_and_fixed_accounts_per_period(fixed_warehouse):
    table = Warehouse(fixed_warehouse).at_risk_changes(Filters(date(2024, 2, 1), date(2024, 4, 30), "month"))
    assert table.to_dict("list") == {
        "period_start": list(pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01"])),
        "new_at_risk": [2, 1, 1],  # F1 and K1; F2; V1
        "fixed": [0, 0, 1],  # F1 (F2 is fixed today)
    }


def test_a_bar_drills_down_to_exactly_the_accounts_behind_it(fixed_warehouse):
    warehouse = Warehouse(fixed_warehouse)
    fixed = warehouse.accounts(APRIL, placeholder.FIXED)["account_number"].tolist()
    became = warehouse.accounts(APRIL, placeholder.BECAME_AT_RISK)["account_number"].tolist()
    assert (fixed, became) == (["F1"], ["V1"])


def test_the_new_at_risk_series_has_a_usual_band_for_alerts(fixed_warehouse):
    band = Warehouse(fixed_warehouse).band("new_at_risk", APRIL)
    assert band["value"].tolist() == [1]


def test_the_figure_draws_new_at_risk_in_the_at_risk_colour_beside_fixed_each_bar_with_its_slice(fixed_warehouse):
    table = Warehouse(fixed_warehouse).at_risk_changes(APRIL)
    new, fixed = series_of(placeholder.at_risk_changes_figure(table, APRIL))
    assert (new.marker.color, list(new.y), list(fixed.y)) == (COLORS["at_risk"], [1], [1])
    query = {**APRIL.query(), "start": "2024-04-01", "end": "2024-04-30"}
    assert new.customdata[0] == urlencode({**query, "at_risk_change": "became_at_risk"})
    assert fixed.customdata[0] == urlencode({**query, "at_risk_change": "fixed"})


def test_the_csv_holds_the_periods_new_at_risk_and_fixed_counts(dash_app, fixed_warehouse, make_app):
    app = make_app(config_for("sqlite://", fixed_warehouse))
    response = client_as(app).get("/export/at_risk_changes.csv?start=2024-04-01&end=2024-04-30&grain=month")
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == [
        ["period_start", "new_at_risk", "fixed"],
        ["2024-04-01", "1", "1"],
    ]
    assert client_as(app).get("/export/at_risk_changes.xlsx?grain=month").status_code == 200


def test_a_bad_at_risk_change_in_an_account_export_is_a_400_in_one_line(dash_app):
    response = client_as(dash_app).get("/export/accounts.csv?at_risk_change=repaired")
    assert response.status_code == 400
    assert response.get_data(as_text=True).strip().count("\n") == 0
    assert "at_risk_change" in response.get_data(as_text=True)


def test_the_drill_down_slice_reads_in_words_on_the_account_list():
    only = AccountFilters.parse({"at_risk_change": "fixed"})
    (chip,) = only.chips(only.query(), APRIL)
    assert chip.label == "Fixed in range: placeholder email replaced"
