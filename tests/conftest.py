"""Shared fixtures: hand-built sources in SQLite, PostgreSQL or MariaDB, and fresh warehouses."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from dash import Dash
from dash.development.base_component import Component
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text

from dashboard.data.warehouse import Warehouse
from dashboard.web import page_cache
from portal.config import Config
from tests.builders import write_source
from tests.page_tree import render_page
from tests.signin import Clock, signed_in

settings.register_profile(
    "portal",
    max_examples=30,
    deadline=None,
    # the property tests share session-scoped apps and warehouses; nothing is reset between examples
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile("thorough", parent=settings.get_profile("portal"), max_examples=1_000)
settings.load_profile(os.environ.get("PORTAL_HYPOTHESIS_PROFILE", "portal"))
"""A few dozen examples per property keeps the suite fast; PORTAL_HYPOTHESIS_PROFILE=thorough digs deeper."""

PG_SERVER = os.environ.get("PORTAL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")


MARIADB_SERVER = os.environ.get("PORTAL_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")


def _answers(url: str) -> bool:
    try:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
        finally:
            engine.dispose()
        return True
    except Exception:
        return False


REDIS_URL = os.environ.get("PORTAL_TEST_REDIS", "redis://127.0.0.1:6379/0")


def redis_reachable() -> str:
    """The test Redis URL, skipping the test when Redis does not answer (failing it where CI requires Redis)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if os.environ.get("PORTAL_REQUIRE_REDIS"):
            pytest.fail(f"Redis is required but not reachable at {REDIS_URL}")
        pytest.skip("Redis not reachable")
    return REDIS_URL


@pytest.fixture(params=["without-redis", "redis"])
def backend(request, monkeypatch) -> str:
    """Where the state every worker shares lives: Redis (`PORTAL_REDIS_URL` set) or, without it, the
    warehouse (sign-in counters) and each process (drawn pages)."""
    if request.param == "redis":
        monkeypatch.setenv("PORTAL_REDIS_URL", redis_reachable())
    else:
        monkeypatch.delenv("PORTAL_REDIS_URL", raising=False)
    return request.param


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL; CI sets PORTAL_REQUIRE_POSTGRES so a missing server fails."""
    return _reachable("PostgreSQL", PG_SERVER, "PORTAL_REQUIRE_POSTGRES")


@pytest.fixture
def new_postgres_database(postgres_server: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty PostgreSQL databases and drops them afterwards."""
    admin = create_engine(f"{postgres_server}/test", isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"portal_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"{postgres_server}/{name}"

    yield make
    from portal.db import warehouse_engine

    warehouse_engine.cache_clear()
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    """The MariaDB server URL (a source only); CI sets PORTAL_REQUIRE_MARIADB so a missing server fails."""
    return _reachable("MariaDB", MARIADB_SERVER, "PORTAL_REQUIRE_MARIADB")


REQUIRED_BY = {"postgres": "PORTAL_REQUIRE_POSTGRES", "mariadb": "PORTAL_REQUIRE_MARIADB"}
"""The variable that makes each server marker's tests mandatory (CI sets both)."""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A test marked for a server fails, never skips, when that server is required.

    The shared fixtures already fail then; this catches a test that connects and skips on its own,
    which would pass in CI with the server down.
    """
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        for marker, variable in REQUIRED_BY.items():
            if item.get_closest_marker(marker) and os.environ.get(variable):
                report.outcome = "failed"
                report.longrepr = f"{item.nodeid} is marked {marker} and {variable} is set, but it skipped"
    return report


def _reachable(name: str, server: str, required_by: str) -> str:
    """The server's URL; skips the test when it does not answer, or fails it when `required_by` is set."""
    if not _answers(f"{server}/test"):
        if os.environ.get(required_by):
            pytest.fail(f"{name} is required but not reachable at {server}")
        pytest.skip(f"{name} not reachable")
    return server


def create_mariadb_database(server: str) -> str:
    """A fresh, empty MariaDB database with a name of its own (test runs share the server); its name."""
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/test")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE `{name}`"))
    admin.dispose()
    return name


def drop_mariadb_databases(server: str, names: list[str]) -> None:
    admin = create_engine(f"{server}/test")
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    admin.dispose()


@pytest.fixture
def new_mariadb_database(mariadb_server: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty MariaDB databases and drops them afterwards."""
    made: list[str] = []

    def make() -> str:
        made.append(create_mariadb_database(mariadb_server))
        return f"{mariadb_server}/{made[-1]}"

    yield make
    drop_mariadb_databases(mariadb_server, made)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Callable[[str], str]:
    """A factory of empty databases of one kind: SQLite files or PostgreSQL databases."""
    if request.param == "sqlite":
        return lambda name: f"sqlite:///{tmp_path / name}.sqlite"
    maker = request.getfixturevalue("new_postgres_database")
    return lambda name: maker()


@pytest.fixture
def sqlite_url(tmp_path) -> Callable[[str], str]:
    return lambda name: f"sqlite:///{tmp_path / name}.sqlite"


def config_for(source_url: str, warehouse_url: str, **settings) -> Config:
    return Config.model_validate({"source": {"url": source_url}, "warehouse": {"url": warehouse_url}, **settings})


@pytest.fixture
def make_source(sqlite_url) -> Callable[..., str]:
    """Write hand-built web users and events to a fresh SQLite source and return its URL."""
    counter = iter(range(10_000))

    def make(web_users: list[dict], events: list[dict], url: str | None = None, **kwargs) -> str:
        url = url or sqlite_url(f"source{next(counter)}")
        write_source(url, web_users, events, **kwargs)
        return url

    return make


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory) -> str:
    """A small demo source (1,500 accounts) loaded into an SQLite warehouse as `make run` loads it, shared by
    page tests."""
    from etl.demo import DEMO_TIMEZONE, generate_demo
    from etl.demo_load import load_demo

    folder = tmp_path_factory.mktemp("demo")
    source, warehouse = f"sqlite:///{folder}/source.sqlite", f"sqlite:///{folder}/warehouse.sqlite"
    generate_demo(source, 1_500, 11, batch_accounts=500)
    load_demo(config_for(source, warehouse, timezone=DEMO_TIMEZONE))
    return warehouse


@pytest.fixture(scope="session")
def warehouse(demo_warehouse: str) -> Warehouse:
    """Read access to the demo warehouse, for the figures a page's charts and grids must equal."""
    return Warehouse(demo_warehouse)


@pytest.fixture(scope="session")
def dash_app(demo_warehouse):
    """The dashboard app on the demo warehouse, set up by its first request (Pages adds its router then)."""
    from dashboard.web.app import create_app

    app = create_app(config_for("sqlite://", demo_warehouse))
    app.server.test_client().get("/login")  # the first request: Dash sets the server up, Pages adds its router
    # Page tests read the component tree a layout draws; a kept page comes back as its JSON instead, so
    # this app draws every time (tests/test_page_cache.py covers keeping, on apps of its own).
    app.server.extensions.pop(page_cache.EXTENSION)
    return app


@pytest.fixture(scope="session")
def make_app(dash_app) -> Callable[[Config], Dash]:
    """Makes an app of its own configuration (another warehouse); it owns its callbacks as `dash_app` does."""
    from dashboard.web.app import create_app

    return create_app


@pytest.fixture
def in_request(dash_app):
    """Run page layouts and callbacks as the server would, inside a request of the app."""
    with signed_in(dash_app):
        yield dash_app


@pytest.fixture(scope="module")
def in_module_request(dash_app):
    """One signed-in request for a module's tests, which render pages and run callbacks in it."""
    with signed_in(dash_app):
        yield dash_app


@pytest.fixture(scope="module")
def view(request, in_module_request) -> Component:
    """The page at the test module's `PATH` for its `VIEW` (a query), rendered once for the tests that only read it."""
    return render_page(request.module.PATH, **request.module.VIEW)


@pytest.fixture
def empty_warehouse(in_request, tmp_path, monkeypatch) -> Warehouse:
    """The app of `in_request` pointed, for one test, at a brand-new warehouse that nothing was loaded into."""
    url = f"sqlite:///{tmp_path}/empty.sqlite"
    monkeypatch.setitem(in_request.server.config, "PORTAL_WAREHOUSE_URL", url)
    return Warehouse(url)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The sign-in throttle's clock (dashboard.auth.throttle.clock), stopped, moved by `clock.advance`."""
    from dashboard.auth import throttle

    stopped = Clock()
    monkeypatch.setattr(throttle, "clock", stopped)
    return stopped


@pytest.fixture
def machine_zone() -> Iterator[Callable[[str], None]]:
    """Puts this process's local clock (what `datetime.now()` and a naive `astimezone()` read) in a zone,
    for one test: a server whose clock is not UTC."""
    was = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if was is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = was
    time.tzset()
