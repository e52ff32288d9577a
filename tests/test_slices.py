"""A drill-down slice is whole in one class: every parameter parses, writes back, selects and reads.

Adding a field to `AccountFilters` without its line in `parse`, `conditions` or `chips` fails here,
so a slice can never be offered by a chart yet ignored by the list or missing from its chips.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date

import pytest

from dashboard.data.params import BadParameter
from dashboard.data.slices import ACCOUNT_PARAMETERS, AccountFilters
from dashboard.data.view import Filters

VIEW = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), grain="day")
SAMPLES = {
    "email_status": "placeholder",
    "portal_access": True,
    "has_failed_recovery": False,
    "username_is_email": True,
    "event_type": ("account_locked", "password_reset"),
    "weekday": 2,
    "hour": 9,
    "outcome": "failed",
    "failure_reason": "recovery_code_failed",
    "step": 3,
    "min_failed": 2,
    "enrolled": True,
    "at_risk_change": "fixed",
}
"""One value per slice parameter, as a chart would set it."""


def test_every_slice_parameter_has_a_sample_here():
    assert set(SAMPLES) == {field.name for field in fields(AccountFilters)} == ACCOUNT_PARAMETERS


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_slice_reads_back_from_its_own_query_string(name):
    only = AccountFilters(**{name: SAMPLES[name]})
    assert AccountFilters.parse(only.query()) == only


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_slice_adds_one_sql_condition(name):
    only = AccountFilters(**{name: SAMPLES[name]})
    assert len(only.conditions(VIEW)) == len(AccountFilters().conditions(VIEW)) + 1


@pytest.mark.parametrize("name", sorted(set(SAMPLES) - {"weekday", "hour"}))
def test_a_slice_shows_as_one_chip_that_drops_its_parameter(name):
    only = AccountFilters(**{name: SAMPLES[name]})
    (chip,) = only.chips(only.query(), VIEW)
    assert chip.params == (name,)


def test_weekday_and_hour_together_read_as_one_chip():
    only = AccountFilters(weekday=2, hour=9)
    (chip,) = only.chips(only.query(), VIEW)
    assert (chip.label, chip.params) == ("Weekday: Wed, 09:00-10:00", ("weekday", "hour"))


def test_the_drill_down_period_and_segment_read_as_chips_before_the_slice():
    view = Filters(start=date(2026, 3, 2), end=date(2026, 3, 8), grain="week", segment="Business")
    only = AccountFilters(outcome="failed")
    labels = [chip.label for chip in only.chips({**view.query(), **only.query()}, view)]
    assert labels == ["Week of 2026-03-02", "Segment: Business", "Outcome: failed"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"outcome": "lost"}, "outcome must be one of abandoned, failed, succeeded, got 'lost'"),
        ({"hour": "24"}, "hour must be a whole number from 0 to 23, got '24'"),
        ({"portal_access": "maybe"}, "portal_access must be true or false, got 'maybe'"),
        ({"event_type": "login"}, "event_type 'login' is not a canonical event type"),
    ],
)
def test_a_bad_slice_parameter_is_named_in_one_line(query, message):
    with pytest.raises(BadParameter) as raised:
        AccountFilters.parse(query)
    assert str(raised.value) == message
