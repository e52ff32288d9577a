"""Drawn pages are kept per page, view, permission set and load, in Redis or in the process.

Kept means served without drawing again: the tests change the warehouse's rows behind the app's
back (no new load) and expect the page as it was; after a real load the page shows the new data. A
viewer must never get an analyst's download links, nor an analyst an admin's unmasked text.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete

from dashboard.data import clock, daily_cache
from dashboard.data.warehouse import Warehouse
from dashboard.web import page_cache
from etl.extract import SourceError
from etl.pipeline import run
from portal import schema
from tests.builders import event, web_user, write_source
from tests.conftest import config_for
from tests.signin import client_as

JOINED = "2025-01-02 09:00"
"""The data begins in January 2025, too short a history to compare: pages open on all of it."""
USERS = [
    web_user("A1", segment="residential", created_at=JOINED),
    web_user("A2", segment="business", created_at=JOINED),
]
EVENTS = [
    event("A1", "2025-01-03 10:00", "account_locked"),
    event("A2", "2025-01-10 10:00", "account_locked"),
    event("Z9", "2025-01-11 10:00", "password_reset", detail="code sent to jane.doe@example.com"),
]
LOCKOUTS = "/lockouts"
JANUARY = "?start=2025-01-01&end=2025-01-31&grain=week"


def content(client, path: str, search: str = "") -> str:
    """The page content the router callback answers, as the JSON text a browser receives."""
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "state": [],
        "changedPropIds": ["_pages_location.pathname"],
    }
    answer = client.post("/_dash-update-component", json=payload)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return json.dumps(answer.get_json()["response"]["_pages_content"], ensure_ascii=False)


@pytest.fixture
def loaded(tmp_path, backend):
    """A two-account source loaded once; returns its config (each test's warehouse is its own)."""
    source, url = f"sqlite:///{tmp_path}/source.sqlite", f"sqlite:///{tmp_path}/warehouse.sqlite"
    write_source(source, USERS, EVENTS)
    config = config_for(source, url)
    run(config, full=True)
    return config


def forget_lockouts_behind_the_apps_back(url: str) -> None:
    """Empty the lockout rows without a load, and the memory of them, so only a kept page still shows them."""
    warehouse = Warehouse(url)
    with warehouse.engine.begin() as connection:
        connection.execute(delete(schema.daily_lockouts))
        connection.execute(delete(schema.daily_events))
    daily_cache.clear()


def test_a_view_drawn_once_is_served_as_drawn_until_the_next_load(loaded, make_app):
    client = client_as(make_app(loaded), "analyst")
    first = content(client, LOCKOUTS, JANUARY)
    assert "All 2 accounts locked in this range" in first

    forget_lockouts_behind_the_apps_back(loaded.warehouse.url)
    assert content(client, LOCKOUTS, JANUARY) == first


def test_a_new_load_draws_the_page_again(loaded, make_app):
    client = client_as(make_app(loaded), "analyst")
    assert "All 2 accounts locked in this range" in content(client, LOCKOUTS, JANUARY)

    users = [*USERS, web_user("A3", segment="business")]
    write_source(loaded.source.url, users, [*EVENTS, event("A3", "2025-01-20 10:00", "account_locked")])
    run(loaded)
    assert "All 3 accounts locked in this range" in content(client, LOCKOUTS, JANUARY)


def test_a_run_that_fails_after_a_page_was_kept_is_warned_about_on_it(loaded, make_app, tmp_path):
    client = client_as(make_app(loaded), "analyst")
    assert "The last load failed" not in content(client, LOCKOUTS, JANUARY)

    forget_lockouts_behind_the_apps_back(loaded.warehouse.url)
    with pytest.raises(SourceError):
        run(
            loaded.model_copy(update={"source": loaded.source.model_copy(update={"url": f"sqlite:///{tmp_path}/gone"})})
        )
    page = content(client, LOCKOUTS, JANUARY)
    assert "All 2 accounts locked in this range" in page  # still the kept drawing: no new load
    assert "The last load failed at " in page


def test_a_kept_page_warns_once_its_load_grows_older_than_allowed(loaded, make_app, monkeypatch):
    client = client_as(make_app(loaded), "analyst")
    assert "The data is " not in content(client, LOCKOUTS, JANUARY)

    later = clock.now() + timedelta(hours=loaded.freshness.max_load_age_hours + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert "The data is 27 hours old" in content(client, LOCKOUTS, JANUARY)


def test_another_view_of_the_same_page_is_drawn_for_itself(loaded, make_app):
    client = client_as(make_app(loaded), "analyst")
    content(client, LOCKOUTS, JANUARY)
    only_business = content(client, LOCKOUTS, JANUARY + "&segment=business")
    assert "The only account locked in this range" in only_business


@pytest.mark.parametrize("first_role", ["analyst", "viewer"])
def test_a_viewer_never_gets_the_download_links_an_analyst_was_drawn(loaded, make_app, first_role):
    app = make_app(loaded)
    second_role = "viewer" if first_role == "analyst" else "analyst"
    drawn = {role: content(client_as(app, role), LOCKOUTS, JANUARY) for role in (first_role, second_role)}
    assert "/export/lockouts.csv" in drawn["analyst"]
    assert "/export/" not in drawn["viewer"]


def test_an_analyst_never_gets_the_unmasked_text_an_admin_was_drawn(loaded, make_app):
    app = make_app(loaded)
    unmasked = content(client_as(app, "admin"), "/quality")
    masked = content(client_as(app, "analyst"), "/quality")
    assert "jane.doe@example.com" in unmasked
    assert "jane.doe@example.com" not in masked
    assert "j•••@example.com" in masked


@pytest.mark.parametrize("backend", ["redis"], indirect=True)  # in-process keeping is per worker by design
def test_workers_serve_the_pages_any_worker_drew(loaded, make_app):
    drawn_by_one = content(client_as(make_app(loaded), "analyst"), LOCKOUTS, JANUARY)
    forget_lockouts_behind_the_apps_back(loaded.warehouse.url)
    assert content(client_as(make_app(loaded), "analyst"), LOCKOUTS, JANUARY) == drawn_by_one


def test_an_unreachable_redis_costs_the_drawing_and_not_the_page(loaded, make_app, monkeypatch):
    app = make_app(loaded)
    client = client_as(app, "analyst")
    monkeypatch.setenv("PORTAL_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    page_cache.install(app.server)
    assert "All 2 accounts locked in this range" in content(client, LOCKOUTS, JANUARY)
    assert page_cache.warm(app.server, Warehouse(loaded.warehouse.url)) == 0


def test_warming_draws_each_roles_default_views_once_per_load(loaded, make_app):
    app = make_app(loaded)
    warehouse = Warehouse(loaded.warehouse.url)
    # viewer and support open the six chart pages and the account list; analyst and admin also /quality
    assert page_cache.warm(app.server, warehouse, views=[{}]) == 7 + 7 + 8 + 8
    assert page_cache.warm(app.server, warehouse, views=[{}]) == 0

    forget_lockouts_behind_the_apps_back(loaded.warehouse.url)
    assert "accounts locked in this range" in content(client_as(app, "viewer"), LOCKOUTS)


def test_the_views_warmed_are_the_default_then_each_grain_and_segment_of_the_default_range():
    assert page_cache.views_to_warm(["business"]) == [
        {},
        {"grain": "day"},
        {"grain": "day", "segment": "business"},
        {"grain": "week"},
        {"grain": "week", "segment": "business"},
        {"grain": "month"},
        {"grain": "month", "segment": "business"},
    ]


def test_a_view_chosen_in_the_filter_bar_is_served_as_warmed(loaded, make_app):
    app = make_app(loaded)
    page_cache.warm(app.server, Warehouse(loaded.warehouse.url), views=[{"grain": "day", "segment": "business"}])
    forget_lockouts_behind_the_apps_back(loaded.warehouse.url)
    start, end = Warehouse(loaded.warehouse.url).extent()
    spelled_out = f"?start={start}&end={end}&grain=day&segment=business"  # as the filter bar writes it
    assert "The only account locked in this range" in content(client_as(app, "analyst"), LOCKOUTS, spelled_out)


def test_nothing_is_kept_before_the_first_load(tmp_path, make_app, backend):
    empty = config_for("sqlite://", f"sqlite:///{tmp_path}/empty.sqlite")
    app = make_app(empty)
    assert page_cache.warm(app.server, Warehouse(empty.warehouse.url)) == 0
    assert "No data loaded yet" in content(client_as(app, "analyst"), LOCKOUTS)


def test_every_unmasked_view_of_an_account_page_is_audited_however_often_it_is_opened(loaded, make_app):
    app = make_app(loaded)
    support = client_as(app, "support")
    for _ in range(2):
        assert "Recovery attempts" in content(support, "/accounts/A1")
    views = app.server.extensions["portal_users"].audit_entries(action="account_viewed_unmasked", target="A1")
    assert len(views) == 2
