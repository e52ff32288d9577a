"""Every registered page renders its own content on the demo warehouse, for a user it is open to.

Rendered as admin, who may open every page, so a page that shows the "Not allowed" alert instead
of itself fails here rather than passing as "something rendered".
"""

import dash
import pytest
from dash import html

from tests.page_tree import has, of_type, render_page, text_of
from tests.signin import signed_in

ACCOUNT = "A0000001"
TITLES = {
    "/": "Overview",
    "/adoption": "Enrollment adoption",
    "/placeholder-emails": "Placeholder-email accounts",
    "/recovery": "Password recovery",
    "/resets": "Password resets",
    "/lockouts": "Lockouts",
    "/accounts": "Accounts",
    "/accounts/<account_number>": f"Account {ACCOUNT}",
    "/quality": "Data quality",
    "/alerts": "Alerts",
    "/admin/users": "Users",
    "/admin/audit": "Audit log",
}
"""Each page's own heading, written out: the first heading it draws."""


@pytest.fixture
def as_admin(dash_app):
    with signed_in(dash_app, "admin"):
        yield dash_app


def pages() -> list[dict]:
    return list(dash.page_registry.values())


def render(page: dict, **query: str):
    template = page.get("path_template")
    if template:
        return render_page(template, account_number=ACCOUNT, **query)
    return render_page(page["path"], **query)


def heading(tree) -> str:
    headings = of_type(tree, (html.H1, html.H2))
    assert headings, "the page draws no heading"
    return text_of(headings[0])


def test_every_page_has_its_heading_written_here(dash_app):
    assert {page.get("path_template") or page["path"] for page in pages()} == set(TITLES)


def test_every_page_module_renders_its_own_default_view(as_admin):
    for page in pages():
        tree = render(page)
        path = page.get("path_template") or page["path"]
        assert not has(tree, "not-allowed"), path
        assert heading(tree) == TITLES[path], path


@pytest.mark.parametrize(
    "query", [{"grain": "year"}, {"start": "nonsense"}, {"start": "2030-01-01", "end": "2030-01-31"}]
)
def test_bad_or_empty_views_still_render_the_page_itself(as_admin, query):
    for page in pages():
        tree = render(page, **query)
        path = page.get("path_template") or page["path"]
        assert not has(tree, "not-allowed"), (path, query)
        assert heading(tree) == TITLES[path], (path, query)


def test_a_page_a_role_may_not_open_renders_the_refusal_and_not_itself(dash_app):
    with signed_in(dash_app, "viewer"):
        tree = render_page("/quality")
    assert has(tree, "not-allowed")
    assert heading(tree) == "Not allowed"
