"""The one clock: every time the dashboard shows is in the configured zone, named beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.data.clock import headed, shown, shown_wall, span, wall_column

CHICAGO = ZoneInfo("America/Chicago")


def test_a_stored_utc_instant_is_shown_in_the_zone_with_its_abbreviation_and_name():
    assert shown(datetime(2026, 11, 29, 13, 5), CHICAGO) == "2026-11-29 07:05 CST (America/Chicago)"


def test_an_aware_instant_is_converted_to_the_zone():
    assert shown(datetime(2026, 7, 1, 13, 5, tzinfo=UTC), CHICAGO) == "2026-07-01 08:05 CDT (America/Chicago)"


def test_a_zone_whose_abbreviation_is_its_name_is_named_once():
    assert shown(datetime(2026, 11, 29, 13, 5), ZoneInfo("UTC")) == "2026-11-29 13:05 UTC"


def test_a_wall_clock_time_in_the_zone_is_labelled_without_moving():
    assert shown_wall(datetime(2026, 11, 29, 7, 5), CHICAGO) == "2026-11-29 07:05 CST (America/Chicago)"


def test_a_repeated_fall_back_hour_is_read_as_its_first_occurrence_as_the_loader_reads_it():
    assert shown_wall(datetime(2026, 11, 1, 1, 30), CHICAGO) == "2026-11-01 01:30 CDT (America/Chicago)"


def test_a_column_of_utc_instants_becomes_wall_clock_times_in_the_zone():
    stored = pd.Series(pd.to_datetime(["2026-11-29 13:05:07", None]))
    assert wall_column(stored, CHICAGO).tolist()[0] == pd.Timestamp("2026-11-29 07:05:07")
    assert pd.isna(wall_column(stored, CHICAGO).iloc[1])


def test_a_column_header_names_the_zone():
    assert headed("At", CHICAGO) == "At (America/Chicago)"


def test_spans_read_in_hours_up_to_two_days_then_in_days():
    assert span(timedelta(hours=1)) == "1 hour"
    assert span(timedelta(hours=30, minutes=40)) == "30 hours"
    assert span(timedelta(days=3, hours=5)) == "3 days"
