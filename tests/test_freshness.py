"""The freshness warnings from a load state, hand-built: which ones a state raises, and their words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.data.freshness import LoadState, notices
from portal.config import FreshnessConfig

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
LIMITS = FreshnessConfig(max_load_age_hours=26, max_event_lag_hours=48)
LOADED = datetime(2026, 11, 29, 12, 0)  # naive UTC, as the warehouse keeps it


def kinds(state: LoadState) -> list[str]:
    return [notice.kind for notice in notices(state, LIMITS, ZONE, NOW)]


def test_a_recent_load_of_recent_events_raises_nothing():
    assert kinds(LoadState(loaded_at=LOADED, newest_event_at=LOADED - timedelta(hours=47))) == []


def test_nothing_loaded_and_nothing_failed_raises_nothing():
    assert kinds(LoadState()) == []


def test_a_load_exactly_as_old_as_allowed_is_not_yet_old():
    state = LoadState(loaded_at=datetime(2026, 11, 28, 11, 0), newest_event_at=datetime(2026, 11, 28, 10, 0))
    assert kinds(state) == []


def test_a_failed_first_run_says_nothing_has_been_loaded_yet():
    state = LoadState(failed_at=datetime(2026, 11, 29, 12, 30), failure="source table 'web_users' not found")
    (notice,) = notices(state, LIMITS, ZONE, NOW)
    assert notice.text == (
        "The last load failed at 2026-11-29 06:30 CST (America/Chicago): source table 'web_users' not found; "
        "nothing has been loaded yet."
    )


def test_a_failure_comes_first_then_the_age_then_the_lag():
    state = LoadState(
        loaded_at=datetime(2026, 11, 25, 12, 0),
        newest_event_at=datetime(2026, 11, 20, 12, 0),
        failed_at=datetime(2026, 11, 29, 12, 30),
        failure="boom",
    )
    assert kinds(state) == ["failed", "old", "lag"]
