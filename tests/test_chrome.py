"""The frame around the figures stays out of the way: the admin pages under one menu, filter controls
only on the pages they act on, and one CSV link per dataset on a page.

How the navbar fits a wide and a narrow window, and legends clear of chart toolbars, are checked in
headless Chromium (tests/test_browser.py), where sizes are real.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlparse

import dash
import dash_bootstrap_components as dbc
import pytest

from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web.layout import navbar
from tests.page_tree import find, has, of_type, render_page, walk
from tests.signin import client_as, signed_in
from tests.test_access import filter_requests

ADMIN_PAGES = {"/admin/users": "Users", "/admin/audit": "Audit log"}
FILTER_CONTROLS = {"dates": "filter-dates", "grain": "filter-grain", "segment": "filter-segment"}
CONTROLS_OF = {
    "/": {"dates", "grain", "segment"},
    "/adoption": {"dates", "grain", "segment"},
    "/placeholder-emails": {"dates", "grain", "segment"},
    "/recovery": {"dates", "grain", "segment"},
    "/resets": {"dates", "grain", "segment"},
    "/lockouts": {"dates", "grain", "segment"},
    "/accounts": {"dates", "segment"},  # the list counts failures and lockouts in the range; it has no periods
    "/accounts/<account_number>": {"dates"},  # the activity shown is the range's; an account has one segment
    "/quality": set(),  # the report covers everything loaded, whatever the range
    "/alerts": set(),  # its own filters (rule, state), not the view's
    "/admin/users": set(),
    "/admin/audit": set(),
}
"""The filter bar's controls each page shows: those that change what it draws."""


def every_page() -> list[str]:
    return sorted(page.get("path_template") or page["path"] for page in dash.page_registry.values())


@pytest.fixture
def rendered(dash_app, warehouse):
    """Draws the page at a path as an admin gets it (an admin may open every page); an account page of an
    account that has activity."""
    view = Filters.parse({}, warehouse.extent())
    account = warehouse.accounts(view, AccountFilters(has_failed_recovery=True)).iloc[0]["account_number"]

    def draw(path: str):
        return render_page(path, account_number=account) if "<" in path else render_page(path)

    with signed_in(dash_app, "admin"):
        yield draw


@pytest.fixture
def as_admin(dash_app):
    with signed_in(dash_app, "admin"):
        yield dash_app


def test_every_page_is_covered(dash_app):
    assert set(every_page()) == set(CONTROLS_OF)


def test_the_admin_menu_holds_exactly_the_admin_pages(as_admin):
    bar = navbar()
    menu = find(bar, "admin-menu")
    items = {item.href: item.children for item in of_type(menu, dbc.DropdownMenuItem)}
    assert menu.label == "Admin" and items == ADMIN_PAGES


def test_admin_pages_are_not_also_top_level_links(as_admin):
    links = {link.href for link in of_type(navbar(), dbc.NavLink)}
    assert links and not links & set(ADMIN_PAGES)


@pytest.mark.parametrize("role", ["viewer", "support", "analyst"])
def test_a_role_that_opens_no_admin_page_gets_no_admin_menu(dash_app, role):
    with signed_in(dash_app, role):
        assert not has(navbar(), "admin-menu")


@pytest.mark.parametrize("path", sorted(CONTROLS_OF))
def test_a_page_shows_only_the_filter_controls_that_act_on_it(rendered, path):
    tree = rendered(path)
    shown = {name for name, control_id in FILTER_CONTROLS.items() if has(tree, control_id)}
    assert shown == CONTROLS_OF[path]
    assert has(tree, "filter-rendered") == bool(shown)


@pytest.mark.parametrize("path", sorted(CONTROLS_OF))
def test_each_dataset_has_one_download_link_on_a_page(rendered, path):
    hrefs = [getattr(component, "href", None) or "" for component in walk(rendered(path))]
    per_dataset = Counter(urlparse(href).path for href in hrefs if href.startswith("/export/"))
    assert [dataset for dataset, links in per_dataset.items() if links > 1] == []


def test_a_filter_control_writes_only_its_own_parameters(dash_app):
    """Each control has its own callback, so a page without some controls still writes the rest to the URL."""
    (grain,) = [
        payload for payload in filter_requests(dash_app).values() if payload["inputs"][0]["id"] == "filter-grain"
    ]
    grain["state"][0]["value"] = "?start=2024-01-01&outcome=failed&segment=business"
    response = client_as(dash_app, "viewer").post("/_dash-update-component", json=grain)
    search = response.get_json()["response"]["view-url"]["search"]
    assert parse_qs(search.lstrip("?")) == {
        "start": ["2024-01-01"],
        "outcome": ["failed"],
        "segment": ["business"],
        "grain": ["week"],
    }
