"""Every page says when the data was loaded, in the configured zone, and warns in words when it is old,
when its newest event lags the load, or when the last run failed.

Each test loads a two-event source written minutes before the test runs, then sets the load's times by
hand (`etl_runs`) to the situation it checks: the warnings are about times, and the clock does not wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from dashboard.data.warehouse import Warehouse
from etl.extract import SourceError
from etl.pipeline import run
from portal import schema
from portal.db import warehouse_engine
from tests.builders import event, web_user, write_source
from tests.conftest import config_for
from tests.page_tree import find, has, render_page, text_of
from tests.signin import signed_in

ZONE = "America/Chicago"
LIMITS = {"max_load_age_hours": 26, "max_event_lag_hours": 48}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def wall_clock(moment: datetime) -> str:
    """A naive UTC instant as the source writes times: wall-clock time in the office's zone."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def office(tmp_path, make_app):
    """A warehouse loaded just now from two events of the last hours, and the app over it; returns the app and
    the warehouse URL."""
    source, url = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
    now = utc_now()
    events = [
        event("A1", wall_clock(now - timedelta(hours=3)), "login_succeeded"),
        event("A1", wall_clock(now - timedelta(hours=2)), "account_locked"),
    ]
    write_source(source, [web_user("A1")], events)
    config = config_for(source, url, timezone=ZONE, freshness=LIMITS)
    run(config)
    return make_app(config), url


def set_last_load(url: str, finished_at: datetime, newest_event_at: datetime) -> None:
    """Make the last load one that finished at `finished_at` holding events up to `newest_event_at` (naive UTC)."""
    with warehouse_engine(url).begin() as connection:
        connection.execute(update(schema.etl_runs).values(finished_at=finished_at, watermark_utc=newest_event_at))


def top_of(app, path: str = "/lockouts"):
    """The heading block of a page (title, freshness line, warnings) as a viewer gets it."""
    with signed_in(app, "viewer"):
        return render_page(path)


def test_the_last_load_is_shown_in_the_configured_zone_with_its_name(office):
    app, url = office
    set_last_load(url, datetime(2026, 11, 29, 13, 5), datetime(2026, 11, 29, 12, 0))
    assert text_of(find(top_of(app), "freshness")) == "Data last loaded 2026-11-29 07:05 CST (America/Chicago)"


def test_a_fresh_load_of_recent_events_has_no_warning(office):
    app, _url = office
    assert not has(top_of(app), "freshness-warnings")


def test_a_load_older_than_the_configured_age_is_warned_about(office):
    app, url = office
    now = utc_now()
    set_last_load(url, now - timedelta(hours=30, minutes=10), now - timedelta(hours=31))
    warning = text_of(find(top_of(app), "freshness-old"))
    assert warning.startswith("The data is 30 hours old, more than the 26 hours allowed")
    assert not has(top_of(app), "freshness-lag")


def test_a_newest_event_lagging_the_load_is_warned_about_with_its_time(office):
    app, url = office
    loaded = utc_now() - timedelta(hours=1)
    set_last_load(url, loaded, datetime(2026, 11, 25, 20, 2))
    warning = text_of(find(top_of(app), "freshness-lag"))
    assert warning.startswith("The newest event is from 2026-11-25 14:02 CST (America/Chicago), ")
    assert " days before the load" in warning
    assert not has(top_of(app), "freshness-old")


def test_a_failed_last_run_is_warned_about_with_its_reason_and_the_load_the_figures_are_from(office, tmp_path):
    app, url = office
    set_last_load(url, utc_now() - timedelta(hours=1), utc_now() - timedelta(hours=2))
    loaded = Warehouse(url).load_state().loaded_at
    with pytest.raises(SourceError, match=r"moved\.sqlite"):
        run(config_for(f"sqlite:///{tmp_path}/moved.sqlite", url, timezone=ZONE))
    failed_at = Warehouse(url).load_state().failed_at
    warning = text_of(find(top_of(app), "freshness-failed"))
    assert warning == (
        f"The last load failed at {shown_in_zone(failed_at)}: source database file {tmp_path}/moved.sqlite not found; "
        f"figures are from the load of {shown_in_zone(loaded)}."
    )


def test_every_data_page_carries_the_warnings(office):
    app, url = office
    now = utc_now()
    set_last_load(url, now - timedelta(hours=40), now - timedelta(days=5))
    for path in ("/", "/adoption", "/placeholder-emails", "/recovery", "/resets", "/lockouts", "/accounts"):
        top = top_of(app, path)
        assert has(top, "freshness-old") and has(top, "freshness-lag"), path


def shown_in_zone(moment: datetime) -> str:
    """The labelled time a page shows for a naive UTC instant, written out independently of the app's helper."""
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({ZONE})"
