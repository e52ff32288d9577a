"""SPEC section 6 by every path: who may open which page, run which callback, download which export.

Requests go through the app's test client exactly as a browser or a script would send them,
including raw `/_dash-update-component` posts a signed-in user could forge by hand.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from dashboard.auth.guard import callback_permission, guard_layout, page_allowed
from dashboard.auth.roles import ROLES, Permission
from dashboard.web.export import DATASETS
from portal import schema
from tests.conftest import config_for
from tests.signin import client_as, signed_in

ROLE_NAMES = tuple(ROLES)
PUBLIC_RULES = {"/login", "/logout", "/health", "/_favicon.ico", "/assets/<path:filename>"}
HIDDEN_INTERNAL_CALLBACKS = {"_pages_content.children"}
"""Dash Pages' router: it renders page layouts, and each layout checks its page's permission."""

CHART_AND_ACCOUNT_PAGES = {
    "/",
    "/adoption",
    "/placeholder-emails",
    "/recovery",
    "/resets",
    "/lockouts",
    "/accounts",
    "/accounts/A",
    "/alerts",
}
PAGES_OF = {
    "viewer": CHART_AND_ACCOUNT_PAGES,
    "support": CHART_AND_ACCOUNT_PAGES,
    "analyst": CHART_AND_ACCOUNT_PAGES | {"/quality"},
}
ALL_PAGES = PAGES_OF["analyst"] | {"/admin/users", "/admin/audit"}
"""Every page, a path template's variables filled with `A`; the test below checks it against the registry."""
PAGES_OF["admin"] = ALL_PAGES


@pytest.fixture(scope="module")
def customer(dash_app):
    """An account with a real email and username, as the warehouse holds them unmasked."""
    from sqlalchemy import create_engine

    engine = create_engine(dash_app.server.config["PORTAL_WAREHOUSE_URL"])
    a = schema.accounts
    with engine.connect() as connection:
        row = connection.execute(
            select(a.c.account_number, a.c.email, a.c.username)
            .where(a.c.email.like("%@%"), a.c.username.is_not(None))
            .order_by(a.c.account_number)
            .limit(1)
        ).one()
    return row._asdict()


def body_of(response) -> str:
    """A response body as a person would read it: JSON decoded, so `•` is not `\\u2022`."""
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    return response.get_data(as_text=True)


def concrete(rule: str) -> str:
    return re.sub(r"<[^>]+>", "x", rule)


def update_payload(output: str, outputs: list[dict], inputs: list[dict], state: list[dict] | None = None) -> dict:
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [
            f"{inputs[0]['id'] if isinstance(inputs[0]['id'], str) else json.dumps(inputs[0]['id'])}"
            f".{inputs[0]['property']}"
        ],
    }


def open_by_router(client, path: str, search: str = ""):
    """Post the router callback as the browser does when it opens `path`."""
    payload = update_payload(
        ".._pages_content.children..._pages_store.data..",
        [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
    )
    return client.post("/_dash-update-component", json=payload)


def grid_rows(client, query: dict | None = None):
    grid = {"name": "accounts", "type": "account-grid"}
    payload = update_payload(
        '..{"name":"accounts","type":"account-grid"}.getRowsResponse...accounts-count.children..',
        [{"id": grid, "property": "getRowsResponse"}, {"id": "accounts-count", "property": "children"}],
        [{"id": grid, "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 500}}],
        [{"id": "accounts-state", "property": "data", "value": {"query": query or {}, "total": 0}}],
    )
    return client.post("/_dash-update-component", json=payload)


def paged_grid_rows(client, query: dict | None = None):
    return client.post("/_dash-update-component", json=paged_grid_payload(query))


FILTER_VALUES = {
    ("filter-dates", "start_date"): "2024-01-01",
    ("filter-dates", "end_date"): "2024-02-01",
    ("filter-grain", "value"): "week",
    ("filter-segment", "value"): "business",
    ("filter-preset", "value"): "last_90_days",
}


def filter_requests(app) -> dict[str, dict]:
    """One request per filter-bar control's callback. They share their output, the query string, so Dash
    names each by its output and a hash of its inputs, read here from the app's callback map."""
    requests = {}
    for output, entry in app.callback_map.items():
        if output.startswith("view-url.search@"):
            inputs = [{**spec, "value": FILTER_VALUES[spec["id"], spec["property"]]} for spec in entry["inputs"]]
            state = [
                {"id": "view-url", "property": "search", "value": ""},
                {"id": "filter-rendered", "property": "data", "value": None},
            ]
            requests[output] = update_payload(output, [{"id": "view-url", "property": "search"}], inputs, state)
    assert len(requests) == 4, requests  # dates, grain, segment, range preset
    return requests


def callback_requests(app) -> dict[str, dict]:
    """One well-formed request per server-side callback of the app."""
    row_click = {"rowId": "A0000001", "colId": "segment"}
    return {
        **filter_requests(app),
        "drill-nav.href": update_payload(
            "drill-nav.href",
            [{"id": "drill-nav", "property": "href"}],
            [
                {
                    "id": {"chart": ["ALL"], "type": "drill"},
                    "property": "clickData",
                    "value": [{"points": [{"customdata": "outcome=failed"}]}],
                }
            ],
        ),
        "row-nav.href": update_payload(
            "row-nav.href",
            [{"id": "row-nav", "property": "href"}],
            [
                {"id": {"name": ["ALL"], "type": "account-grid"}, "property": "cellClicked", "value": [row_click]},
                {"id": {"name": ["ALL"], "type": "paged-grid"}, "property": "cellClicked", "value": []},
            ],
        ),
        PAGED_GRID_OUTPUT: paged_grid_payload(),
        FIND_OUTPUT: find_payload("A0000001"),
    }


FIND_OUTPUT = "..find-nav.href...find-account-result.children.."


def find_payload(text: str) -> dict:
    """Enter in the navbar's find box, as the browser sends it."""
    return update_payload(
        FIND_OUTPUT,
        [{"id": "find-nav", "property": "href"}, {"id": "find-account-result", "property": "children"}],
        [{"id": "find-account", "property": "n_submit", "value": 1}],
        [{"id": "find-account", "property": "value", "value": text}],
    )


PAGED_GRID_OUTPUT = (
    '..{"name":["MATCH"],"type":"paged-grid"}.getRowsResponse...{"name":["MATCH"],"type":"paged-grid-count"}.children..'
)


def paged_grid_payload(query: dict | None = None) -> dict:
    """The row request of a server-paged slice grid, as the placeholder page's at-risk grid sends it."""
    grid = {"name": "at-risk", "type": "paged-grid"}
    return update_payload(
        PAGED_GRID_OUTPUT,
        [
            {"id": grid, "property": "getRowsResponse"},
            {"id": {**grid, "type": "paged-grid-count"}, "property": "children"},
        ],
        [{"id": grid, "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 500}}],
        [{"id": {**grid, "type": "paged-grid-state"}, "property": "data", "value": {"query": query or {}, "total": 0}}],
    )


# --- every route and every callback refuses an anonymous caller -------------------------------


def test_every_route_but_sign_in_and_static_files_refuses_an_anonymous_caller(dash_app):
    client = dash_app.server.test_client()
    checked = []
    for rule in dash_app.server.url_map.iter_rules():
        if rule.rule in PUBLIC_RULES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(concrete(rule.rule), method=method)
            refused = response.status_code == 401 or (
                response.status_code == 302 and response.headers["Location"].startswith("/login")
            )
            assert refused, f"{method} {rule.rule} answered {response.status_code} to an anonymous caller"
            checked.append(rule.rule)
    assert {"/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/export/<dataset>.csv"} <= set(checked)


def test_the_routes_open_without_signing_in_are_exactly_the_public_ones(dash_app):
    rules = {rule.rule for rule in dash_app.server.url_map.iter_rules()}
    assert rules & PUBLIC_RULES == PUBLIC_RULES
    client = dash_app.server.test_client()
    assert client.get("/health").get_data(as_text=True).strip() == "OK"
    assert "billing" not in client.get("/health").get_data(as_text=True).lower()


def test_every_server_callback_refuses_an_anonymous_caller(dash_app):
    client = dash_app.server.test_client()
    requests = {**callback_requests(dash_app)}
    for output, entry in dash_app.callback_map.items():
        if "callback" not in entry:
            continue  # clientside: runs in the browser, reads nothing from the server
        payload = requests.get(output) or {"output": output, "outputs": [], "inputs": [], "state": []}
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 401, output


def test_every_server_callback_names_the_permission_it_checks(dash_app):
    for output, entry in dash_app.callback_map.items():
        if "callback" not in entry or output.strip(".").split("...")[0] in HIDDEN_INTERNAL_CALLBACKS:
            continue
        assert callback_permission(entry["callback"]) is not None, f"callback {output} checks no permission"


def test_every_page_names_the_permission_it_needs(dash_app):
    import dash

    pages = dash.page_registry.values()
    assert {re.sub(r"<[^>]+>", "A", page.get("path_template") or page["path"]) for page in pages} == ALL_PAGES
    unguarded = [page["module"] for page in pages if not isinstance(page.get("permission"), Permission)]
    assert not unguarded, f"registered without a permission: {unguarded}"


def test_a_page_registered_without_a_permission_is_shown_to_nobody(dash_app):
    page = {"module": "unguarded", "path": "/unguarded", "layout": lambda: "the page"}
    layout = guard_layout(page, page["layout"], lambda: "not allowed")
    with signed_in(dash_app, "admin"):
        assert not page_allowed(page)
        assert layout() == "not allowed"
    pages = dash_app.server.config["PORTAL_PAGES"]
    pages["/unguarded"] = page
    try:
        assert client_as(dash_app, "admin").get("/unguarded").status_code == 403
    finally:
        del pages["/unguarded"]


def test_an_anonymous_page_request_goes_to_the_login_page_and_back(dash_app):
    response = dash_app.server.test_client().get("/recovery?grain=month")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/recovery?grain%3Dmonth" or response.headers[
        "Location"
    ].startswith("/login?next=/recovery")


def test_the_login_page_never_sends_a_user_to_another_site(dash_app):
    client = client_as(dash_app, "viewer")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "/\tevil"):
        response = client.get("/login", query_string={"next": target})
        assert response.headers["Location"] == "/", target


# --- the role matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_opens_exactly_its_pages_by_typed_url(dash_app, role):
    client = client_as(dash_app, role)
    for path in sorted(ALL_PAGES):
        response = client.get(path)
        if path in PAGES_OF[role]:
            assert response.status_code == 200, (role, path)
        else:
            assert response.status_code == 403, (role, path)
            assert "Not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_renders_exactly_its_pages_through_the_router_callback(dash_app, role):
    client = client_as(dash_app, role)
    for path in sorted(ALL_PAGES):
        body = body_of(open_by_router(client, path))
        refused = '"not-allowed"' in body
        assert refused == (path not in PAGES_OF[role]), (role, path)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_the_navbar_links_exactly_the_pages_a_role_may_open(dash_app, role):
    layout = body_of(client_as(dash_app, role).get("/_dash-layout"))
    hrefs = set(re.findall(r'"href":\s*"(/[^"?]*)"', layout))
    listed = {path for path in ALL_PAGES if "/A" not in path}
    assert hrefs & listed == {path for path in PAGES_OF[role] if "/A" not in path}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_runs_exactly_the_callbacks_of_its_permissions(dash_app, role):
    client = client_as(dash_app, role)
    for output, payload in callback_requests(dash_app).items():
        response = client.post("/_dash-update-component", json=payload)
        assert response.status_code == 200, (role, output, response.status_code)
    assert grid_rows(client).status_code == 200


def test_a_role_without_a_permission_gets_403_from_a_hand_posted_callback(dash_app, monkeypatch):
    from dashboard.auth import roles

    monkeypatch.setitem(roles.ROLES, "viewer", frozenset({roles.Permission.VIEW_CHARTS}))
    client = client_as(dash_app, "viewer")
    assert grid_rows(client).status_code == 403
    assert paged_grid_rows(client).status_code == 403
    assert client.post("/_dash-update-component", json=callback_requests(dash_app)["row-nav.href"]).status_code == 403


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_exports_are_for_analysts_and_admins_only(dash_app, role):
    client = client_as(dash_app, role)
    may_export = role in ("analyst", "admin")
    for dataset in DATASETS:
        query = "?account=A0000001" if dataset in ("activity", "account_attempts") else ""
        response = client.get(f"/export/{dataset}.csv{query}")
        assert response.status_code == (200 if may_export else 403), (role, dataset)
        if not may_export:
            assert response.get_data(as_text=True).count("\n") == 1


@pytest.mark.parametrize("role", ("viewer", "support"))
def test_roles_without_exports_see_no_download_links(dash_app, role):
    body = body_of(open_by_router(client_as(dash_app, role), "/recovery"))
    assert "/export/" not in body


def test_an_analyst_sees_download_links(dash_app):
    assert "/export/recovery.csv" in body_of(open_by_router(client_as(dash_app, "analyst"), "/recovery"))


# --- masking by every output path --------------------------------------------------------------


def _leaks(body: str, customer: dict) -> bool:
    return customer["email"] in body or f'"{customer["username"]}"' in body


@pytest.mark.parametrize("role", ("viewer", "analyst"))
def test_a_masked_role_never_receives_an_email_or_username_from_any_page(dash_app, customer, role):
    client = client_as(dash_app, role)
    number = customer["account_number"]
    for path in (f"/accounts/{number}", "/accounts", "/placeholder-emails", "/recovery", "/lockouts"):
        body = body_of(open_by_router(client, path))
        assert not _leaks(body, customer), (role, path)
    body = body_of(open_by_router(client, f"/accounts/{number}"))
    assert "•••" in body


@pytest.mark.parametrize("rows_of", [grid_rows, paged_grid_rows], ids=["account-list grid", "paged slice grid"])
def test_a_viewer_never_receives_an_email_from_a_grid_callback(dash_app, customer, rows_of):
    response = rows_of(client_as(dash_app, "viewer"), {"account": customer["account_number"]})
    assert response.status_code == 200
    body = body_of(response)
    assert "•••" in body
    assert not _leaks(body, customer)


def test_the_grid_callback_is_masked_even_for_support(dash_app, customer):
    body = body_of(grid_rows(client_as(dash_app, "support")))
    assert customer["email"] not in body


def test_an_analyst_exports_masked_emails(dash_app, customer):
    body = client_as(dash_app, "analyst").get("/export/accounts.csv").get_data(as_text=True)
    assert customer["email"] not in body
    assert "•••@" in body


def test_an_analyst_who_is_also_support_exports_unmasked_emails(dash_app, customer):
    body = client_as(dash_app, "analyst,support").get("/export/accounts.csv").get_data(as_text=True)
    assert customer["email"] in body


def test_support_sees_the_unmasked_account_page_and_the_view_is_audited(dash_app, customer):
    users = dash_app.server.extensions["portal_users"]
    number = customer["account_number"]
    before = len(users.audit_entries(action="account_viewed_unmasked", target=number))
    body = body_of(open_by_router(client_as(dash_app, "support"), f"/accounts/{number}"))
    assert customer["email"] in body
    entries = users.audit_entries(action="account_viewed_unmasked", target=number)
    assert len(entries) == before + 1
    assert entries.iloc[0]["actor"] == "test-support"


def test_a_masked_view_of_an_account_page_is_not_audited_as_unmasked(dash_app, customer):
    users = dash_app.server.extensions["portal_users"]
    number = customer["account_number"]
    before = len(users.audit_entries(action="account_viewed_unmasked", target=number))
    open_by_router(client_as(dash_app, "viewer"), f"/accounts/{number}")
    assert len(users.audit_entries(action="account_viewed_unmasked", target=number)) == before


# --- audit of exports --------------------------------------------------------------------------


def test_every_export_is_audited_with_its_filters_and_row_count(dash_app):
    users = dash_app.server.extensions["portal_users"]
    response = client_as(dash_app, "analyst").get("/export/lockouts.csv?grain=month")
    entry = users.audit_entries(action="export", actor="test-analyst").iloc[0]
    assert entry["target"] == "lockouts"
    assert json.loads(entry["detail"])["filters"] == {"grain": "month"}
    assert entry["rows"] == int(response.headers["X-Row-Count"])


def test_a_refused_export_reads_nothing_and_is_not_audited_as_an_export(dash_app):
    users = dash_app.server.extensions["portal_users"]
    before = len(users.audit_entries(action="export", actor="test-viewer"))
    assert client_as(dash_app, "viewer").get("/export/accounts.csv").status_code == 403
    assert len(users.audit_entries(action="export", actor="test-viewer")) == before


def test_a_second_app_in_the_process_serves_the_paged_grids_too(make_app, demo_warehouse):
    """Each app registers the grid rows callback itself; none depends on being the first to serve."""
    other = client_as(make_app(config_for("sqlite://", demo_warehouse)), "analyst")
    response = paged_grid_rows(other, {"email_status": "placeholder", "portal_access": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)[:200]
    assert response.get_json()["response"]


def test_a_request_body_over_the_size_limit_answers_413(dash_app):
    from dashboard.auth.hardening import MAX_REQUEST_BYTES

    assert MAX_REQUEST_BYTES == 1024 * 1024
    big = "x" * (MAX_REQUEST_BYTES + 1)
    client = client_as(dash_app, "analyst")
    response = client.post("/_dash-update-component", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_data(as_text=True).count("\n") == 1
    anonymous = dash_app.server.test_client()
    response = anonymous.post("/login", data={"username": "someone", "password": big})
    assert response.status_code == 413


def test_a_hostile_grid_request_posted_by_hand_answers_200(dash_app):
    client = client_as(dash_app, "analyst")
    payload = paged_grid_payload({})
    payload["inputs"][0]["value"] = {"startRow": "0", "filterModel": {"segment": {"conditions": [1] * 10_000}}}
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "not valid" in response.get_data(as_text=True)
