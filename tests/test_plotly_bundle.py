"""The cartesian Plotly bundle: served where Dash asks for Plotly, and enough for every chart."""

from __future__ import annotations

import pytest
from dash import dcc
from plotly.offline import get_plotlyjs_version

from dashboard.data.slices import AccountFilters
from dashboard.data.view import Filters
from dashboard.web import plotly_bundle
from tests.conftest import config_for
from tests.page_tree import of_type, render_page
from tests.signin import client_as

CHART_PAGES = ("/", "/adoption", "/placeholder-emails", "/recovery", "/resets", "/lockouts")


def test_the_vendored_bundle_is_the_plotly_js_the_installed_plotly_ships():
    assert plotly_bundle.bundle_version() == get_plotlyjs_version()


def test_a_signed_in_browser_gets_the_cartesian_bundle_for_plotlys_path(dash_app):
    response = client_as(dash_app, "viewer").get(plotly_bundle.PLOTLY_PATH)
    assert response.status_code == 200
    assert "(cartesian - minified)" in response.get_data(as_text=True)[:200]
    assert len(response.get_data()) == plotly_bundle.BUNDLE.stat().st_size


def test_a_bundle_of_another_version_leaves_the_full_plotly_in_place(monkeypatch, make_app, demo_warehouse):
    monkeypatch.setattr(plotly_bundle, "bundle_version", lambda: "0.0.1")
    app = make_app(config_for("sqlite://", demo_warehouse))
    body = client_as(app, "viewer").get(plotly_bundle.PLOTLY_PATH).get_data(as_text=True)
    assert "cartesian" not in body[:200] and f"v{get_plotlyjs_version()}" in body[:200]


@pytest.mark.parametrize("path", CHART_PAGES)
def test_every_chart_of_a_page_is_a_trace_type_of_the_bundle(in_request, path):
    graphs = of_type(render_page(path), dcc.Graph)
    assert graphs, path
    kinds = {trace["type"] for graph in graphs for trace in graph.figure.to_dict()["data"]}
    assert kinds <= plotly_bundle.TRACE_TYPES, (path, kinds - plotly_bundle.TRACE_TYPES)


def test_the_account_page_charts_are_trace_types_of_the_bundle_too(in_request, warehouse):
    start, end = warehouse.extent()
    account = warehouse.accounts(Filters(start, end), AccountFilters(has_failed_recovery=True)).iloc[0]
    tree = render_page("/accounts/<account_number>", account_number=account["account_number"])
    figures = [graph.figure for graph in of_type(tree, dcc.Graph)]
    kinds = {trace["type"] for figure in figures for trace in figure.to_dict()["data"]}
    assert kinds <= plotly_bundle.TRACE_TYPES
