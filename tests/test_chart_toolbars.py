"""Chart toolbars offer PNG download and zoom or reset only: never Plotly's "Share chart..." (upload to
Plotly Cloud, hover text and data included), "Edit in Chart Studio" or the edit link."""

from __future__ import annotations

import dash
import pytest
from dash import dcc

from tests.page_tree import of_type, render_page
from tests.signin import signed_in

CLOUD_BUTTONS = {"sendChartToCloud", "sendDataToCloud", "editInChartStudio", "downloadJson", "link"}


@pytest.fixture(scope="module")
def every_graph(dash_app, warehouse) -> list[tuple[str, dcc.Graph]]:
    """Every graph of every page, each page rendered for an admin (who may open them all)."""
    number = warehouse.accounts_page(warehouse_view(warehouse), limit=1)[0]["account_number"].iloc[0]
    graphs = []
    with signed_in(dash_app, "admin"):
        for page in dash.page_registry.values():
            path = page.get("path_template") or page["path"]
            query = {"account_number": number} if page.get("path_template") else {}
            graphs += [(path, graph) for graph in of_type(render_page(path, **query), dcc.Graph)]
    return graphs


def warehouse_view(warehouse):
    from dashboard.data.view import Filters

    return Filters.parse({}, warehouse.extent())


def test_every_page_with_charts_is_covered(every_graph):
    paths = {path for path, _graph in every_graph}
    assert {"/", "/recovery", "/accounts/<account_number>"} <= paths


def test_no_chart_toolbar_offers_a_cloud_button(every_graph):
    for path, graph in every_graph:
        config = graph.config or {}
        assert config.get("showSendToCloud") is False, (path, graph.id, config)
        assert config.get("showEditInChartStudio") is False, (path, graph.id, config)
        assert not config.get("showLink") and not config.get("sendData"), (path, graph.id, config)
        assert not config.get("plotlyServerURL"), (path, graph.id, config)
        added = {str(button) for button in config.get("modeBarButtonsToAdd") or []}
        assert not added & CLOUD_BUTTONS, (path, graph.id, config)
        assert "modeBarButtons" not in config, (path, graph.id, config)
        assert CLOUD_BUTTONS - {"link"} <= set(config.get("modeBarButtonsToRemove") or []), (path, graph.id)
