"""Drawn page content, kept per page, view, permissions and load, and shared by every worker.

A page's content is a function of four things only: the page, its view (the query string), what the
user may see and do (permissions decide masking and which download links exist) and the load the
warehouse holds. At a million accounts drawing it took 0.2-0.5 s of CPU, so with fifty people on
two cores every request queued behind other people's charts. Each content is drawn once per key and
kept as the JSON Dash sends: in Redis when `PORTAL_REDIS_URL` is set (every worker serves what any
worker drew), else in the process. The load token and the permission set are part of the key, so a
new load is never answered from an old one and no role is shown another role's masking or links.
An unreachable Redis costs the drawing, never the page.

After each load every page registered with `warm=True` is drawn for each role in its default view and
in the default range at every grain and segment, by one worker (the one that claims the load's
warming key), so the first visitors do not wait.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import dash
import plotly.io.json
from flask import Flask, current_app, g
from flask_caching import Cache
from redis.exceptions import RedisError

from dashboard.auth.guard import page_allowed, permissions
from dashboard.auth.roles import ROLES, Permission
from dashboard.data.view import GRAINS
from dashboard.data.warehouse import Warehouse
from portal.config import redis_url

EXTENSION = "portal_page_cache"
KEY_PREFIX = "portal-page:"
KEEP_SECONDS = 24 * 3600
"""How long a drawn page is kept: a load a day makes older keys unreachable anyway."""
IN_PROCESS_PAGES = 64
"""Without Redis, how many drawn pages one process keeps (a page is 50-500 kB of JSON)."""
WARMER = "cache-warmer"
logger = logging.getLogger(__name__)


def install(server: Flask) -> Cache:
    """The page cache of a server: Redis when configured, else a bounded one in this process."""
    url = redis_url()
    if url:
        settings = {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": url,
            "CACHE_KEY_PREFIX": KEY_PREFIX,
            "CACHE_OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    else:
        settings = {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": IN_PROCESS_PAGES}
    cache = Cache(config={**settings, "CACHE_DEFAULT_TIMEOUT": KEEP_SECONDS})
    cache.init_app(server)
    server.extensions[EXTENSION] = cache
    return cache


def page_key(warehouse: Warehouse, page: str, query: Mapping[str, str], granted: frozenset[Permission]) -> str | None:
    """The key of a page drawn for a view, a permission set and the load; None before the first load."""
    token = warehouse.load_token()
    if token[0] is None:
        return None
    parts = {
        "warehouse": warehouse.url,
        "page": page,
        "query": sorted(query.items()),
        "permissions": sorted(granted),
        "load": [str(part) for part in token],
        "rebuild": warehouse.rebuild_pending(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def drawn(warehouse: Warehouse, page: str, query: Mapping[str, str], draw: Callable[[], object]) -> object:
    """The page's content for the signed-in user: as kept if another request drew it, else drawn now and kept."""
    cache = current_app.extensions.get(EXTENSION)
    key = page_key(warehouse, page, query, permissions()) if cache is not None else None
    if key is None:
        return draw()
    kept = _get(cache, key)
    if kept is not None:
        return json.loads(kept)
    content = draw()
    _set(cache, key, plotly.io.json.to_json_plotly(content))
    return content


def _get(cache: Cache, key: str) -> str | None:
    try:
        return cache.get(key)
    except RedisError as error:  # a Redis down or slow: draw the page instead
        logger.warning("page cache unavailable, drawing the page: %s", error)
        return None


def _set(cache: Cache, key: str, value: str) -> None:
    try:
        cache.set(key, value)
    except RedisError as error:
        logger.warning("page cache unavailable, page not kept: %s", error)


@dataclass(frozen=True)
class _StandIn:
    """The user the warmer draws a role's pages as: it has the role's permissions and nothing else."""

    roles: tuple[str, ...]
    name: str = WARMER
    is_authenticated: bool = True
    is_active: bool = True

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLES[self.roles[0]]


def views_to_warm(segments: list[str]) -> list[dict[str, str]]:
    """The default view, then the default range in every grain and segment: the views the filter bar
    opens from a page's landing view in one choice."""
    variants = [
        {"grain": grain, **({"segment": segment} if segment else {})}
        for grain in GRAINS
        for segment in [None, *segments]
    ]
    return [{}, *variants]


def warm(server: Flask, warehouse: Warehouse, views: list[dict[str, str]] | None = None) -> int:
    """Draw every `warm=True` page for each role in the views a visitor opens first, once per load
    across workers: each role's default views first, then their grain and segment variants.

    Returns how many pages were drawn (0 when another worker claimed this load's warming). A key
    `warmed:` marks the end (the load test waits for it).
    """
    cache = server.extensions.get(EXTENSION)
    token = warehouse.load_token()
    if cache is None or token[0] is None:
        return 0
    load = hashlib.sha256(f"{warehouse.url}|{token}".encode()).hexdigest()
    try:
        if not cache.add(f"warming:{load}", WARMER, timeout=KEEP_SECONDS):
            return 0
    except RedisError as error:
        logger.warning("page cache unavailable, pages not warmed: %s", error)
        return 0
    began = time.monotonic()
    pages = [page for page in dash.page_registry.values() if page.get("warm")]
    views = views_to_warm(warehouse.segments()) if views is None else views
    drawn_count = 0
    for view in (views[:1], views[1:]):
        for role in ROLES:
            for page in pages:
                for query in view:
                    drawn_count += _draw_as(server, page, role, query)
    _set(cache, f"warmed:{load}", WARMER)
    logger.info("drew %d pages after the load in %.1f s", drawn_count, time.monotonic() - began)
    return drawn_count


def _draw_as(server: Flask, page: dict, role: str, query: dict[str, str]) -> int:
    """Draw one page view as a stand-in of `role` (1), or nothing if the role may not open it (0)."""
    with server.test_request_context(page["path"]):
        g._login_user = _StandIn((role,))  # what Flask-Login's current_user reads
        if not page_allowed(page):
            return 0
        page["layout"](**query)
        return 1
