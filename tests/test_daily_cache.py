"""The daily tables kept in memory: read once per load, cut to each view, replaced by the next load."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import select

from dashboard.data import daily_cache
from dashboard.data.view import Filters
from dashboard.data.warehouse import Warehouse
from etl.pipeline import run
from portal import schema
from portal.db import read_frame
from tests.builders import event, web_user, write_source
from tests.conftest import config_for

JANUARY = Filters(date(2025, 1, 1), date(2025, 1, 31), "week")
USERS = [
    web_user("A1", segment="residential", created_at="2025-01-02 08:00"),
    web_user("A2", segment="business", created_at="2025-01-09 08:00"),
]
EVENTS = [
    event("A1", "2025-01-03 10:00", "account_locked"),
    event("A2", "2025-01-10 10:00", "account_locked"),
    event("A2", "2025-01-20 10:00", "password_reset"),
]


@pytest.fixture
def loaded(tmp_path):
    """A source and a warehouse loaded from it once; returns (config, warehouse URL)."""
    source, url = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
    write_source(source, USERS, EVENTS)
    config = config_for(source, url)
    run(config, full=True)
    return config, url


def test_a_view_of_the_cached_table_holds_the_rows_a_query_for_that_view_returns(loaded):
    _config, url = loaded
    warehouse = Warehouse(url)
    events = schema.daily_events
    view = Filters(date(2025, 1, 5), date(2025, 1, 15), "day", segment="business")
    statement = select(*events.columns).where(
        events.c.day.between(view.start, view.end), events.c.segment == view.segment
    )
    with warehouse.engine.connect() as connection:
        expected = read_frame(connection, statement)
    cut = warehouse._daily(events, view)
    key = ["day", "event_type"]
    pd.testing.assert_frame_equal(
        cut.sort_values(key).reset_index(drop=True), expected.sort_values(key).reset_index(drop=True)
    )


def test_a_second_view_reads_no_table_again(loaded, monkeypatch):
    _config, url = loaded
    Warehouse(url).lockouts(JANUARY)
    reads = []
    monkeypatch.setattr(daily_cache, "read_frame", lambda *args: reads.append(args) or pd.DataFrame())
    Warehouse(url).lockouts(Filters(date(2025, 1, 1), date(2025, 1, 15), "day"))
    assert reads == []


def test_the_next_load_is_seen_by_the_next_view(loaded):
    config, url = loaded
    before = Warehouse(url).lockouts(JANUARY)["lockout_events"].sum()
    write_source(config.source.url, USERS, [*EVENTS, event("A1", "2025-01-21 10:00", "account_locked")])
    run(config)
    assert Warehouse(url).lockouts(JANUARY)["lockout_events"].sum() == before + 1


def test_warming_reads_every_daily_table_of_a_loaded_warehouse(loaded):
    _config, url = loaded
    daily_cache.clear()
    engine = Warehouse(url).engine
    daily_cache.warm(engine)
    token = daily_cache.load_token(engine)
    keys = {key for key in daily_cache._tables if key[0] == str(engine.url) and key[2] == token}
    assert {key[1] for key in keys} == {table.name for table in daily_cache.DAILY_TABLES}


def test_warming_a_warehouse_never_loaded_reads_nothing(tmp_path):
    daily_cache.clear()
    daily_cache.warm(Warehouse(f"sqlite:///{tmp_path}/new.sqlite").engine)
    assert len(daily_cache._tables) == 0
