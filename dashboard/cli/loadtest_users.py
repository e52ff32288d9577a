"""The Locust users of `make loadtest` (run by `dashboard.cli.loadtest`, never imported by the app).

Each user signs in through the login form once, under a name of their own, then, reading 5-15 s
between actions, does what a person in a browser does: opens a page (its shell, then the Pages
router callback that renders its content), changes a filter (the same callback with another query
string), drills down to the account list, pages a server-side grid, or downloads a CSV export. Every request is named
`kind: what`, kind being one of page, callback, grid, export or login, and its time and outcome are
appended to the file named by `LOADTEST_SAMPLES`, so that the runner computes percentiles per kind
from every sample rather than merging Locust's per-name figures.

Importing this module imports Locust, which patches the standard library for gevent: import it only
in the Locust process (the test suite checks it with `locust --list` in a subprocess).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from html.parser import HTMLParser

from locust import HttpUser, between, events, task

ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
PAGED_GRID_OUTPUT = (
    '..{"name":["MATCH"],"type":"paged-grid"}.getRowsResponse...{"name":["MATCH"],"type":"paged-grid-count"}.children..'
)
ACCOUNT_GRID_OUTPUT = '..{"name":"accounts","type":"account-grid"}.getRowsResponse...accounts-count.children..'

PAGES = ["/", "/adoption", "/placeholder-emails", "/recovery", "/resets", "/lockouts", "/accounts", "/quality"]
"""The pages an analyst may open (the admin pages are not theirs)."""
CHART_PAGES = PAGES[:6]
FILTERS = [
    "?grain=day",
    "?grain=week",
    "?grain=month",
    "?segment=business",
    "?segment=residential",
    "?grain=month&segment=business",
]
DRILLS = [
    "?outcome=failed",
    "?outcome=failed&grain=month",
    "?outcome=succeeded",
    "?email_status=placeholder&portal_access=true",
    "?event_type=account_locked",
    "?has_failed_recovery=true&portal_access=true",
    "?segment=business&outcome=failed",
]
EXPORTS = [
    "recovery.csv?grain=month",
    "recovery.csv?grain=week&segment=business",
    "lockouts.csv?grain=month",
    "adoption.csv?grain=week",
    "resets.csv?grain=month",
]


def update_payload(output: str, outputs: list[dict], inputs: list[dict], state: list[dict] | None = None) -> dict:
    """A `/_dash-update-component` body as Dash's renderer sends it (tests/test_access.py has the same)."""
    first = inputs[0]["id"]
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{first if isinstance(first, str) else json.dumps(first)}.{inputs[0]['property']}"],
    }


def router_payload(path: str, search: str = "") -> dict:
    return update_payload(
        ROUTER_OUTPUT,
        [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
    )


def paged_grid_payload(name: str, query: dict, start: int) -> dict:
    grid = {"name": name, "type": "paged-grid"}
    return update_payload(
        PAGED_GRID_OUTPUT,
        [
            {"id": grid, "property": "getRowsResponse"},
            {"id": {**grid, "type": "paged-grid-count"}, "property": "children"},
        ],
        [{"id": grid, "property": "getRowsRequest", "value": {"startRow": start, "endRow": start + 100}}],
        [{"id": {**grid, "type": "paged-grid-state"}, "property": "data", "value": {"query": query, "total": 0}}],
    )


def account_grid_payload(query: dict, start: int) -> dict:
    grid = {"name": "accounts", "type": "account-grid"}
    return update_payload(
        ACCOUNT_GRID_OUTPUT,
        [{"id": grid, "property": "getRowsResponse"}, {"id": "accounts-count", "property": "children"}],
        [{"id": grid, "property": "getRowsRequest", "value": {"startRow": start, "endRow": start + 100}}],
        [{"id": "accounts-state", "property": "data", "value": {"query": query, "total": 0}}],
    )


class HiddenInputs(HTMLParser):
    """Every hidden input of a form page (`next`, and `csrf_token` once the login form has one)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "input" and (found.get("type") or "").lower() == "hidden" and found.get("name"):
            self.fields[found["name"]] = found.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    parser = HiddenInputs()
    parser.feed(html)
    return parser.fields


def _query(search: str) -> dict:
    return dict(pair.split("=", 1) for pair in search.lstrip("?").split("&") if "=" in pair)


_samples = None
_credentials = None


def _accounts():
    """Each simulated person's own name and password (`LOADTEST_ACCOUNTS`: name TAB password lines), in turn."""
    global _credentials
    if _credentials is None:
        with open(os.environ["LOADTEST_ACCOUNTS"]) as lines:
            _credentials = itertools.cycle([tuple(line.rstrip("\n").split("\t", 1)) for line in lines if line.strip()])
    return _credentials


@events.init.add_listener
def _open_samples(environment, **_kwargs):
    global _samples
    path = os.environ.get("LOADTEST_SAMPLES")
    if path:
        _samples = open(path, "a", buffering=1 << 16)  # noqa: SIM115 (closed at quit)


@events.request.add_listener
def _record(name, response_time, exception, response=None, **_kwargs):
    if _samples is not None:
        kind = name.split(":", 1)[0]
        status = getattr(response, "status_code", 0) or 0
        _samples.write(f"{kind}\t{response_time:.3f}\t{0 if exception else 1}\t{status}\t{name}\n")


@events.quitting.add_listener
def _close_samples(environment, **_kwargs):
    if _samples is not None:
        _samples.flush()
        _samples.close()


class Analyst(HttpUser):
    """A signed-in analyst reading the dashboard, 5-15 s between actions."""

    wait_time = between(5, 15)

    def on_start(self):
        form = self.client.get("/login", name="login: form")
        fields = hidden_inputs(form.text)
        name, password = next(_accounts())
        fields.update(username=name, password=password)
        with self.client.post("/login", data=fields, name="login: post", catch_response=True) as response:
            if response.url.rstrip("/").endswith("/login") or response.status_code != 200:
                response.failure(f"sign-in refused ({response.status_code})")

    def _shell(self, path: str, search: str = ""):
        self.client.get(path + search, name=f"page: {path}")

    def _router(self, path: str, search: str = "", kind: str = "callback"):
        self.client.post("/_dash-update-component", json=router_payload(path, search), name=f"{kind}: {path}")

    @task(4)
    def open_page(self):
        path = random.choice(PAGES)
        self._shell(path)
        self._router(path)

    @task(3)
    def change_filter(self):
        self._router(random.choice(CHART_PAGES), random.choice(FILTERS), kind="callback")

    @task(2)
    def drill_down(self):
        search = random.choice(DRILLS)
        self._shell("/accounts", search)
        self._router("/accounts", search)
        self.client.post("/_dash-update-component", json=account_grid_payload(_query(search), 0), name="grid: accounts")

    @task(2)
    def page_grid(self):
        start = random.choice([0, 100, 200, 500, 1000])
        self.client.post(
            "/_dash-update-component",
            json=paged_grid_payload("at-risk", {}, start),
            name="grid: placeholder at-risk",
        )
        self.client.post(
            "/_dash-update-component", json=account_grid_payload({"outcome": "failed"}, start), name="grid: accounts"
        )

    @task(1)
    def export(self):
        target = random.choice(EXPORTS)
        self.client.get(f"/export/{target}", name=f"export: {target.split('?')[0]}")
