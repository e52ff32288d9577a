"""The Dash application: the shell, the pages, the URL-bound filter bar and the export routes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html

from dashboard import export
from dashboard.components import navbar
from etl.config import Config, load_config

HERE = Path(__file__).resolve().parent


def create_app(config: Config | None = None) -> Dash:
    """Build the app for a configuration; the server's config carries the warehouse URL to routes."""
    config = config or load_config()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Billing portal analytics",
        suppress_callback_exceptions=True,
        serve_locally=True,
        health_endpoint="health",
    )
    app.server.config["PORTAL_WAREHOUSE_URL"] = config.warehouse.url
    app.server.config["PORTAL_SETTINGS"] = config
    app.server.register_blueprint(export.blueprint)
    app.layout = html.Div(
        [
            dcc.Location(id="view-url", refresh="callback-nav"),
            navbar(),
            dbc.Container(dash.page_container, fluid=True),
        ]
    )
    _register_filter_callback(app)
    return app


def _register_filter_callback(app: Dash) -> None:
    @app.callback(
        Output("view-url", "search"),
        Input("filter-dates", "start_date"),
        Input("filter-dates", "end_date"),
        Input("filter-grain", "value"),
        Input("filter-segment", "value"),
        State("view-url", "search"),
        prevent_initial_call=True,
    )
    def filters_to_url(start, end, grain, segment, search):
        """Every filter change lands in the query string, so links, reloads and Back reproduce it."""
        params = {"start": (start or "")[:10], "end": (end or "")[:10], "grain": grain or "", "segment": segment or ""}
        new = "?" + urlencode({k: v for k, v in params.items() if v})
        return dash.no_update if new == (search or "") else new
