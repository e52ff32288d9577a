"""How many pages an SQLite warehouse connection keeps: little while serving, much while loading.

A server worker holds one connection per thread; at the load's 256 MiB each, a worker counting over
a million accounts grew past 1 GB. The size follows whoever takes the connection from the pool.
"""

from __future__ import annotations

from portal.engine import LOADING_CACHE_KIB, SERVING_CACHE_KIB, loading_page_cache, open_engine


def cache_kib(engine) -> int:
    with engine.connect() as connection:
        return -connection.exec_driver_sql("PRAGMA cache_size").scalar_one()


def test_a_serving_connection_keeps_four_mebibytes_of_pages(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path}/w.sqlite")
    assert cache_kib(engine) == SERVING_CACHE_KIB == 4 * 1024


def test_a_connection_taken_by_a_load_keeps_more_and_gives_it_back_after(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path}/w.sqlite")
    cache_kib(engine)  # the pool now holds a connection sized for serving
    with loading_page_cache():
        assert cache_kib(engine) == LOADING_CACHE_KIB
    assert cache_kib(engine) == SERVING_CACHE_KIB
