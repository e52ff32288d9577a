"""The usual band (`baseline.usual_band`) on hand-built series small enough to check by eye."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.data.baseline import usual_band
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from tests.builders import event, web_user, write_source
from tests.conftest import config_for


def weekly(*values: float) -> pd.DataFrame:
    starts = pd.date_range("2026-01-05", periods=len(values), freq="7D")
    return pd.DataFrame({"period_start": starts, "n": values})


def everywhere(table: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=table.index)


def band_of(table: pd.DataFrame, grain: str = "week", whole: pd.Series | None = None, **kw) -> pd.DataFrame:
    return usual_band(table, "n", grain, everywhere(table) if whole is None else whole, **kw)


def test_a_wave_after_eight_quiet_weeks_is_above_the_band():
    # history 10,12,9,11,10,13,9,11: median 10.5, MAD 1.0 -> spread max(1.48, sqrt 10.5 = 3.24)
    band = band_of(weekly(10, 12, 9, 11, 10, 13, 9, 11, 31)).iloc[-1]
    assert band["usual"] == 10.5
    assert band["high"] == pytest.approx(10.5 + 3 * math.sqrt(10.5))
    assert band["low"] == pytest.approx(10.5 - 3 * math.sqrt(10.5))
    assert band["outside"] == "above"


def test_an_ordinary_week_is_inside_the_band():
    assert band_of(weekly(10, 12, 9, 11, 10, 13, 9, 11, 14)).iloc[-1]["outside"] == ""


def test_a_drop_to_nothing_is_below_the_band():
    assert band_of(weekly(40, 42, 39, 41, 40, 43, 39, 41, 0)).iloc[-1]["outside"] == "below"


def test_the_spread_is_the_scaled_median_absolute_deviation_when_it_is_wider_than_the_count_floor():
    # history 0,100,0,100,0,100,0,100: median 50, MAD 50 -> spread 74.13, band 0..272.4
    band = band_of(weekly(0, 100, 0, 100, 0, 100, 0, 100, 250)).iloc[-1]
    assert band["high"] == pytest.approx(50 + 3 * 1.4826 * 50)
    assert (band["low"], band["outside"]) == (0, "")


def test_only_the_eight_periods_before_count():
    # a wave nine weeks back is out of the history
    band = band_of(weekly(500, 10, 10, 10, 10, 10, 10, 10, 10, 10)).iloc[-1]
    assert band["usual"] == 10


def test_fewer_than_four_periods_behind_give_no_band():
    band = band_of(weekly(10, 10, 10, 99))
    assert band["usual"].isna().all()
    assert (band["outside"] == "").all()
    assert not math.isnan(band_of(weekly(10, 10, 10, 10, 99)).iloc[-1]["usual"])


def test_a_day_is_judged_against_the_same_weekday():
    # eight weeks of Mondays at 50 and other days at 2; a Monday of 50 is usual, a Tuesday of 50 is not
    days = pd.date_range("2026-01-05", periods=8 * 7 + 2, freq="D")
    counts = [50 if day.weekday() == 0 else 2 for day in days[:-1]] + [50]
    band = band_of(pd.DataFrame({"period_start": days, "n": counts}), grain="day")
    monday, tuesday = band.iloc[-2], band.iloc[-1]
    assert (monday["usual"], monday["outside"]) == (50, "")
    assert (tuesday["usual"], tuesday["outside"]) == (2, "above")


def test_a_partial_period_is_neither_history_nor_judged():
    table = weekly(3, 10, 10, 10, 10, 2)  # the first and last weeks are cut short
    whole = pd.Series([False, True, True, True, True, False])
    band = band_of(table, whole=whole)
    assert band.iloc[-1]["outside"] == ""  # the last week is low only because it is short
    assert band.iloc[-1]["usual"] == 10  # and the first week's 3 is not in its history
    assert band.iloc[-1]["value"] == 2


def test_a_rate_spread_is_at_least_one_percentage_point():
    band = band_of(weekly(*[0.9] * 8, 0.86), count=False).iloc[-1]
    assert (band["low"], band["high"]) == pytest.approx((0.87, 0.93))
    assert band["outside"] == "below"


def test_a_count_that_is_usually_zero_needs_more_than_a_couple_to_be_unusual():
    assert band_of(weekly(*[0] * 8, 3)).iloc[-1]["outside"] == ""
    assert band_of(weekly(*[0] * 8, 4)).iloc[-1]["outside"] == "above"


@pytest.fixture
def wave(tmp_path) -> Warehouse:
    """Ten quiet weeks of two lockouts, then a week of thirty, loaded through the ETL."""
    users = [web_user(f"A{n}", created_at="2026-01-01 09:00") for n in range(40)]
    quiet = [
        event(f"A{n}", f"{monday + timedelta(days=2):%Y-%m-%d} 10:00", "account_locked")
        for monday in (date(2026, 1, 5) + timedelta(weeks=w) for w in range(10))
        for n in range(2)
    ]
    burst = [event(f"A{n}", "2026-03-18 10:00", "account_locked") for n in range(30)]
    source, url = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
    write_source(source, users, [*quiet, *burst, event("A0", "2026-03-22 10:00", "login_succeeded")])
    run(config_for(source, url), full=True)
    return Warehouse(url)


def test_the_week_of_a_lockout_wave_is_above_its_usual_range(wave):
    band = wave.band("lockout_events", Filters(date(2026, 1, 5), date(2026, 3, 22), "week"))
    last = band.iloc[-1]
    assert (last["period_start"], last["value"], last["usual"], last["outside"]) == (
        pd.Timestamp("2026-03-16"),
        30,
        2,
        "above",
    )
    assert (band["outside"].iloc[:-1] == "").all()


def test_what_is_unusual_now_names_the_wave_week(wave):
    (week, judged), _ = wave.unusual_now(Filters(date(2026, 3, 1), date(2026, 3, 22), "day"))
    assert (week.start, week.end) == (date(2026, 3, 16), date(2026, 3, 22))
    outside = judged[judged["outside"] != ""].set_index("series")
    assert outside.loc["lockout_events", "value"] == 30
    assert outside.loc["accounts_locked", "value"] == 30
